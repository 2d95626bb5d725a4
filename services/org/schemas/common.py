"""What several of the org service's schemas share: the bounds on codes, counts and amounts, a period."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.dates import today
from shared.messages import msg

#: the longest period a report of organizational life covers (its work grows with the periods it holds)
PERIOD_MAX_YEARS = 5
PERIOD_EARLIEST, PERIOD_LATEST = date(1921, 7, 1), date(2099, 12, 31)

DOMAINS = ("village", "community", "state_owned_enterprise", "private_enterprise", "social_organization",
           "public_institution", "school", "hospital", "government_agency", "other")
CODE = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error="letters, digits, _ . - (at most 64)")
#: people counted in an enterprise or at a meeting: far above any real one, far below the 32-bit column
HEADCOUNT = validate.Range(min=0, max=10_000_000)


class PeriodArgs(Schema):
    """A period of organizational life: at most :data:`PERIOD_MAX_YEARS` years, whichever end is given."""

    held_from = fields.Date(load_default=None, data_key="from", metadata={
        "description": "first day of the period (default: January 1 of the year of `to`)"})
    held_to = fields.Date(load_default=None, data_key="to", metadata={"description": "last day (default: today)"})

    @validates_schema
    def _bounded(self, data, **_kwargs):
        for key, name in (("held_from", "from"), ("held_to", "to")):
            if data.get(key) and not PERIOD_EARLIEST <= data[key] <= PERIOD_LATEST:
                raise ValidationError(str(msg("date-range", low=PERIOD_EARLIEST, high=PERIOD_LATEST)), name)
        end = data.get("held_to") or today()
        start = data.get("held_from") or date(end.year, 1, 1)
        if start > end:
            raise ValidationError(str(msg("period-order")), "from")
        if (end - start).days > PERIOD_MAX_YEARS * 366:
            raise ValidationError(str(msg("period-too-long", years=PERIOD_MAX_YEARS, start=start, end=end)),
                                  "to" if data.get("held_to") else "from")
