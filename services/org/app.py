"""The org service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, rules, units


def create_app(config: Config | None = None):
    return create_service_app(
        "org", config=config, base=models.Base, models=models.kit, blueprints=api.BLUEPRINTS,
        handlers=handlers.handlers, scope_resolver=units.scope_path, rule_defaults=rules.DEFAULTS,
        title="Zhibu org",
        description="Organization setup: the units tree, committees and terms, party groups, organizational "
                    "life, uncovered entities, liaison points, support, compliance and bulk import.",
    )
