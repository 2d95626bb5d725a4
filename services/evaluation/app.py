"""The evaluation service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import handlers, models


def create_app(config: Config | None = None):
    return create_service_app(
        "evaluation", config=config, base=models.Base, models=models.kit, blueprints=[],
        handlers=handlers.handlers, title="Zhibu evaluation",
    )
