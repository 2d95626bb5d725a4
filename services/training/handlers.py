"""The events the training service consumes (org units arrive through the kit's read-model handlers)."""
from __future__ import annotations

from shared.consumer import Handlers

handlers = Handlers()
