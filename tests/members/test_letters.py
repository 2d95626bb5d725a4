"""Transfer letters with their stubs and receipts (TRANSFER.*) through the members API: a letter numbered in
the province's sequence with its validity and the month dues are paid to, printable in the three-part layout;
arrival, receipt, expiry and reissue, each with If-Match; deadlines recorded late, never refused; alerts to
both sides; transfers to and from outside the province."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shared.testing import at_once, auth, pending_events

from .conftest import TREE, Tree, full_member

API = "/api/members/v1"
TRANSFERS = f"{API}/transfers"


@pytest.fixture
def other(members, tree):
    """An organizer of county Z, the receiving side."""
    return auth(members, "organizer", scope=tree.id("z"))


def send(client, headers, person_id, to_unit_id, on="2026-03-01", **extra):
    body = {"person_id": person_id, "requested_on": on, **extra}
    if to_unit_id:
        body["to_unit_id"] = to_unit_id
    resp = client.post(TRANSFERS, headers=headers, json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


def letter_of(client, headers, tid):
    resp = client.get(f"{TRANSFERS}/{tid}/letter", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp


def record(client, headers, tid, action, on, status=200):
    etag = letter_of(client, headers, tid).headers["ETag"]
    resp = client.patch(f"{TRANSFERS}/{tid}/letter", json={"action": action, "on": on},
                        headers={**headers, "If-Match": etag})
    assert resp.status_code == status, resp.json
    return resp.json


def move(client, headers, tid, status, on):
    etag = client.get(f"{TRANSFERS}/{tid}", headers=headers).headers["ETag"]
    resp = client.patch(f"{TRANSFERS}/{tid}", json={"status": status, "on": on}, headers={**headers, "If-Match": etag})
    assert resp.status_code == 200, resp.json
    return resp.json


def alerts(client, headers, as_of, **query):
    resp = client.get(f"{API}/alerts", query_string={"as_of": as_of, "horizon_days": 0, **query}, headers=headers)
    assert resp.status_code == 200, resp.json
    return [a for a in resp.json["items"] if a["kind"].startswith("letter_")]


def test_a_letter_flows_from_issue_to_receipt_and_both_sides_are_alerted(client, members, tree, county, other):
    m = full_member(client, county, tree.id("v"), "持信人")
    pay = client.post(f"{API}/people/{m['id']}/dues/bases", headers=county,
                      json={"year": 2026, "from_month": 1, "category": "student"})
    assert pay.status_code == 201, pay.json
    paid = client.post(f"{API}/people/{m['id']}/dues/payments", headers=county,
                       json={"paid_on": "2026-02-10", "from_month": "2026-01", "to_month": "2026-02", "amount": "0.40"})
    assert paid.status_code == 201, paid.json
    t = send(client, county, m["id"], tree.id("bz"))
    letter = t["letter"]
    assert letter["number"] == "鲁组转〔2026〕第000001号"
    assert letter["valid_until"] == "2026-06-01"
    assert letter["dues_paid_to"] == "2026-02"
    assert letter["status"] == "issued"
    issued = [e for e in pending_events(members) if e.type == "members.letter.issued"]
    assert [e.data["number"] for e in issued] == ["鲁组转〔2026〕第000001号"]
    # the member is to report in by the letter's last valid day: both sides see it, overdue the day after
    for side in (county, other):
        due = alerts(client, side, "2026-06-01")
        assert [(a["kind"], a["code"], a["overdue"]) for a in due] == [("letter_report_in", "TRANSFER.REPORT_IN", False)]
        late = alerts(client, side, "2026-06-02")
        assert [(a["transfer_id"], a["overdue"], a["days"]) for a in late] == [(t["id"], True, -1)]
    third = auth(members, "organizer", scope=tree.id("g"))
    assert alerts(client, third, "2026-06-02") == []
    # the receiving side completes the transfer: the letter arrived, the receipt is due a month later
    move(client, other, t["id"], "accepted", "2026-03-05")
    move(client, other, t["id"], "completed", "2026-03-31")
    arrived = letter_of(client, county, t["id"]).json
    assert arrived["status"] == "arrived"
    assert arrived["arrived_on"] == "2026-03-31"
    assert arrived["receipt_due_on"] == "2026-04-30"
    assert arrived["breaches"] == []
    for side in (county, other):
        assert [(a["kind"], a["overdue"]) for a in alerts(client, side, "2026-04-30")] == [("letter_receipt", False)]
        assert [(a["kind"], a["overdue"]) for a in alerts(client, side, "2026-05-01")] == [("letter_receipt", True)]
    # returned late: recorded as it happened, with the breach, and the alerts end
    returned = record(client, county, t["id"], "receipt_returned", "2026-05-04")
    assert returned["receipt_returned_on"] == "2026-05-04"
    assert [b["code"] for b in returned["breaches"]] == ["TRANSFER.RECEIPT"]
    assert returned["breaches"][0]["facts"]["days_late"] == 4
    assert alerts(client, county, "2026-05-05") == []
    breaches = client.get(f"{API}/reports/breaches", headers=other).json["items"]
    assert {"code": "TRANSFER.RECEIPT", "kind": "letter_receipt", "breached": 1, "overdue": 0} in breaches
    twice = record(client, county, t["id"], "receipt_returned", "2026-05-05", status=409)
    assert twice["status"] == 409


def test_the_printable_letter_has_the_three_parts(client, tree, county):
    m = full_member(client, county, tree.id("v"), "王持信", ethnicity="汉族")
    t = send(client, county, m["id"], tree.id("bz"))
    resp = client.get(f"{TRANSFERS}/{t['id']}/letter?format=xlsx", headers=county)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(resp.data)).active
    text = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
    titles = [line for line in text if line.startswith("中国共产党党员组织关系介绍信")]
    assert titles == ["中国共产党党员组织关系介绍信（存根）", "中国共产党党员组织关系介绍信", "中国共产党党员组织关系介绍信回执"]
    assert text.count(t["letter"]["number"]) == 3
    assert any("王持信同志" in line and "unit bz" in line for line in text)


def test_numbers_are_one_sequence_in_the_province(client, tree, county, members):
    numbers = []
    for n, unit in enumerate(("v", "b2", "bg")):
        m = full_member(client, county, tree.id(unit), f"成员{n}")
        numbers.append(send(client, county, m["id"], tree.id("bz"))["letter"]["number"])
    assert numbers == [f"鲁组转〔2026〕第00000{i}号" for i in (1, 2, 3)]


def test_a_late_arrival_is_recorded_with_its_breach(client, tree, county, other):
    m = full_member(client, county, tree.id("v"), "迟到")
    t = send(client, county, m["id"], tree.id("bz"), on="2026-01-10")
    move(client, other, t["id"], "accepted", "2026-01-12")
    move(client, other, t["id"], "completed", "2026-04-11")          # valid until 2026-04-10
    letter = letter_of(client, other, t["id"]).json
    assert letter["status"] == "arrived"
    assert [b["code"] for b in letter["breaches"]] == ["TRANSFER.REPORT_IN"]


def test_an_expired_letter_is_reissued_once_with_a_new_number(client, members, tree, county, other):
    m = full_member(client, county, tree.id("v"), "过期")
    t = send(client, county, m["id"], tree.id("bz"), on="2026-02-28")   # valid until 2026-05-28
    early = record(client, county, t["id"], "expired", "2026-05-28", status=409)
    assert early["code"] == "TRANSFER.LETTER"
    not_yet = record(client, county, t["id"], "reissued", "2026-05-29", status=409)
    assert not_yet["code"] == "TRANSFER.LETTER"
    receiving = record(client, other, t["id"], "expired", "2026-05-29", status=403)
    assert receiving["status"] == 403
    expired = record(client, county, t["id"], "expired", "2026-05-29")
    assert expired["status"] == "expired"
    assert alerts(client, other, "2026-06-01") == []                  # recorded expired: no longer waited for
    new = record(client, county, t["id"], "reissued", "2026-06-01")
    assert new["number"] == "鲁组转〔2026〕第000002号"
    assert new["valid_until"] == "2026-09-01"
    assert new["reissue_of_id"] == expired["id"]
    history = client.get(f"{TRANSFERS}/{t['id']}", headers=county).json
    assert [(x["number"], x["status"]) for x in history["letters"]] == [
        ("鲁组转〔2026〕第000001号", "reissued"), ("鲁组转〔2026〕第000002号", "issued")]
    record(client, county, t["id"], "expired", "2026-09-02")
    again = record(client, county, t["id"], "reissued", "2026-09-03", status=409)
    assert again["code"] == "TRANSFER.LETTER"
    assert [e.data["status"] for e in pending_events(members) if e.type == "members.letter.expired"] == [
        "expired", "expired"]


def test_a_letter_change_needs_if_match(client, tree, county):
    m = full_member(client, county, tree.id("v"), "并发")
    t = send(client, county, m["id"], tree.id("bz"), on="2026-01-05")
    url = f"{TRANSFERS}/{t['id']}/letter"
    assert client.patch(url, json={"action": "expired", "on": "2026-04-06"}, headers=county).status_code == 428
    etag = letter_of(client, county, t["id"]).headers["ETag"]
    assert client.patch(url, json={"action": "expired", "on": "2026-04-06"},
                        headers={**county, "If-Match": etag}).status_code == 200
    stale = client.patch(url, json={"action": "reissued", "on": "2026-04-07"}, headers={**county, "If-Match": etag})
    assert stale.status_code == 412


def test_a_transfer_out_of_the_province(client, members, tree, county):
    m = full_member(client, county, tree.id("v"), "出省")
    t = send(client, county, m["id"], None, to_external={"name": "中共北京市海淀区某街道工委", "address": "北京市海淀区"})
    assert t["scope"] == "out_of_province"
    assert t["to_external"] == {"name": "中共北京市海淀区某街道工委", "address": "北京市海淀区"}
    assert t["letter"]["number"] == "鲁组转〔2026〕第000001号"
    assert [a["kind"] for a in alerts(client, county, "2026-06-02")] == ["letter_report_in"]
    # the receiving side is outside Zhibu: the sending side records the arrival the receipt reports
    arrived = record(client, county, t["id"], "arrived", "2026-03-20")
    assert arrived["status"] == "arrived"
    assert client.get(f"{TRANSFERS}/{t['id']}", headers=county).json["status"] == "completed"
    person = client.get(f"{API}/people/{m['id']}", headers=county).json
    assert (person["status"], person["left_reason"], person["left_on"]) == ("left", "transferred_out", "2026-03-20")
    left = [e for e in pending_events(members) if e.type == "members.member.left"]
    assert [e.data["reason"] for e in left] == ["transferred_out"]
    assert [a["kind"] for a in alerts(client, county, "2026-04-21")] == ["letter_receipt"]
    returned = record(client, county, t["id"], "receipt_returned", "2026-04-15")
    assert returned["breaches"] == []


def test_a_transfer_into_the_province_tracks_the_receipt(client, tree, county, other):
    m = full_member(client, other, tree.id("bz"), "入省")
    body = {"person_id": m["id"], "from_external": {"name": "中共河北省某县委组织部", "address": "河北省某县"},
            "letter": {"number": "冀组转〔2026〕第000777号", "issued_on": "2026-01-05", "dues_paid_to": "2025-12",
                       "arrived_on": "2026-04-06"}}
    resp = client.post(TRANSFERS, headers=other, json=body)
    assert resp.status_code == 201, resp.json
    t = resp.json
    assert (t["scope"], t["status"], t["completed_on"]) == ("into_province", "completed", "2026-04-06")
    letter = t["letter"]
    assert (letter["number"], letter["issued_here"], letter["valid_until"]) == ("冀组转〔2026〕第000777号", False,
                                                                                  "2026-04-05")
    assert [b["code"] for b in letter["breaches"]] == ["TRANSFER.REPORT_IN"]   # a day after the validity
    assert letter["receipt_due_on"] == "2026-05-06"
    assert [a["kind"] for a in alerts(client, other, "2026-05-07")] == ["letter_receipt"]
    assert alerts(client, county, "2026-05-07") == []                          # not county A's business
    done = record(client, other, t["id"], "receipt_returned", "2026-05-06")
    assert done["breaches"] == letter["breaches"]


def test_a_transfer_names_one_receiving_side(client, tree, county):
    m = full_member(client, county, tree.id("v"), "两头")
    both = client.post(TRANSFERS, headers=county, json={
        "person_id": m["id"], "requested_on": "2026-03-01", "to_unit_id": tree.id("bz"),
        "to_external": {"name": "外省", "address": "某地"}})
    assert both.status_code == 422
    neither = client.post(TRANSFERS, headers=county, json={"person_id": m["id"], "requested_on": "2026-03-01"})
    assert neither.status_code == 422


def test_letters_on_postgresql_one_number_each_and_one_winner(make_app, pg_url):
    """Letters issued at once never share a number; of two changes with one ETag exactly one wins."""
    app = make_app("members", database_url=pg_url("members"))
    tree = Tree(app)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = app.test_client(), auth(app, "organizer", scope=tree.id("a"))
    people = [full_member(client, county, tree.id("v"), f"并发{n}") for n in range(6)]
    answers = at_once(app, *[lambda c, p=p: c.post(TRANSFERS, headers=county, json={
        "person_id": p["id"], "to_unit_id": tree.id("bz"), "requested_on": "2026-01-05"}) for p in people])
    assert sorted(r.status_code for r in answers) == [201] * 6
    assert sorted(r.json["letter"]["number"] for r in answers) == [f"鲁组转〔2026〕第00000{i}号" for i in range(1, 7)]
    tid = answers[0].json["id"]
    etag = letter_of(client, county, tid).headers["ETag"]
    url = f"{TRANSFERS}/{tid}/letter"
    both = at_once(app, *[lambda c: c.patch(url, json={"action": "expired", "on": "2026-04-06"},
                                            headers={**county, "If-Match": etag})] * 2)
    assert sorted(r.status_code for r in both) == [200, 412]
