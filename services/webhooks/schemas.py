"""Request and response schemas of the webhooks service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.events import EVENT_TYPE_GLOB
from shared.http import PageArgs, page_schema

STATUSES = ("active", "paused")
PATTERN = EVENT_TYPE_GLOB
URL = validate.URL(schemes={"http", "https"}, require_tld=False, error="an absolute http(s) URL")


EMAIL = [validate.Length(max=254), validate.Email(error="an e-mail address")]


class SubscriptionIn(Schema):
    """A webhook (``url``) or an e-mail subscription (``email``: a daily digest), one of the two."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.String(load_default=None, validate=[validate.Length(max=2000), URL],
                        metadata={"description": "https (http only to an allowed loopback address)"})
    email = fields.String(load_default=None, validate=EMAIL,
                          metadata={"description": "instead of url: the address that gets a daily digest"})
    event_types = fields.List(fields.String(validate=PATTERN), required=True,
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": "globs over the catalog's event types (members.stage.*)"})
    under = fields.UUID(load_default=None, allow_none=True,
                        metadata={"description": "the subtree delivered (default: the caller's whole scope)"})
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))

    @validates_schema
    def _url_or_email(self, data, **_kwargs):
        if (data.get("url") is None) == (data.get("email") is None):
            raise ValidationError("give either url (a webhook) or email (a daily digest)", "_schema")


class SubscriptionPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    url = fields.String(validate=[validate.Length(max=2000), URL], metadata={"description": "a webhook's"})
    email = fields.String(validate=EMAIL, metadata={"description": "an e-mail subscription's"})
    event_types = fields.List(fields.String(validate=PATTERN), validate=validate.Length(min=1, max=50))
    status = fields.String(validate=validate.OneOf(STATUSES),
                           metadata={"description": "active again also clears the flag and retries at once"})


class SubscriptionOut(Schema):
    id = fields.String()
    name = fields.String()
    channel = fields.String(metadata={"description": "webhook (POSTed to url) or email (a daily digest)"})
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    under = fields.String(allow_none=True)
    path = fields.String()
    status = fields.String()
    flagged = fields.Boolean()
    flagged_at = fields.DateTime(allow_none=True)
    flag_reason = fields.String(allow_none=True)
    pending = fields.Integer(metadata={"description": "deliveries waiting in this subscription's queue (an e-mail "
                                                     "subscription's: for its next digest)"})
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(allow_none=True, metadata={"description": "a webhook's signing secret: shown this once, "
                                                                     "never again (none for e-mail)"})


SubscriptionPage = page_schema(SubscriptionOut)


class SubscriptionListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class DeliveryOut(Schema):
    id = fields.Integer()
    delivery_id = fields.Integer(allow_none=True)
    event_id = fields.String()
    event_type = fields.String()
    attempt = fields.Integer()
    status = fields.String(metadata={"description": "delivered (2xx) or failed"})
    response_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    error = fields.String(allow_none=True)
    at = fields.DateTime()


DeliveryPage = page_schema(DeliveryOut)


class DeliveryListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(("delivered", "failed")))
    event_id = fields.UUID(load_default=None)
    since = fields.AwareDateTime(load_default=None, default_timezone=None)


class RedeliverIn(Schema):
    event_id = fields.UUID(load_default=None, metadata={"description": "one event this subscription got"})
    since = fields.AwareDateTime(load_default=None,
                                 metadata={"description": "every event of this subscription that occurred since"})

    @validates_schema
    def _one_of(self, data, **_kwargs):
        if (data.get("event_id") is None) == (data.get("since") is None):
            raise ValidationError("give either event_id or since", "_schema")


class RedeliverOut(Schema):
    queued = fields.Integer(metadata={"description": "deliveries queued again, in their first order"})


class PingOut(Schema):
    status = fields.String(metadata={"description": "delivered (2xx) or failed"})
    response_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    error = fields.String(allow_none=True)
    event_id = fields.String()
