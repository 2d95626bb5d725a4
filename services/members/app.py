"""The members service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models


def create_app(config: Config | None = None):
    return create_service_app(
        "members", config=config, base=models.Base, models=models.kit, blueprints=[api.blp],
        handlers=handlers.handlers, title="Zhibu members",
        description="People and membership: the development procedure, transfers, points, reviews.",
    )
