"""What several of the members service's schemas share: the ID number and phone fields, the bounds, the
body discriminated by ``kind``, a broken rule as answered."""
from __future__ import annotations

import re

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from shared.pii import valid_id_number

PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
BAD_ID = "not a valid national ID number (18 characters with the GB 11643 check digit)"
#: the years a review, an award or a deadline may fall in (as in every service)
YEAR = validate.Range(min=2000, max=2100)
#: votes counted at one meeting: far above any branch or committee, far below the 32-bit column
VOTES = validate.Range(min=0, max=1_000_000)


class IdNumber(fields.String):
    """A national ID number: 18 characters, a real birth date, the GB 11643 check digit. Errors never echo it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not valid_id_number(text):
            raise ValidationError(BAD_ID)
        return text


class Phone(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not PHONE_RE.match(text):
            raise ValidationError("not a phone number (digits, spaces and dashes, 5 to 20)")
        return text


class Kinded(Schema):
    """Flat body: ``{"kind": ..., <the kind's fields>}``; ``kind`` picks the schema that loads the rest."""

    kinds: dict[str, type[Schema]] = {}
    kind = fields.String(required=True)

    class Meta:
        unknown = INCLUDE

    def load(self, data, *, many=None, partial=None, unknown=None):
        head = super().load(data, many=False, partial=True)
        kind = head.get("kind")
        if kind not in self.kinds:
            raise ValidationError({"kind": [f"must be one of: {', '.join(self.kinds)}"]})
        return self.kinds[kind]().load(data)


class ViolationOut(Schema):
    code = fields.String()
    en = fields.String()
    zh = fields.String()
    facts = fields.Dict()


class UnderArgs(Schema):
    under = fields.UUID(load_default=None)
