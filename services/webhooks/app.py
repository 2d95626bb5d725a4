"""The webhooks service's app factory."""
from __future__ import annotations

from shared.app import create_service_app
from shared.config import Config

from . import api, delivery, digests, handlers, models, rules, subscriptions


def create_app(config: Config | None = None):
    return create_service_app(
        "webhooks", config=config, models=models, api=api, handlers=handlers, rules=rules,
        declaring=(subscriptions, delivery, digests),
        description="Subscriptions of platforms to Zhibu's events, signed deliveries (HMAC-SHA256), the "
                    "delivery log, redelivery and a test ping; e-mail subscriptions get a daily digest.",
    )
