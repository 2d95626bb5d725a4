"""The members service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, dues, handlers, models, reminders, rules, schemas


def create_app(config: Config | None = None):
    return create_service_app(
        "members", config=config, models=models, api=api, handlers=handlers, rules=rules,
        declaring=(schemas, dues, reminders),
        description="People and membership: the development procedure, transfers, points, reviews.",
    )
