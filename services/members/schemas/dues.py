"""Party dues (党费, DUES.*): bases, monthly bills, payments and their import, arrears, the report."""
from __future__ import annotations

import re
from datetime import date as _date
from decimal import Decimal as _Decimal, InvalidOperation as _InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from shared.http import PageArgs, page_schema
from shared.imports import ImportQuery as _ImportQuery

from ..rules import DUES_CATEGORIES, DUES_DEDUCTIONS
from .common import UnderArgs, YEAR

#: the largest amount a dues field takes (yuan): far above any salary, far below the fen columns
MONEY_MAX = _Decimal("100000000.00")


class Money(fields.Decimal):
    """An amount in yuan, to the fen: a JSON number or decimal text, at most 2 decimals, never read as a binary
    float (15.1 is 15.10, not 15.0999...). Answered as text ("15.10")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("as_string", True)
        kwargs.setdefault("validate", validate.Range(min=0, max=MONEY_MAX))
        kwargs.setdefault("metadata", {"description": "yuan, at most 2 decimals"})
        super().__init__(places=2, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("an amount in yuan, as a number or decimal text")
        try:
            number = _Decimal(str(value).strip())
        except _InvalidOperation:
            raise ValidationError("an amount in yuan, as a number or decimal text") from None
        if not number.is_finite():
            raise ValidationError("a finite amount")
        if number.as_tuple().exponent < -2:
            raise ValidationError("at most 2 decimals (the fen)")
        if not 0 <= number <= MONEY_MAX:
            raise ValidationError(f"from 0 to {MONEY_MAX}")
        return number.quantize(_Decimal("0.01"))


class Month(fields.String):
    """A month as ``YYYY-MM`` (2000-2100), loaded as the first day of that month."""

    PATTERN = re.compile(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$")

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "YYYY-MM"})
        super().__init__(**kwargs)
        self.metadata.setdefault("pattern", self.PATTERN.pattern)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.PATTERN.match(text):
            raise ValidationError("a month as YYYY-MM (2000-01 to 2100-12)")
        return _date(int(text[:4]), int(text[5:7]), 1)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, _date):
            return f"{value.year}-{value.month:02d}"
        return value


class IncomeItem(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "基本工资, 津贴补贴 ..."})
    amount = Money(required=True)


class Deduction(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DUES_DEDUCTIONS))
    amount = Money(required=True)


class DuesBaseIn(Schema):
    """A member's dues base for a year from a month on (DUES.BASE): employed and retired members from their
    income items less the deductions; the other categories pay a flat amount (a farmer's set by the branch)."""

    year = fields.Integer(required=True, strict=True, validate=YEAR)
    from_month = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=12),
                                metadata={"description": "the month it takes effect (January, or when the income changed)"})
    category = fields.String(required=True, validate=validate.OneOf(DUES_CATEGORIES))
    income = fields.List(fields.Nested(IncomeItem), load_default=list, validate=validate.Length(max=30))
    deductions = fields.List(fields.Nested(Deduction), load_default=list, validate=validate.Length(max=10))
    amount = Money(load_default=None, allow_none=True, metadata={"description": "farmers: the monthly amount"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class DuesBaseOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    effective_from = fields.String(metadata={"description": "YYYY-MM"})
    category = fields.String()
    income = fields.List(fields.Dict())
    deductions = fields.List(fields.Dict())
    base = fields.Decimal(as_string=True, allow_none=True)
    rate = fields.Decimal(as_string=True, allow_none=True)
    amount = fields.Decimal(as_string=True, metadata={"description": "monthly dues, yuan"})
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    bills_repriced = fields.Integer(metadata={"description": "unpaid bills that took the new amount"})


class BillsIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "a branch, or any unit: every branch under it"})
    month = Month(required=True)


class BillsOut(Schema):
    unit_id = fields.String()
    month = fields.String()
    created = fields.Integer()
    existing = fields.Integer(metadata={"description": "members billed for the month already (unchanged)"})
    amount = fields.Decimal(as_string=True, metadata={"description": "what the new bills add up to"})
    without_base = fields.Integer(metadata={"description": "members with no dues base recorded: not billed"})
    without_base_people = fields.List(fields.String())
    bases_of_earlier_years = fields.Integer(metadata={"description": "billed on a base not renewed this year"})
    not_yet_members = fields.Integer(metadata={"description": "probationary members admitted after the month"})
    grounds_recorded = fields.Integer(metadata={"description": "six months' arrears recorded as grounds"})


class BillListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    month = Month(load_default=None)
    unpaid = fields.Boolean(load_default=False)


