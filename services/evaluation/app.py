"""The evaluation service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, rules


def create_app(config: Config | None = None):
    return create_service_app(
        "evaluation", config=config, base=models.Base, models=models.kit, blueprints=api.blueprints,
        handlers=handlers.handlers, title="Zhibu evaluation", rule_defaults=rules.DEFAULTS,
        description="Indicators from events, scorecards, star ratings, ledgers, weak-and-lax detection and "
                    "problem lists.",
    )
