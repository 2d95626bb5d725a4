"""Party dues (DUES.*) through the members API: bases, bills, payments, imports, the report, arrears.

The branch of 30 members goes through the gateway (members on a real socket behind it), as integrators call it;
its dues are checked to the fen against the table below, worked by hand.
"""
from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from shared import dates
from shared.testing import auth, pending_events

from tests.gateway.conftest import gateway_for

from .conftest import Tree, TREE, full_member, id_number, register

API = "/api/members/v1"
D = Decimal

#: (name, category, income items, deductions, farmer's amount) -> the base and monthly dues, worked by hand
BRANCH = [
    # employed: the base is the income less tax, pension, medical, unemployment and the housing fund
    ("甲01", "employed", ["3500.00"], {"pension": "280.00", "medical": "70.00", "unemployment": "17.50",
                                       "housing_fund": "132.50"}, None, "3000.00", "15.00"),    # 0.5%, top inclusive
    ("甲02", "employed", ["3500.00"], {"pension": "280.00", "medical": "70.00", "unemployment": "17.50",
                                       "housing_fund": "132.49"}, None, "3000.01", "30.00"),    # 1%: 30.0001
    ("甲03", "employed", ["5000.00"], {}, None, "5000.00", "50.00"),
    ("甲04", "employed", ["4000.00", "1000.01"], {}, None, "5000.01", "75.00"),                 # 1.5%: 75.00015
    ("甲05", "employed", ["10000.00"], {}, None, "10000.00", "150.00"),
    ("甲06", "employed", ["12000.00"], {"income_tax": "1999.99"}, None, "10000.01", "200.00"),  # 2%: 200.0002
    ("甲07", "employed", ["2000.00"], {}, None, "2000.00", "10.00"),
    ("甲08", "employed", ["2999.99"], {}, None, "2999.99", "15.00"),                           # 14.99995 half up
    ("甲09", "employed", ["4567.89"], {}, None, "4567.89", "45.68"),                           # 45.6789
    ("甲10", "employed", ["3332.50"], {}, None, "3332.50", "33.33"),                           # 33.325 half up
    ("甲11", "employed", ["8000.00", "1500.00"], {"income_tax": "210.00", "pension": "760.00", "medical": "190.00",
                                                  "unemployment": "47.50", "housing_fund": "1140.00"},
     None, "7152.50", "107.29"),                                                              # 107.2875
    ("甲12", "employed", ["20000.00"], {"income_tax": "2590.00", "housing_fund": "2400.00"}, None,
     "15010.00", "300.20"),
    ("甲13", "employed", ["6666.67"], {}, None, "6666.67", "100.00"),                          # 100.00005
    ("甲14", "employed", ["1000.00"], {}, None, "1000.00", "5.00"),
    # retired: the pension actually received
    ("乙15", "retired", ["5000.00"], {}, None, "5000.00", "25.00"),                            # 0.5%, top inclusive
    ("乙16", "retired", ["5000.01"], {}, None, "5000.01", "50.00"),                            # 1%: 50.0001
    ("乙17", "retired", ["4321.09"], {}, None, "4321.09", "21.61"),                            # 21.60545
    ("乙18", "retired", ["8000.00"], {}, None, "8000.00", "80.00"),
    ("乙19", "retired", ["3000.00"], {}, None, "3000.00", "15.00"),
    # flat amounts
    ("丙20", "student", [], {}, None, None, "0.20"),
    ("丙21", "student", [], {}, None, None, "0.20"),
    ("丙22", "student", [], {}, None, None, "0.20"),
    ("丁23", "unemployed", [], {}, None, None, "0.20"),
    ("丁24", "unemployed", [], {}, None, None, "0.20"),
    ("戊25", "minimum_living", [], {}, None, None, "0.20"),
    ("戊26", "minimum_living", [], {}, None, None, "0.20"),
    ("己27", "farmer", [], {}, None, None, "0.20"),                                            # the range's floor
    ("己28", "farmer", [], {}, "0.50", None, "0.50"),
    ("己29", "farmer", [], {}, "1.00", None, "1.00"),
    ("己30", "farmer", [], {}, "0.80", None, "0.80"),
]
#: 1,136.50 employed + 191.61 retired + 1.40 students, unemployed and minimum living + 2.50 farmers
BRANCH_MONTH = "1332.01"


