"""The evaluation service's app factory."""
from __future__ import annotations

from datetime import time

from shared.app import create_service_app
from shared.config import Config
from shared.worker import DailyJob

from . import api, assessing, handlers, models, rules


def create_app(config: Config | None = None):
    return create_service_app(
        "evaluation", config=config, base=models.Base, models=models.kit, blueprints=api.BLUEPRINTS,
        handlers=handlers.handlers, title="Zhibu evaluation", rule_defaults=rules.DEFAULTS,
        jobs=[DailyJob("nightly-recompute", time(2, 30), assessing.nightly_recompute)],
        description="Indicators from events, scorecards, star ratings, ledgers, weak-and-lax detection and "
                    "problem lists.",
    )
