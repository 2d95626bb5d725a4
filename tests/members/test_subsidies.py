"""Dues subsidies (DUES.SUBSIDY) through the members API: granted by a committee to an organization under it,
within the dues its organizations paid that year, carried to org by ``members.dues.subsidized``."""
from __future__ import annotations

from shared.testing import auth, pending_events

from .conftest import full_member

API = "/api/members/v1"
SUBSIDIES = f"{API}/dues/subsidies"


def paid_member(client, headers, unit_id, name, amount):
    """A retired member (1% of a 6,000.00 base: 60.00 a month) who paid ``amount`` for 2026's first months."""
    m = full_member(client, headers, unit_id, name)
    base = client.post(f"{API}/people/{m['id']}/dues/bases", headers=headers, json={
        "year": 2026, "from_month": 1, "category": "retired", "income": [{"item": "养老金", "amount": "6000.00"}]})
    assert base.status_code == 201, base.json
    months = int(float(amount)) // 60
    paid = client.post(f"{API}/people/{m['id']}/dues/payments", headers=headers, json={
        "paid_on": "2026-06-30", "from_month": "2026-01", "to_month": f"2026-{months:02d}", "amount": amount})
    assert paid.status_code == 201, paid.json
    return m


def grant(client, headers, from_unit, unit, amount, status=201, **extra):
    body = {"from_unit_id": from_unit, "unit_id": unit, "amount": amount, "granted_on": "2026-07-01", **extra}
    resp = client.post(SUBSIDIES, headers=headers, json=body)
    assert resp.status_code == status, resp.json
    return resp.json


def test_a_subsidy_goes_back_within_the_dues_collected(client, members, tree, county):
    paid_member(client, county, tree.id("v"), "甲", "360.00")
    paid_member(client, county, tree.id("b2"), "乙", "120.00")         # county A collected 480.00 in 2026
    first = grant(client, county, tree.id("a"), tree.id("v"), "300.00", note="党费补助（活动经费）")
    assert (first["amount"], first["year"], first["unit_id"]) == ("300.00", 2026, tree.id("v"))
    event = [e for e in pending_events(members) if e.type == "members.dues.subsidized"][-1]
    assert (event.data["subsidy_id"], event.data["unit_id"], event.data["amount"]) == (
        first["id"], tree.id("v"), "300.00")
    assert event.org_path == tree.path("v")
    over = grant(client, county, tree.id("a"), tree.id("b2"), "180.01", status=409)
    assert over["code"] == "DUES.SUBSIDY"
    assert over["violations"][0]["facts"]["collected"] == "480.00"
    grant(client, county, tree.id("a"), tree.id("b2"), "180.00")       # all of it back: allowed
    listed = client.get(SUBSIDIES, headers=county, query_string={"year": 2026}).json["items"]
    assert sorted(s["amount"] for s in listed) == ["180.00", "300.00"]
    other_year = grant(client, county, tree.id("a"), tree.id("v"), "1.00", year=2025, status=409)
    assert other_year["code"] == "DUES.SUBSIDY"                        # nothing collected in 2025


def test_a_subsidy_goes_down_the_tree_and_is_scope_checked(client, members, tree, county):
    paid_member(client, county, tree.id("v"), "丙", "120.00")
    sideways = grant(client, county, tree.id("v"), tree.id("b2"), "10.00", status=422)
    assert "unit_id" in sideways["errors"]["json"]
    itself = grant(client, county, tree.id("a"), tree.id("a"), "10.00", status=422)
    assert "unit_id" in itself["errors"]["json"]
    outside = grant(client, county, tree.id("a"), tree.id("bz"), "10.00", status=404)
    assert outside["status"] == 404
    secretary = auth(members, "secretary", scope=tree.id("v"))
    assert grant(client, secretary, tree.id("v"), tree.id("v"), "10.00", status=403)["status"] == 403
    zero = grant(client, county, tree.id("a"), tree.id("v"), "0", status=422)
    assert "amount" in zero["errors"]["json"]
    future = grant(client, county, tree.id("a"), tree.id("v"), "1.00", granted_on="2099-01-01", status=422)
    assert "granted_on" in future["errors"]["json"]
