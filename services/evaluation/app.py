"""The evaluation service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, assessing, handlers, models, reminders, rules


def create_app(config: Config | None = None):
    return create_service_app(
        "evaluation", config=config, models=models, api=api, handlers=handlers, rules=rules,
        declaring=(assessing, reminders),
        description="Indicators from events, scorecards, star ratings, ledgers, weak-and-lax detection and "
                    "problem lists.",
    )
