"""The webhooks service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask.views import MethodView
from shared.parsing import Blueprint

from shared.http import with_etag
from shared.idempotency import idempotent
from shared.openapi import requires_if_match
from shared.request import require

from . import subscriptions
from .schemas import (DeliveryListArgs, DeliveryPage, PingOut, RedeliverIn, RedeliverOut, SubscriptionCreated,
                      SubscriptionIn, SubscriptionListArgs, SubscriptionOut, SubscriptionPage, SubscriptionPatch)

PREFIX = "/api/webhooks/v1"
MANAGERS = subscriptions.MANAGERS

blp = Blueprint("subscriptions", __name__, url_prefix=PREFIX,
                description="Subscriptions of platforms to events of a subtree; signed deliveries")
delivery_blp = Blueprint("deliveries", __name__, url_prefix=PREFIX,
                         description="The delivery log of a subscription, redelivery and a test ping")

BLUEPRINTS = [blp, delivery_blp]


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @blp.arguments(SubscriptionListArgs, location="query")
    @blp.response(200, SubscriptionPage)
    def get(self, args):
        """The subscriptions in the caller's subtree (or under ``under``), oldest first."""
        require(*MANAGERS)
        return subscriptions.list_subscriptions(args)

    @idempotent
    @blp.arguments(SubscriptionIn)
    @blp.response(201, SubscriptionCreated)
    def post(self, fields):
        """Subscribe a target URL to event types (globs) of a subtree inside the caller's scope; the answer
        shows the signing secret, this once (WEBHOOKS.TARGET: https, no private address unless allowed)."""
        require(*MANAGERS)
        return with_etag(subscriptions.create(fields))


@blp.route("/subscriptions/<uuid:subscription_id>")
class SubscriptionItem(MethodView):
    @blp.response(200, SubscriptionOut)
    def get(self, subscription_id):
        """One subscription (never its secret); 404 outside the caller's subtree."""
        require(*MANAGERS)
        return with_etag(subscriptions.view(subscriptions.get_in_scope(subscription_id)))

    @requires_if_match
    @blp.arguments(SubscriptionPatch)
    @blp.response(200, SubscriptionOut)
    def patch(self, fields, subscription_id):
        """Change the name, URL or event types, or pause / resume (If-Match); resuming clears the flag."""
        require(*MANAGERS)
        return with_etag(subscriptions.change(subscription_id, fields))

    @requires_if_match
    @blp.response(204)
    def delete(self, subscription_id):
        """Delete the subscription, its queue and its log (If-Match)."""
        require(*MANAGERS)
        subscriptions.remove(subscription_id)


@delivery_blp.route("/subscriptions/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @delivery_blp.arguments(DeliveryListArgs, location="query")
    @delivery_blp.response(200, DeliveryPage)
    def get(self, args, subscription_id):
        """The delivery log: every attempt with its status, latency, response code and error (30 days)."""
        require(*MANAGERS)
        return subscriptions.log(subscription_id, args)


@delivery_blp.route("/subscriptions/<uuid:subscription_id>/redeliver")
class Redeliver(MethodView):
    @delivery_blp.doc(operationId="redeliverEvents")
    @delivery_blp.arguments(RedeliverIn)
    @delivery_blp.response(202, RedeliverOut)
    def post(self, fields, subscription_id):
        """Queue again one event the subscription got (``event_id``) or every one since a time (``since``)."""
        require(*MANAGERS)
        return subscriptions.redeliver(subscription_id, fields)


@delivery_blp.route("/subscriptions/<uuid:subscription_id>/ping")
class Ping(MethodView):
    @delivery_blp.doc(operationId="pingSubscription")
    @delivery_blp.response(200, PingOut)
    def post(self, subscription_id):
        """Send a signed ``webhooks.ping`` to the target now and answer what it answered (logged too)."""
        require(*MANAGERS)
        return subscriptions.ping(subscription_id)
