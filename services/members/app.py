"""The members service's app factory."""
from __future__ import annotations

import inspect

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, rules, schemas


def create_app(config: Config | None = None):
    app = create_service_app(
        "members", config=config, base=models.Base, models=models.kit, blueprints=api.BLUEPRINTS,
        handlers=handlers.handlers, title="Zhibu members", rule_defaults=rules.DEFAULTS,
        description="People and membership: the development procedure, transfers, points, reviews.",
    )
    # each kind of step and of management action has its own payload schema: the body is one of them
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    for body, kinded in (("StepIn", schemas.STEP_SCHEMAS), ("ActionIn", schemas.ACTION_SCHEMAS)):
        for schema in dict.fromkeys(kinded.values()):
            if schema.__name__ not in spec.components.schemas:
                spec.components.schema(schema.__name__, schema=schema)
        refs = {kind: f"#/components/schemas/{schema.__name__}" for kind, schema in kinded.items()}
        spec.components.schemas[body] = {
            "description": inspect.cleandoc(getattr(schemas, body).__doc__ or ""),
            "oneOf": [{"$ref": ref} for ref in dict.fromkeys(refs.values())],
            "discriminator": {"propertyName": "kind", "mapping": refs},
        }
    return app
