"""The events the webhooks service consumes: every type of the catalog.

- each event is queued for every subscription that wants its type and covers its unit (``fan_out``), in the
  transaction of its inbox row: once the broker's message is acknowledged, its deliveries are committed;
- org.unit.*: the kit keeps the org tree (``OrgUnitView``) and runs first; after a move the subscriptions
  under the moved subtree follow their units' new paths.
"""
from __future__ import annotations

from shared import catalog
from shared.consumer import Handlers

from . import delivery, subscriptions
from .models import kit

handlers = Handlers()


@handlers.on("org.unit.moved")
def follow_moves(session, event):
    """A subscription's subtree is its unit's: it moves with it."""
    subscriptions.follow_moves(session, kit.OrgUnitView)


@handlers.on(*sorted(catalog.CATALOG))
def queue_deliveries(session, event):
    """One pending delivery per matching subscription."""
    delivery.fan_out(session, event)