def this_month() -> date:
    return dates.today().replace(day=1)


def month_text(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


def months_ago(n: int) -> date:
    return dates.add_months(this_month(), -n)


def base_body(category, income, deductions, farmer, year=None):
    body = {"year": year or months_ago(12).year, "from_month": 1, "category": category,
            "income": [{"item": f"收入{i + 1}", "amount": a} for i, a in enumerate(income)],
            "deductions": [{"kind": k, "amount": a} for k, a in deductions.items()]}
    if farmer:
        body["amount"] = farmer
    return body


def record_base(client, headers, person_id, body, status=201):
    resp = client.post(f"{API}/people/{person_id}/dues/bases", json=body, headers=headers)
    assert resp.status_code == status, resp.json
    return resp.json


def generate(client, headers, unit_id, month: date, status=201):
    resp = client.post(f"{API}/dues/bills", json={"unit_id": unit_id, "month": month_text(month)}, headers=headers)
    assert resp.status_code == status, resp.json
    return resp.json


def pay(client, headers, person_id, first: date, last: date | None = None, amount="0", status=201, **extra):
    body = {"paid_on": extra.pop("paid_on", dates.today().isoformat()), "from_month": month_text(first),
            "amount": amount, **extra}
    if last:
        body["to_month"] = month_text(last)
    resp = client.post(f"{API}/people/{person_id}/dues/payments", json=body, headers=headers)
    assert resp.status_code == status, resp.json
    return resp.json


def report(client, headers, under, first: date, last: date, **query):
    resp = client.get(f"{API}/dues/report", query_string={"under": under, "from_month": month_text(first),
                                                          "to_month": month_text(last), **query}, headers=headers)
    assert resp.status_code == 200, resp.data[:500]
    return resp


# ----------------------------------------------------------------------------- a branch of 30, through the gateway

@pytest.fixture
def gateway(members, tree, tmp_path):
    server = make_server("127.0.0.1", 0, members, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield gateway_for(tmp_path, {"members": f"http://127.0.0.1:{server.server_port}"})
    server.shutdown()


def register_branch(client, headers, unit_id) -> dict:
    """The 30 members of BRANCH with their bases; the base and amount each answer are checked on the way."""
    ids = {}
    for name, category, income, deductions, farmer, base, dues in BRANCH:
        person = full_member(client, headers, unit_id, name)
        recorded = record_base(client, headers, person["id"], base_body(category, income, deductions, farmer))
        assert (recorded["base"], recorded["amount"]) == (base, dues), name
        ids[person["id"]] = name
    return ids


def test_a_branch_of_30_in_every_category_computes_to_the_fen(gateway, members, tree, county):
    hand = {name: D(dues) for name, *_, dues in BRANCH}
    assert len(hand) == 30
    assert sum(hand.values()) == D(BRANCH_MONTH)
    assert {row[1] for row in BRANCH} == {"employed", "retired", "student", "unemployed", "minimum_living", "farmer"}
    ids = register_branch(gateway, county, tree.id("v"))
    month = months_ago(1)

    made = generate(gateway, county, tree.id("v"), month)
    assert (made["created"], made["existing"], made["amount"], made["without_base"]) == (30, 0, BRANCH_MONTH, 0)
    again = generate(gateway, county, tree.id("v"), month)      # idempotent per branch and month
    assert (again["created"], again["existing"], again["amount"]) == (0, 30, "0.00")

    bills = gateway.get(f"{API}/dues/bills", query_string={"under": tree.id("v"), "month": month_text(month),
                                                           "limit": 100}, headers=county).json["items"]
    assert {ids[b["person_id"]]: D(b["due"]) for b in bills} == hand
    assert all(b["due"].count(".") == 1 and len(b["due"].split(".")[1]) == 2 for b in bills)   # text, to the fen

    figures = report(gateway, county, tree.id("a"), month, month).json
    assert figures["total"] == {"due": BRANCH_MONTH, "paid": "0.00", "outstanding": BRANCH_MONTH, "bills": 30,
                                "paid_bills": 0, "late": 0}
    [branch] = figures["branches"]
    assert (branch["unit_id"], branch["due"]) == (tree.id("v"), BRANCH_MONTH)

    paid_ids = [pid for pid, name in ids.items() if name in ("甲11", "乙17", "己30")]
    for pid, amount in zip(paid_ids, ("107.29", "21.61", "0.80")):
        pay(gateway, county, pid, month, amount=amount, paid_on=dates.today().isoformat())
    figures = report(gateway, county, tree.id("v"), month, month).json
    assert (figures["total"]["paid"], figures["total"]["outstanding"]) == ("129.70", "1202.31")   # 1332.01 - 129.70
    assert (figures["total"]["paid_bills"], figures["total"]["late"]) == (3, 3)   # last month, paid this month

    sheet = report(gateway, county, tree.id("v"), month, month, format="xlsx")
    assert sheet.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(sheet.data), read_only=True)
    rows = list(book["按月汇总"].iter_rows(values_only=True))
    assert rows[0][:5] == ("月份", "应交人数", "已交人数", "应交金额（元）", "实交金额（元）")
    assert rows[-1][0] == "合计"
    assert D(str(rows[-1][3])) == D(BRANCH_MONTH)
    assert D(str(rows[-1][5])) == D("1202.31")
    branch_rows = list(book["按支部"].iter_rows(values_only=True))
    assert branch_rows[1][0] == "unit v"
    assert branch_rows[1][2] == month_text(month)

    csv_text = report(gateway, county, tree.id("v"), month, month, format="csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[1].endswith(f"{month_text(month)},30,3,{BRANCH_MONTH},129.70,1202.31,3")


# ----------------------------------------------------------------------------- bases

def test_a_base_is_recorded_with_what_it_came_from_and_an_event(client, members, tree, county):
    person = full_member(client, county, tree.id("v"), "王在职")
    body = base_body("employed", ["6500.00", "800.50"], {"income_tax": "310.25", "pension": "520.00",
                                                         "medical": "130.00", "unemployment": "32.50",
                                                         "housing_fund": "780.00"}, None, year=2026)
    out = record_base(client, county, person["id"], body)
    assert (out["base"], out["rate"], out["amount"], out["effective_from"]) == ("5527.75", "0.015", "82.92", "2026-01")
    assert out["income"] == [{"item": "收入1", "amount": "6500.00"}, {"item": "收入2", "amount": "800.50"}]
    assert {d["kind"]: d["amount"] for d in out["deductions"]}["housing_fund"] == "780.00"
    [event] = [e for e in pending_events(members) if e.type == "members.dues.based"]
    assert (event.data["amount"], event.data["base"], event.data["category"]) == ("82.92", "5527.75", "employed")

    shown = client.get(f"{API}/people/{person['id']}/dues", headers=county).json
    assert [b["amount"] for b in shown["bases"]] == ["82.92"]
    assert shown["arrears"] is None


@pytest.mark.parametrize("body, status, where", [
    ({"category": "employed", "income": [{"item": "工资", "amount": "1000"}],
      "deductions": [{"kind": "pension", "amount": "1000.01"}]}, 409, "DUES.BASE"),
    ({"category": "employed"}, 409, "DUES.BASE"),
    ({"category": "farmer", "amount": "1.01"}, 409, "DUES.RATE"),
    ({"category": "student", "income": [{"item": "工资", "amount": "100"}]}, 422, "income"),
    ({"category": "retired", "amount": "0.50", "income": [{"item": "养老金", "amount": "100"}]}, 422, "amount"),
    ({"category": "employed", "income": [{"item": "工资", "amount": "100.001"}]}, 422, "income"),    # beyond the fen
    ({"category": "employed", "income": [{"item": "工资", "amount": "NaN"}]}, 422, "income"),
    ({"category": "employed", "income": [{"item": "工资", "amount": 1e308}]}, 422, "income"),
    ({"category": "employed", "income": [{"item": "工资", "amount": "-5"}]}, 422, "income"),
    ({"category": "employed", "income": [{"item": "工资", "amount": True}]}, 422, "income"),
    ({"category": "employed", "deductions": [{"kind": "tips", "amount": "1"}]}, 422, "deductions"),
    ({"category": "soldier"}, 422, "category"),
    ({"category": "student", "year": 1999}, 422, "year"),
    ({"category": "student", "from_month": 13}, 422, "from_month"),
    ({"category": "student", "from_month": 1.5}, 422, "from_month"),
])
def test_bad_bases_are_refused_and_change_nothing(client, tree, county, body, status, where):
    person = full_member(client, county, tree.id("v"), "赵")
    resp = client.post(f"{API}/people/{person['id']}/dues/bases", json={"year": 2026, **body}, headers=county)
    assert resp.status_code == status, resp.json
    if status == 409:
        assert resp.json["code"] == where
    else:
        assert where in resp.json["errors"]["json"]
    assert client.get(f"{API}/people/{person['id']}/dues", headers=county).json["bases"] == []


def test_a_new_base_reprices_the_unpaid_bills_it_covers(client, tree, county):
    person = full_member(client, county, tree.id("v"), "钱涨薪")
    record_base(client, county, person["id"], base_body("employed", ["3000.00"], {}, None))
    first, second = months_ago(2), months_ago(1)
    generate(client, county, tree.id("v"), first)
    generate(client, county, tree.id("v"), second)
    pay(client, county, person["id"], first, amount="15.00")
    body = {**base_body("employed", ["4000.00"], {}, None, year=second.year), "from_month": second.month}
    assert record_base(client, county, person["id"], body)["bills_repriced"] == 1
    bills = client.get(f"{API}/people/{person['id']}/dues", headers=county).json["bills"]
    assert [(b["month"], b["due"], b["paid"]) for b in bills] == [(month_text(first), "15.00", "15.00"),
                                                                  (month_text(second), "40.00", "0.00")]


# ----------------------------------------------------------------------------- bills

def test_bills_skip_who_pays_nothing_yet_and_name_who_has_no_base(client, tree, county):
    month = months_ago(1)
    with_base = full_member(client, county, tree.id("v"), "有基数")
    record_base(client, county, with_base["id"], base_body("student", [], {}, None))
    without = full_member(client, county, tree.id("v"), "无基数")
    later = register(client, county, tree.id("v"), name="新党员", stage="probationary", birth_date="1990-01-01",
                     probationary_since=dates.today().isoformat())
    record_base(client, county, later["id"], base_body("student", [], {}, None))
    register(client, county, tree.id("v"), name="申请人")                 # not a member: no dues
    made = generate(client, county, tree.id("v"), month)
    assert (made["created"], made["without_base"], made["without_base_people"], made["not_yet_members"]) == \
        (1, 1, [without["id"]], 1 if this_month() > month else 0)


def test_bills_are_not_made_for_a_month_ahead_or_outside_the_scope(client, members, tree, county):
    resp = client.post(f"{API}/dues/bills", json={"unit_id": tree.id("v"), "month": month_text(
        dates.add_months(this_month(), 1))}, headers=county)
    assert resp.status_code == 422
    assert "month" in resp.json["errors"]["json"]
    other = auth(members, "organizer", scope=tree.id("z"))
    assert client.post(f"{API}/dues/bills", json={"unit_id": tree.id("v"), "month": month_text(months_ago(1))},
                       headers=other).status_code == 404
    for month in ("2026-13", "2026-1", "1999-12", "2026-02-01", 202601):
        resp = client.post(f"{API}/dues/bills", json={"unit_id": tree.id("v"), "month": month}, headers=county)
        assert resp.status_code == 422, month


# ----------------------------------------------------------------------------- payments

@pytest.fixture
def payer(client, tree, county):
    person = full_member(client, county, tree.id("v"), "孙交费")
    record_base(client, county, person["id"], base_body("employed", ["5000.00"], {}, None))   # 50.00 a month
    return person


def test_payments_of_a_month_a_quarter_in_advance_and_arrears(client, members, tree, county, payer):
    pid = payer["id"]
    now = this_month()
    out = pay(client, county, pid, now, amount="50.00")
    assert (out["kind"], out["due"], out["extra"]) == ("monthly", "50.00", "0.00")
    ahead = pay(client, county, pid, dates.add_months(now, 1), dates.add_months(now, 3), amount="160.00")
    assert (ahead["kind"], ahead["due"], ahead["extra"]) == ("advance", "150.00", "10.00")   # 10.00 given freely
    generate(client, county, tree.id("v"), months_ago(2))
    late = pay(client, county, pid, months_ago(2), amount="50.00")
    assert late["kind"] == "arrears"
    bills = {b["month"]: b for b in client.get(f"{API}/people/{pid}/dues", headers=county).json["bills"]}
    assert bills[month_text(months_ago(2))]["late"] is True
    assert bills[month_text(now)]["late"] is False
    assert bills[month_text(dates.add_months(now, 3))]["paid"] == "50.00"    # billed when paid in advance
    types = [e.type for e in pending_events(members)]
    assert types.count("members.dues.paid") == 3

    quarter_start = date(now.year, (now.month - 1) // 3 * 3 + 1, 1)
    other = full_member(client, county, tree.id("v"), "李按季")
    record_base(client, county, other["id"], base_body("retired", ["3000.00"], {}, None))     # 15.00 a month
    assert pay(client, county, other["id"], quarter_start, dates.add_months(quarter_start, 2),
               amount="45.00")["kind"] == "quarterly"


def test_payments_that_break_the_rules_are_refused_and_change_nothing(client, tree, county, payer):
    pid = payer["id"]
    now = this_month()
    short = pay(client, county, pid, now, dates.add_months(now, 1), amount="99.99", status=409)
    assert short["code"] == "DUES.MONTHLY"
    too_far = pay(client, county, pid, now, dates.add_months(now, 13), amount="700.00", status=409)
    assert too_far["code"] == "DUES.MONTHLY"
    pay(client, county, pid, now, amount="50.00", reference="B-1")
    again = pay(client, county, pid, now, amount="50.00", status=409)
    assert again["code"] == "DUES.MONTHLY"
    assert pay(client, county, pid, dates.add_months(now, 1), amount="50.00", reference="B-1", status=409)
    tomorrow = date.fromordinal(dates.today().toordinal() + 1).isoformat()
    resp = pay(client, county, pid, now, amount="50.00", paid_on=tomorrow, status=422)
    assert "paid_on" in resp["errors"]["json"]
    for amount in ("50.001", "-1", "abc", None, 1e300):
        assert pay(client, county, pid, now, amount=amount, status=422)
    no_base = full_member(client, county, tree.id("v"), "无基数")
    assert pay(client, county, no_base["id"], now, amount="1.00", status=409)["code"] == "DUES.BASE"
    shown = client.get(f"{API}/people/{pid}/dues", headers=county).json
    assert len(shown["payments"]) == 1
    assert len(shown["bills"]) == 1


def test_a_probationary_member_pays_from_the_month_of_admission(client, tree, county):
    admitted = months_ago(2).replace(day=15)
    person = register(client, county, tree.id("v"), name="周预备", stage="probationary", birth_date="1995-01-01",
                      probationary_since=admitted.isoformat())
    record_base(client, county, person["id"], base_body("student", [], {}, None))
    assert pay(client, county, person["id"], months_ago(3), amount="0.40", status=409)["code"] == "DUES.MONTHLY"
    assert pay(client, county, person["id"], months_ago(2), months_ago(1), amount="0.40")["kind"] == "arrears"


# ----------------------------------------------------------------------------- arrears

def test_six_months_unpaid_raise_the_alert_and_the_ground_never_a_removal(client, members, tree, county):
    late = full_member(client, county, tree.id("v"), "吴欠费")
    record_base(client, county, late["id"], base_body("employed", ["3000.01"], {}, None))   # 30.00 a month
    payer = full_member(client, county, tree.id("v"), "郑按时")
    record_base(client, county, payer["id"], base_body("employed", ["3000.00"], {}, None))
    url = f"{API}/dues/arrears"
    for n in (6, 5, 4, 3, 2, 1):
        made = generate(client, county, tree.id("v"), months_ago(n))
        pay(client, county, payer["id"], months_ago(n), amount="15.00")
        arrears = client.get(url, query_string={"under": tree.id("v")}, headers=county).json["items"]
        unpaid = 7 - n
        if unpaid < 3:
            assert arrears == []
        else:
            [item] = arrears
            assert (item["person_id"], item["months"], item["code"]) == (late["id"], unpaid, "DUES.ARREARS")
            assert item["level"] == ("ground" if unpaid >= 6 else "alert")
            assert item["outstanding"] == str(D("30.00") * unpaid)
            assert item["ground_recorded"] is (unpaid >= 6)
            assert made["grounds_recorded"] == (1 if unpaid == 6 else 0)
    assert (item["since"], item["until"]) == (month_text(months_ago(6)), month_text(months_ago(1)))

    actions = client.get(f"{API}/people/{late['id']}/management", headers=county).json["items"]
    [ground] = [a for a in actions if a["kind"] == "dues_arrears"]
    assert ground["payload"]["ground"] == "MEMBERS.UNQUALIFIED"
    assert ground["payload"]["months"] == 6
    person = client.get(f"{API}/people/{late['id']}", headers=county).json
    assert (person["status"], person["stage"]) == ("active", "full")             # no removal by itself
    [event] = [e for e in pending_events(members) if e.type == "members.dues.overdue"]
    assert (event.data["person_id"], event.data["months"], event.data["outstanding"]) == (late["id"], 6, "180.00")

    generate(client, county, tree.id("v"), months_ago(1))                       # the ground is recorded once
    actions = client.get(f"{API}/people/{late['id']}/management", headers=county).json["items"]
    assert [a["kind"] for a in actions].count("dues_arrears") == 1
    assert client.get(url, query_string={"level": "alert"}, headers=county).json["items"] == []

    paid = pay(client, county, late["id"], months_ago(6), months_ago(1), amount="180.00")
    assert paid["kind"] == "arrears"
    assert client.get(url, headers=county).json["items"] == []
    shown = client.get(f"{API}/people/{late['id']}/dues", headers=county).json
    assert shown["arrears"] is None
    assert all(b["late"] for b in shown["bills"])

    other = auth(members, "organizer", scope=tree.id("z"))
    assert client.get(url, query_string={"under": tree.id("v")}, headers=other).status_code == 404


def test_the_nightly_job_bills_the_month_for_every_member_without_a_bill(client, members, tree, county):
    from services.members.dues import JOBS, nightly_bills

    assert [job.name for job in JOBS][:1] == ["dues-bills"]         # the worker runs it every night, at 01:30
    first = full_member(client, county, tree.id("v"), "钱夜一")
    record_base(client, county, first["id"], base_body("employed", ["3000.01"], {}, None))    # 30.00 a month
    second = full_member(client, county, tree.id("b2"), "孙夜二")
    record_base(client, county, second["id"], base_body("retired", ["5000.00"], {}, None))    # 25.00
    full_member(client, county, tree.id("v"), "李无基数")                                   # named, not billed
    month = month_text(this_month())

    assert nightly_bills(members) == {"month": month, "created": 2, "amount": "55.00"}
    bills = client.get(f"{API}/dues/bills", query_string={"month": month}, headers=county).json["items"]
    assert {(b["person_id"], b["due"]) for b in bills} == {(first["id"], "30.00"), (second["id"], "25.00")}
    billed = [e for e in pending_events(members) if e.type == "members.dues.billed"]
    assert {(e.data["unit_id"], e.data["bills"], e.data["amount"]) for e in billed} == {
        (tree.id("v"), 1, "30.00"), (tree.id("b2"), 1, "25.00")}

    assert nightly_bills(members) == {"month": month, "created": 0, "amount": "0.00"}     # the next night
    late = full_member(client, county, tree.id("b2"), "周新来")
    record_base(client, county, late["id"], base_body("student", [], {}, None))
    assert nightly_bills(members) == {"month": month, "created": 1, "amount": "0.20"}
    assert generate(client, county, tree.id("b2"), this_month())["created"] == 0              # nothing left to bill


def test_a_subtree_is_billed_in_batches_of_whole_branches_as_in_one(members, tree):
    scenario_billed_in_batches_of_whole_branches_as_in_one(members, tree)


def scenario_billed_in_batches_of_whole_branches_as_in_one(members, tree):
    """The nightly job bills a province in batches of whole branches (``bill_month(batch=...)``): the same bills,
    the same answer and one event per branch as one pass (on PostgreSQL the batches read the bases and the
    bills already made by index probes, elsewhere by chunked selects)."""
    from services.members.dues import bill_month

    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    people = {}
    for key, names in (("v", ["赵一", "赵二", "赵三"]), ("b2", ["钱一", "钱二"]), ("bg", ["孙一"])):
        for i, name in enumerate(names):
            person = full_member(client, county, tree.id(key), name)
            record_base(client, county, person["id"], base_body("employed", [f"{3000 + 1000 * i}.00"], {}, None))
            people[person["id"]] = key
    full_member(client, county, tree.id("b2"), "钱无基数")
    kit = members.extensions["zhibu"]
    outcomes = {}
    for batch, month in ((2, months_ago(2)), (1_000, months_ago(1))):   # three batches; one
        with kit.db.Session() as session:
            outcomes[batch] = bill_month(session, kit.models.OutboxEvent, tree.path("a"), month, batch=batch)
            session.commit()
    for outcome in outcomes.values():
        outcome.pop("month")
    assert outcomes[2] == outcomes[1_000]
    # 15.00 + 40.00 + 50.00 (v), 15.00 + 40.00 (b2), 15.00 (bg)
    assert (outcomes[2]["created"], outcomes[2]["amount"], outcomes[2]["without_base"]) == (6, D("175.00"), 1)
    for month in (months_ago(2), months_ago(1)):
        bills = client.get(f"{API}/dues/bills", query_string={"month": month_text(month), "limit": 100},
                           headers=county).json["items"]
        assert sorted(b["person_id"] for b in bills) == sorted(people)
        billed = [e.data for e in pending_events(members) if e.type == "members.dues.billed"
                  and e.data["month"] == month_text(month)]
        assert sorted((e["unit_id"], e["bills"]) for e in billed) == sorted(
            (tree.id(key), n) for key, n in (("v", 3), ("b2", 2), ("bg", 1)))     # one event per branch


# ----------------------------------------------------------------------------- imports

def as_csv(rows):
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")


def test_payments_imported_from_the_bank_file(client, members, tree, county):
    people = []
    for serial, base in ((11, "3000.00"), (12, "5000.01")):
        person = full_member(client, county, tree.id("v"), f"导入{serial}", id_number=id_number("1970-01-01", serial))
        record_base(client, county, person["id"], base_body("employed", [base], {}, None))
        people.append(person)
    month = months_ago(1)
    generate(client, county, tree.id("v"), month)
    today = dates.today().isoformat()
    header = ["身份证号码", "姓名", "交纳日期", "起始月份", "截止月份", "金额", "交纳方式", "流水号"]
    good = [header,
            [id_number("1970-01-01", 11), "导入11", today, month_text(month), "", "15.00", "银行", "T-1"],
            ["", "", today, month_text(this_month()), "", "75", "网上平台", "T-2"]]
    good[2][0] = id_number("1970-01-01", 12)
    url = f"{API}/dues/payments/imports"
    bad = [*good, [id_number("1970-01-01", 13), "", today, month_text(month), "", "1.00", "", "T-3"],
           [id_number("1970-01-01", 11), "导入11", today, "2026-13", "", "15.00", "", "T-4"],
           [id_number("1970-01-01", 12), "别人", today, month_text(month), "", "1.00", "", "T-5"],
           [id_number("1970-01-01", 12), "", today, month_text(month), "", "15.001", "", "T-6"]]
    resp = client.post(url, data=as_csv(bad), content_type="text/csv", headers=county)
    assert resp.status_code == 422, resp.json
    errors = {(e["line"], e["field"]) for e in resp.json["report"]["errors"]}
    assert errors >= {(4, "id_number"), (5, "from_month"), (6, "name"), (7, "amount")}
    assert client.get(f"{API}/dues/payments", headers=county).json["items"] == []          # nothing written

    dry = client.post(url, data=as_csv(good), content_type="text/csv", headers=county,
                      query_string={"dry_run": "true"})
    assert dry.status_code == 200
    assert dry.json["error_count"] == 0
    done = client.post(url, data=as_csv(good), content_type="text/csv", headers=county)
    assert done.status_code == 201, done.json
    assert (done.json["created"], done.json["existing"], done.json["amount"]) == (2, 0, "90.00")
    again = client.post(url, data=as_csv(good), content_type="text/csv", headers=county)
    assert (again.json["created"], again.json["existing"]) == (0, 2)
    listed = client.get(f"{API}/dues/payments", query_string={"import_id": done.json["import_id"]},
                        headers=county).json["items"]
    assert sorted((p["reference"], p["kind"], p["channel"]) for p in listed) == [("T-1", "arrears", "bank"),
                                                                                  ("T-2", "monthly", "platform")]
    short = [header, [id_number("1970-01-01", 12), "", today, month_text(dates.add_months(this_month(), 1)), "",
                      "74.99", "", "T-9"]]
    resp = client.post(url, data=as_csv(short), content_type="text/csv", headers=county)
    assert resp.status_code == 422
    assert "DUES.MONTHLY" in resp.json["report"]["errors"][0]["message"]

    outsider = auth(members, "organizer", scope=tree.id("z"))
    resp = client.post(url, data=as_csv(good), content_type="text/csv", headers=outsider)
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json["report"]["errors"]} == {"id_number"}


# ----------------------------------------------------------------------------- scope

def test_the_report_is_scope_checked(client, members, tree, county):
    person = full_member(client, county, tree.id("v"), "范围")
    record_base(client, county, person["id"], base_body("student", [], {}, None))
    generate(client, county, tree.id("v"), months_ago(1))
    other = auth(members, "organizer", scope=tree.id("z"))
    resp = client.get(f"{API}/dues/report", query_string={"under": tree.id("v")}, headers=other)
    assert resp.status_code == 404
    mine = client.get(f"{API}/dues/report", query_string={"from_month": month_text(months_ago(1)),
                                                          "to_month": month_text(months_ago(1))}, headers=other)
    assert mine.json["total"]["bills"] == 0
    secretary = auth(members, "secretary", scope=tree.id("v"))
    own = report(client, secretary, None, months_ago(1), months_ago(1)).json
    assert own["total"]["due"] == "0.20"
    assert client.get(f"{API}/people/{person['id']}/dues", headers=other).status_code == 404
    resp = client.get(f"{API}/dues/report", query_string={"from_month": "2026-05", "to_month": "2026-04"},
                      headers=county)
    assert resp.status_code == 422


# ----------------------------------------------------------------------------- PostgreSQL

def members_on_postgresql(make_app, pg_url):
    """The members app on a fresh PostgreSQL database, with the test tree."""
    app = make_app("members", database_url=pg_url("members"))
    tree = Tree(app)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    return app, tree


@pytest.mark.infra
def test_a_subtree_is_billed_in_batches_of_whole_branches_as_in_one_on_postgresql(make_app, pg_url):
    app, tree = members_on_postgresql(make_app, pg_url)
    scenario_billed_in_batches_of_whole_branches_as_in_one(app, tree)


@pytest.mark.infra
def test_bills_payments_and_the_report_on_postgresql(make_app, pg_url):
    app, tree = members_on_postgresql(make_app, pg_url)
    client, county = app.test_client(), auth(app, "organizer", scope=tree.id("a"))
    ids = register_branch(client, county, tree.id("v"))
    month = months_ago(1)
    made = generate(client, county, tree.id("v"), month)                 # COPY of the bills
    assert (made["created"], made["amount"]) == (30, BRANCH_MONTH)
    assert generate(client, county, tree.id("a"), month)["created"] == 0
    name_of = {v: k for k, v in ids.items()}
    pay(client, county, name_of["甲12"], month, dates.add_months(month, 2), amount="900.60")
    figures = report(client, county, tree.id("a"), month, month).json
    assert (figures["total"]["due"], figures["total"]["paid"], figures["total"]["outstanding"]) == \
        (BRANCH_MONTH, "300.20", "1031.81")
    for n in (6, 5, 4, 3, 2):
        generate(client, county, tree.id("v"), months_ago(n))
    grounds = client.get(f"{API}/dues/arrears", query_string={"level": "ground"}, headers=county).json["items"]
    assert len(grounds) == 29
    assert all(g["ground_recorded"] for g in grounds)  # all but 甲12 (paid ahead)
