"""The annual party statistics (STATS.BALANCE, STATS.MEMBERS, STATS.DEVELOPMENT) computed from the history:
a person counts where and what they were on 31 December; the boundaries of RULES.md (a member admitted on
31 December, a transfer completed on 1 January, age groups at their edges); the people who make a balance
not close are listed; JSON and one XLSX workbook."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shared.testing import auth

from .conftest import TREE, Tree, full_member, register

API = "/api/members/v1"
STATS = f"{API}/statistics"


def act(client, headers, person, **body):
    resp = client.post(f"{API}/people/{person['id']}/management", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def transfer(client, sender, receiver, person, to_unit, requested, completed):
    t = client.post(f"{API}/transfers", headers=sender, json={"person_id": person["id"], "to_unit_id": to_unit,
                                                              "requested_on": requested})
    assert t.status_code == 201, t.json
    etag = t.headers["ETag"]
    for status, on in (("accepted", requested), ("completed", completed)):
        resp = client.patch(f"{API}/transfers/{t.json['id']}", json={"status": status, "on": on},
                            headers={**receiver, "If-Match": etag})
        assert resp.status_code == 200, resp.json
        etag = resp.headers["ETag"]


def stats(client, headers, under, year, **query):
    resp = client.get(STATS, query_string={"under": under, "year": year, **query}, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


@pytest.fixture
def history(client, members, tree, county):
    return make_history(client, members, tree, county)


def make_history(client, members, tree, county):
    """County A's people and what happened to them in 2025 and 2026 (see each line)."""
    z = auth(members, "organizer", scope=tree.id("z"))
    province = auth(members, "organizer", scope=tree.id("p"))
    people = {
        "stays": full_member(client, county, tree.id("v"), "留任", gender="female", ethnicity="回族",
                             education="大学本科", occupation="农民"),
        # admitted on 31 December 2025: a member at the end of 2025, admitted in 2025
        "admitted": register(client, county, tree.id("v"), name="年末入党", stage="probationary",
                             birth_date="1994-12-31", probationary_since="2025-12-31", education="大专",
                             occupation="农民"),
        "leaves_on_jan_1": full_member(client, county, tree.id("b2"), "元旦转出"),
        "comes_in": full_member(client, z, tree.id("bz"), "年中转入"),
        "dies": full_member(client, county, tree.id("v"), "病故"),
        "suspended": full_member(client, county, tree.id("b2"), "失联"),
        # registered as a full member converted in 2025 with no admission on record: a data error
        "no_admission": register(client, county, tree.id("v"), name="无入党记录", stage="full",
                                 birth_date="1995-01-01", full_member_since="2025-03-01"),
        "applicant": register(client, county, tree.id("v"), name="申请人", applied_on="2025-04-01"),
    }
    # a transfer completed on 1 January 2026: in county A on 31 December 2025, gone in 2026
    transfer(client, county, z, people["leaves_on_jan_1"], tree.id("bz"), "2025-12-20", "2026-01-01")
    transfer(client, z, county, people["comes_in"], tree.id("v"), "2025-05-01", "2025-06-01")
    act(client, county, people["dies"], kind="death", date="2025-05-01")
    act(client, county, people["suspended"], kind="out_of_contact", date="2024-06-01")
    act(client, county, people["suspended"], kind="suspension", date="2025-01-10")
    return {"people": people, "province": province, "z": z}