class BillOut(Schema):
    id = fields.Integer()
    person_id = fields.String()
    unit_id = fields.String()
    month = fields.String()
    category = fields.String()
    due = fields.Decimal(as_string=True)
    paid = fields.Decimal(as_string=True)
    paid_on = fields.Date(allow_none=True)
    payment_id = fields.String(allow_none=True)
    late = fields.Boolean(metadata={"description": "paid after its month: arrears paid later"})


BillPage = page_schema(BillOut)


class PaymentIn(Schema):
    """Whole months paid at once: one month, a quarter, months in advance (up to a year) or arrears."""

    paid_on = fields.Date(required=True)
    from_month = Month(required=True)
    to_month = Month(load_default=None, metadata={"description": "YYYY-MM; default: from_month"})
    amount = Money(required=True, metadata={"description": "yuan; more than due is a voluntary extra"})
    channel = fields.String(load_default="cash", validate=validate.OneOf(("cash", "bank", "platform")))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class PaymentOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    paid_on = fields.Date()
    from_month = fields.String()
    to_month = fields.String()
    kind = fields.String(metadata={"description": "monthly, quarterly, advance or arrears"})
    amount = fields.Decimal(as_string=True)
    due = fields.Decimal(as_string=True)
    extra = fields.Decimal(as_string=True, metadata={"description": "paid beyond the dues (自愿多交)"})
    channel = fields.String()
    reference = fields.String(allow_none=True)
    import_id = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


PaymentPage = page_schema(PaymentOut)


class PaymentListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    import_id = fields.UUID(load_default=None)


class PaymentImportArgs(_ImportQuery):
    pass


class PaymentImportOut(Schema):
    import_id = fields.String(allow_none=True)
    format = fields.String()
    total = fields.Integer()
    created = fields.Integer()
    existing = fields.Integer(metadata={"description": "lines whose reference the person's payments hold already"})
    amount = fields.Decimal(as_string=True)


class ArrearsOut(Schema):
    code = fields.String()
    level = fields.String(metadata={"description": "alert (3+ months) or ground (6+: MEMBERS.UNQUALIFIED)"})
    since = fields.String()
    until = fields.String()
    months = fields.Integer()
    en = fields.String()
    zh = fields.String()


class PersonDuesArgs(Schema):
    year = fields.Integer(load_default=None, validate=YEAR)
    as_of = fields.Date(load_default=None)


class PersonDuesOut(Schema):
    person_id = fields.String()
    as_of = fields.Date()
    bases = fields.List(fields.Nested(DuesBaseOut))
    bills = fields.List(fields.Nested(BillOut))
    payments = fields.List(fields.Nested(PaymentOut))
    arrears = fields.Nested(ArrearsOut, allow_none=True)


class DuesArrearsArgs(PageArgs):
    under = fields.UUID(load_default=None)
    as_of = fields.Date(load_default=None, metadata={"description": "defaults to today (Asia/Shanghai)"})
    level = fields.String(load_default=None, validate=validate.OneOf(("alert", "ground")))


class DuesAlertOut(ArrearsOut):
    person_id = fields.String()
    person_name = fields.String()
    unit_id = fields.String()
    kind = fields.String()
    outstanding = fields.Decimal(as_string=True)
    ground_recorded = fields.Boolean(metadata={"description": "the ground is in the management records"})


class DuesArrearsOut(Schema):
    as_of = fields.Date()
    items = fields.List(fields.Nested(DuesAlertOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DuesReportArgs(UnderArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata={"description": "default: this year"})
    from_month = Month(load_default=None, metadata={"description": "YYYY-MM (default: January of year)"})
    to_month = Month(load_default=None, metadata={"description": "YYYY-MM (default: December)"})
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")),
                           metadata={"description": "or the Accept header"})


class DuesFigures(Schema):
    due = fields.Decimal(as_string=True)
    paid = fields.Decimal(as_string=True)
    outstanding = fields.Decimal(as_string=True)
    bills = fields.Integer()
    paid_bills = fields.Integer()
    late = fields.Integer(metadata={"description": "bills paid after their month (arrears paid later)"})


class DuesMonthFigures(DuesFigures):
    month = fields.String()


class DuesBranchFigures(DuesFigures):
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    months = fields.List(fields.Nested(DuesMonthFigures))


class DuesReportOut(Schema):
    unit_id = fields.String(allow_none=True)
    from_month = fields.String()
    to_month = fields.String()
    total = fields.Nested(DuesFigures)
    months = fields.List(fields.Nested(DuesMonthFigures))
    branches = fields.List(fields.Nested(DuesBranchFigures))
