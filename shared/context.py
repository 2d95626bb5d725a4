"""What the current request knows about itself: its id and its principal.

Kept in context variables so that logging, auditing and the outbox can read
them without being handed a request.
"""
from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
principal_var: ContextVar[object | None] = ContextVar("principal", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_actor() -> str | None:
    principal = principal_var.get()
    return getattr(principal, "subject", None)
