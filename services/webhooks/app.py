"""The webhooks service's app factory."""
from __future__ import annotations

from datetime import time as clock

from shared.app import create_service_app
from shared.config import Config
from shared.db import utcnow
from shared.worker import DailyJob

from . import api, delivery, handlers, models, rules, subscriptions


def purge_old(app) -> dict:
    """The daily job: the delivery log and the delivered events older than the retention go."""
    kit = app.extensions["zhibu"]
    with kit.db.transaction() as session:
        return subscriptions.purge(session, utcnow(), app.config["RULES"])


PURGE_JOB = DailyJob("webhooks-purge", clock(3, 50), purge_old)


def create_app(config: Config | None = None):
    app = create_service_app(
        "webhooks", config=config, base=models.Base, models=models.kit, blueprints=api.BLUEPRINTS,
        handlers=handlers.handlers, title="Zhibu webhooks", rule_defaults=rules.DEFAULTS, jobs=[PURGE_JOB],
        description="Subscriptions of platforms to Zhibu's events, signed deliveries (HMAC-SHA256), the "
                    "delivery log, redelivery and a test ping.",
    )
    # what ``zhibu worker webhooks`` runs beside the relay, the consumer and the daily jobs
    app.extensions["zhibu"].extras["worker_threads"] = [delivery.start_delivery_loop]
    return app