def test_2025_counts_where_people_were_on_31_december(client, tree, county, history):
    people = history["people"]
    result = stats(client, county, tree.id("a"), 2025)
    b = result["balance"]
    assert (b["start"], b["admitted"], b["transferred_in"], b["transferred_out"], b["died"], b["suspended"]) == (
        4, 1, 1, 0, 1, 1)                            # start: stays, leaves_on_jan_1, dies, suspended
    assert b["end"] == 5                             # stays, admitted, leaves_on_jan_1, comes_in, no_admission
    assert b["expected"] == 4
    assert b["closes"] is False
    assert b["violation"]["code"] == "STATS.BALANCE"
    assert [(p["person_id"], p["difference"]) for p in b["unbalanced"]] == [(people["no_admission"]["id"], 1)]
    assert b["unbalanced_total"] == 1
    m = result["members"]
    assert m["total"] == 5
    assert m["by_stage"] == {"full": 4, "probationary": 1}
    assert m["by_ethnicity"]["少数民族"] == 1
    assert m["by_age"]["31-35岁"] == 1               # born 1994-12-31: 31 on the day itself
    assert m["by_age"]["30岁及以下"] == 1             # born 1995-01-01: still 30
    d = result["development"]
    assert (d["admitted"], d["applicants"], d["activists"], d["targets"]) == (1, 1, 0, 0)
    assert d["admitted_by_education"] == {"大学专科": 1}
    assert d["admitted_by_age"] == {"35岁及以下": 1}


def test_2026_sees_the_transfer_of_1_january_and_closes(client, tree, county, history):
    a = stats(client, county, tree.id("a"), 2026)["balance"]
    assert (a["start"], a["transferred_out"], a["end"]) == (5, 1, 4)
    assert a["closes"] is True
    assert a["unbalanced"] == []
    z = stats(client, history["z"], tree.id("z"), 2026)["balance"]
    assert (z["start"], z["transferred_in"], z["end"], z["closes"]) == (0, 1, 1, True)
    z2025 = stats(client, history["z"], tree.id("z"), 2025)["balance"]
    assert (z2025["start"], z2025["transferred_out"], z2025["end"], z2025["closes"]) == (1, 1, 0, True)


def test_a_move_inside_the_subtree_is_no_flow_of_it(client, tree, history):
    city = stats(client, history["province"], tree.id("c"), 2025)["balance"]
    assert (city["transferred_in"], city["transferred_out"]) == (0, 0)   # V and BZ are both in city C
    assert city["start"] == 5                                              # comes_in was in BZ
    assert city["end"] == 5


def test_tables_on_request_and_the_workbook(client, tree, county, history):
    only = stats(client, county, tree.id("a"), 2025, tables="balance")
    assert "members" not in only
    assert only["balance"]["end"] == 5
    resp = client.get(STATS, query_string={"under": tree.id("a"), "year": 2025, "format": "xlsx"}, headers=county)
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["党员数量平衡表", "不平衡人员", "党员基本情况", "发展党员情况"]
    rows = list(book["党员数量平衡表"].iter_rows(values_only=True))
    assert rows[0] == ("项目", "人数")
    assert ("年初党员数", 4) in rows
    assert ("是否平衡", "不平衡") in rows


def test_statistics_are_scope_checked_and_bounded(client, members, tree, county, history):
    assert client.get(STATS, query_string={"under": tree.id("z"), "year": 2025}, headers=county).status_code == 404
    assert client.get(STATS, query_string={"year": 1800}, headers=county).status_code == 422
    assert client.get(STATS, query_string={"year": 2025, "tables": "gossip"}, headers=county).status_code == 422
    assert client.get(STATS, headers=county).status_code == 422


def test_the_tables_on_postgresql(make_app, pg_url):
    """The same history on PostgreSQL: the window functions, the booleans and the date ranges agree."""
    app = make_app("members", database_url=pg_url("members"))
    tree = Tree(app)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = app.test_client(), auth(app, "organizer", scope=tree.id("a"))
    history = make_history(client, app, tree, county)
    b2025 = stats(client, county, tree.id("a"), 2025)
    assert (b2025["balance"]["start"], b2025["balance"]["end"], b2025["balance"]["expected"]) == (4, 5, 4)
    assert [p["person_id"] for p in b2025["balance"]["unbalanced"]] == [history["people"]["no_admission"]["id"]]
    assert b2025["members"]["by_age"]["31-35岁"] == 1
    b2026 = stats(client, county, tree.id("a"), 2026)["balance"]
    assert (b2026["start"], b2026["transferred_out"], b2026["end"], b2026["closes"]) == (5, 1, 4, True)
