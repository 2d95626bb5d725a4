"""Numbers in request bodies are kept as given or refused, never truncated or rounded.

marshmallow's ``Integer`` turns ``3.5`` into ``3`` and ``Decimal(places=2)`` rounds ``1.005``: a value
the caller did not send would be stored. Schemas use these fields instead:

- :class:`WholeNumber`: an integer; ``3`` and ``3.0`` load as 3, ``3.5`` is a 422 (``"3"`` from a query
  string or a CSV cell still loads, ``"3.5"`` is refused as before);
- :class:`ExactDecimal`: a decimal with at most ``places`` decimal places; more is a 422, not a rounding.
"""
from __future__ import annotations

import decimal

from marshmallow import fields

from .messages import msg


class WholeNumber(fields.Integer):
    """An integer that refuses a fractional number instead of truncating it."""

    default_error_messages = {"fractional": "{message}"}

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("fractional", message=str(msg("number-fractional", value=repr(value)[:40])))
        if isinstance(value, decimal.Decimal) and value.is_finite() and value != value.to_integral_value():
            raise self.make_error("fractional", message=str(msg("number-fractional", value=str(value)[:40])))
        return super()._validated(value)


class ExactDecimal(fields.Decimal):
    """A decimal of at most ``places`` decimal places, kept exactly as given."""

    default_error_messages = {"too_precise": "{message}"}

    def _validated(self, value):
        places = self.places
        if places is not None and value is not True and value is not False:
            try:
                num = decimal.Decimal(str(value))
            except (decimal.InvalidOperation, ValueError, TypeError):
                num = None
            if num is not None and num.is_finite() and num != num.quantize(places, rounding=decimal.ROUND_DOWN):
                raise self.make_error("too_precise", message=str(msg(
                    "number-too-precise", value=str(value)[:40], places=-places.as_tuple().exponent)))
        return super()._validated(value)
