"""The members service's app factory."""
from __future__ import annotations

from datetime import time

from shared.app import create_service_app
from shared.config import Config
from shared.worker import DailyJob

from . import api, dues, handlers, models, rules, schemas


def create_app(config: Config | None = None):
    return create_service_app(
        "members", config=config, base=models.Base, models=models.kit, blueprints=api.BLUEPRINTS,
        handlers=handlers.handlers, title="Zhibu members", rule_defaults=rules.DEFAULTS,
        # DUES.ARREARS: six months unpaid become a MEMBERS.UNQUALIFIED ground in the management records
        jobs=[DailyJob("dues-arrears", time(3, 15), dues.nightly_grounds)],
        # each kind of step and of management action has its own payload schema: the body is one of them
        one_of={schemas.StepIn: schemas.STEP_SCHEMAS, schemas.ActionIn: schemas.ACTION_SCHEMAS},
        description="People and membership: the development procedure, transfers, points, reviews.",
    )
