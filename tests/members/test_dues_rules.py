"""The party dues rules (DUES.*) at their boundaries, as the regulation's table reads (RULES.md, "Party dues")."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.members import rules
from services.members.rules import DEFAULTS, DuesAmount
from shared.violations import Violation

D = Decimal


def amount(category, base=None, farmer=None, cfg=DEFAULTS):
    result = rules.dues_rate(category, None if base is None else D(base), None if farmer is None else D(farmer), cfg)
    assert isinstance(result, DuesAmount), result
    return result


@pytest.mark.parametrize("category, base, rate, dues", [
    ("employed", "0.00", "0.005", "0.00"),
    ("employed", "2999.99", "0.005", "15.00"),      # 14.99995 rounds half up to the fen
    ("employed", "3000.00", "0.005", "15.00"),      # the bracket is inclusive at its top
    ("employed", "3000.01", "0.01", "30.00"),       # the whole base at the next rate: 30.0001
    ("employed", "4999.99", "0.01", "50.00"),
    ("employed", "5000.00", "0.01", "50.00"),
    ("employed", "5000.01", "0.015", "75.00"),      # 75.00015
    ("employed", "10000.00", "0.015", "150.00"),
    ("employed", "10000.01", "0.02", "200.00"),     # 200.0002
    ("employed", "3332.50", "0.01", "33.33"),       # 33.325: half up (half-even would give 33.32)
    ("employed", "4567.89", "0.01", "45.68"),       # 45.6789
    ("employed", "25000.00", "0.02", "500.00"),
    ("retired", "5000.00", "0.005", "25.00"),
    ("retired", "5000.01", "0.01", "50.00"),        # 50.0001
    ("retired", "4999.00", "0.005", "25.00"),       # 24.995 half up
    ("retired", "12000.00", "0.01", "120.00"),
])
def test_rate_brackets(category, base, rate, dues):
    result = amount(category, base)
    assert (result.amount, result.rate, result.base) == (D(dues), D(rate), D(base))
    assert isinstance(result.amount, Decimal)
    assert result.amount.as_tuple().exponent == -2


@pytest.mark.parametrize("category, farmer, dues", [
    ("student", None, "0.20"), ("unemployed", None, "0.20"), ("minimum_living", None, "0.20"),
    ("farmer", None, "0.20"), ("farmer", "0.20", "0.20"), ("farmer", "0.55", "0.55"), ("farmer", "1.00", "1.00"),
])
def test_flat_amounts(category, farmer, dues):
    result = amount(category, farmer=farmer)
    assert result.amount == D(dues)
    assert result.rate is None
    assert result.base is None


@pytest.mark.parametrize("farmer", ["0.19", "1.01", "5"])
def test_a_farmer_pays_within_the_range(farmer):
    violation = rules.dues_rate("farmer", None, D(farmer), DEFAULTS)
    assert isinstance(violation, Violation)
    assert violation.code == "DUES.RATE"
    assert violation.facts == {"amount": str(D(farmer)), "least": "0.20", "most": "1.00"}


def test_an_employed_member_needs_a_base():
    assert rules.dues_rate("employed", None, None, DEFAULTS).code == "DUES.RATE"


def test_brackets_and_rates_come_from_configuration_and_stay_decimal():
    """A rules file in JSON may hold numbers: 0.005 read as a float still computes exactly."""
    cfg = {**DEFAULTS, "dues_employed_brackets": [[3000, 0.005], [None, 0.01]],
           "dues_flat_amounts": {**DEFAULTS["dues_flat_amounts"], "student": 0.1}}
    assert amount("employed", "3000.00", cfg=cfg).amount == D("15.00")
    assert amount("employed", "10000.01", cfg=cfg).amount == D("100.00")   # no 2% bracket in this province
    assert amount("student", cfg=cfg).amount == D("0.10")


def test_the_base_is_the_income_less_tax_insurance_and_housing_fund():
    base, violation = rules.dues_base([D("6500.00"), D("800.50")],
                                      [D("310.25"), D("520.00"), D("130.00"), D("32.50"), D("780.00")])
    assert violation is None
    assert base == D("5527.75")
    base, violation = rules.dues_base([D("3000.00")], [])
    assert (base, violation) == (D("3000.00"), None)


def test_a_base_below_zero_or_without_income_is_refused():
    _, violation = rules.dues_base([D("1000")], [D("1000.01")])
    assert violation.code == "DUES.BASE"
    assert violation.facts == {"income": "1000.00", "deductions": "1000.01"}
    _, violation = rules.dues_base([], [])
    assert violation.code == "DUES.BASE"


@pytest.mark.parametrize("first, last, paid_on, kind", [
    ("2026-03", "2026-03", "2026-03-10", "monthly"),
    ("2026-01", "2026-03", "2026-01-05", "quarterly"),
    ("2026-01", "2026-03", "2026-03-31", "quarterly"),      # a quarter paid within it is not arrears
    ("2026-02", "2026-04", "2026-02-05", "advance"),        # three months, but not a calendar quarter
    ("2026-01", "2026-12", "2026-01-05", "advance"),
    ("2026-01", "2026-02", "2026-05-20", "arrears"),
    ("2026-01", "2026-06", "2026-05-20", "arrears"),        # arrears with the months ahead
    ("2025-10", "2025-12", "2026-01-02", "arrears"),        # last year's quarter paid late
])
def test_payment_kinds(first, last, paid_on, kind):
    assert rules.dues_payment_kind(month(first), month(last), date.fromisoformat(paid_on)) == kind


def month(text: str) -> date:
    return date.fromisoformat(text + "-01")


@pytest.mark.parametrize("first, last, paid_on, payable_from, broken", [
    ("2026-01", "2027-01", "2026-01-31", None, None),                 # twelve months ahead of January
    ("2026-01", "2027-02", "2026-01-31", None, "DUES.MONTHLY"),
    ("2026-03", "2026-03", "2026-03-15", "2026-03", None),             # admitted in March: pays March
    ("2026-02", "2026-03", "2026-03-15", "2026-03", "DUES.MONTHLY"),
    ("2026-04", "2026-03", "2026-03-15", None, "DUES.MONTHLY"),
    ("2020-01", "2020-12", "2026-03-15", None, None),                  # arrears of any age may be paid
])
def test_months_a_payment_may_cover(first, last, paid_on, payable_from, broken):
    violation = rules.dues_months(month(first), month(last), date.fromisoformat(paid_on),
                                  month(payable_from) if payable_from else None, DEFAULTS["dues_advance_months"])
    assert (violation.code if violation else None) == broken


def test_a_probationary_member_pays_from_the_month_of_admission():
    assert rules.dues_payable_from("probationary", date(2026, 12, 31)) == date(2026, 12, 1)
    assert rules.dues_payable_from("full", date(2026, 12, 31)) is None


def months(*texts):
    return [month(t) for t in texts]


@pytest.mark.parametrize("unpaid, as_of, level, count", [
    (months("2026-01", "2026-02"), "2026-07-01", None, None),
    (months("2026-04", "2026-05", "2026-06"), "2026-07-01", "alert", 3),
    (months("2026-04", "2026-05", "2026-06", "2026-07"), "2026-07-31", "alert", 3),   # July has not ended
    (months("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"), "2026-07-01", "alert", 5),
    (months("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"), "2026-07-01", "ground", 6),
    (months("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"), "2026-06-30", "alert", 5),
    (months("2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"), "2026-05-01", "ground", 6),
    (months("2026-01", "2026-02", "2026-04", "2026-05"), "2026-07-01", None, None),   # March paid: no run of 3
    (months("2025-01", "2025-02", "2025-03", "2026-05"), "2026-07-01", "alert", 3),   # still unpaid, still counted
])
def test_arrears(unpaid, as_of, level, count):
    violation = rules.dues_arrears(unpaid, date.fromisoformat(as_of), 3, 6)
    if level is None:
        assert violation is None
    else:
        assert violation.code == "DUES.ARREARS"
        assert (violation.facts["level"], violation.facts["months"]) == (level, count)
