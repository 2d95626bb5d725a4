"""The events the org service consumes."""
from __future__ import annotations

from shared.consumer import Handlers

handlers = Handlers()
