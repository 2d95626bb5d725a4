"""The org service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, units


def create_app(config: Config | None = None):
    return create_service_app(
        "org", config=config, base=models.Base, models=models.kit, blueprints=[api.blp],
        handlers=handlers.handlers, scope_resolver=units.scope_path,
        title="Zhibu org", description="Organization setup: the units tree, committees, organizational life.",
    )
