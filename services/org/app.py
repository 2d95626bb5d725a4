"""The org service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, reminders, rules, units


def create_app(config: Config | None = None):
    return create_service_app(
        "org", config=config, models=models, api=api, handlers=handlers, rules=rules,
        declaring=(units, reminders),
        description="Organization setup: the units tree, committees and terms, party groups, organizational "
                    "life, uncovered entities, liaison points, support, compliance and bulk import.",
    )
