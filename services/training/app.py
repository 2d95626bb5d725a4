"""The training service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, handlers, models, reminders, rules


def create_app(config: Config | None = None):
    return create_service_app(
        "training", config=config, models=models, api=api, handlers=handlers, rules=rules, declaring=(reminders,),
        description="Education and training: courses, classes, enrolment, attendance and class hours, "
                    "coverage, secretary rotation plans.",
    )
