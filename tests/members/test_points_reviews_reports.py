"""Quantified points (MEMBERS.POINTS), the yearly review (LIFE.MEMBER_REVIEW), and the reports: stage counts,
villages without development (MEMBERS.NO_DEVELOPMENT)."""
from __future__ import annotations

import pytest

from shared.testing import auth, pending_events

from .conftest import full_member, register


def award(client, headers, person, status=201, **body):
    resp = client.post("/api/members/v1/points", headers=headers,
                       json={"person_id": person["id"], "awarded_on": "2026-03-01", **body})
    assert resp.status_code == status, resp.json
    return resp.json


def test_points_follow_the_citys_scheme_and_rank_a_branch(client, county, tree, members):
    a, b, c = (full_member(client, county, tree.id("v"), n) for n in ("甲", "乙", "丙"))
    award(client, county, a, source="base", points=20)
    award(client, county, a, source="attendance", points=40, reference="meeting-1")
    award(client, county, a, source="volunteer_service", points=30)
    over = award(client, county, a, 409, source="commitment", points=1)
    assert over["code"] == "MEMBERS.POINTS"
    assert "70" in over["detail"]
    twice = award(client, county, a, 409, source="attendance", points=1, reference="meeting-1")
    assert "reference" in twice["detail"]
    award(client, county, b, source="training", points=50)
    award(client, county, b, source="bonus", points=10)
    award(client, county, c, source="training", points=60)
    award(client, county, c, source="training", points=5, awarded_on="2025-12-31")       # another year
    ranking = client.get(f"/api/members/v1/points/ranking?unit_id={tree.id('v')}&year=2026", headers=county).json
    assert [(r["name"], r["total"], r["rank"]) for r in ranking["items"]] == [("甲", 90, 1), ("丙", 60, 2),
                                                                                ("乙", 60, 2)]
    assert ranking["scheme"] == "default"
    assert ranking["caps"] == {"base": 20, "tasks": 70, "bonus": 10}
    mine = client.get(f"/api/members/v1/people/{a['id']}/points?year=2026", headers=county).json
    assert mine["by_category"] == {"base": 20, "tasks": 70, "bonus": 0}
    assert len(mine["awards"]) == 3
    awarded = [e for e in pending_events(members) if e.type == "members.points.awarded"]
    assert len(awarded) == 7
    assert awarded[0].data["source"] == "base"
    ledger = client.get(f"/api/members/v1/points?year=2026&person_id={b['id']}", headers=county).json["items"]
    assert sorted(x["source"] for x in ledger) == ["bonus", "training"]


def test_a_city_may_configure_its_own_scheme(make_app):
    from .conftest import Tree, TREE

    app = make_app("members", rules={"points_schemes": {
        "default": {"caps": {"base": 20, "tasks": 70, "bonus": 10}, "sources": {"base": "base"}},
        "code-c": {"caps": {"tasks": 100}, "sources": {"attendance": "tasks"}}}})
    tree = Tree(app)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, headers = app.test_client(), auth(app, "admin")
    m = full_member(client, headers, tree.id("v"), "济南")
    award(client, headers, m, source="attendance", points=90)
    refused = award(client, headers, m, 409, source="base", points=5)
    assert refused["code"] == "MEMBERS.POINTS"
    assert "base" in refused["detail"]


def attended(members, person_id, unit_id, session_id, hours, on="2026-03-02"):
    from datetime import date

    from shared.consumer import apply_event
    from shared.events import make_envelope
    from shared.testing import kit_of

    kit = kit_of(members)
    event = make_envelope("training.attendance.recorded", {
        "class_id": "00000000-0000-4000-8000-000000000001", "session_id": session_id, "kind": "member_training",
        "person_id": person_id, "unit_id": unit_id, "attended_on": date.fromisoformat(on), "year": int(on[:4]),
        "hours": hours, "year_hours": hours}, source="training", org_path=None)
    return apply_event(kit.db, kit.handlers, kit.models.InboxEvent, event)


def test_class_hours_from_the_training_service_earn_points_once_within_the_cap(client, county, tree, members):
    member = full_member(client, county, tree.id("v"), "学习")
    applicant = register(client, county, tree.id("v"), name="旁听")
    s1, s2, s3 = ("00000000-0000-4000-8000-0000000000%02d" % i for i in (11, 12, 13))
    assert attended(members, member["id"], tree.id("v"), s1, 8.0)
    assert attended(members, applicant["id"], tree.id("v"), s1, 8.0)       # applied, but no points: not a member
    mine = client.get(f"/api/members/v1/people/{member['id']}/points?year=2026", headers=county).json
    assert [(a["source"], a["points"], a["reference"]) for a in mine["awards"]] == [
        ("training", 2.0, f"training-session:{s1}")]                       # 8 h x 0.25 (the default scheme)
    award(client, county, member, source="volunteer_service", points=67)
    assert attended(members, member["id"], tree.id("v"), s2, 8.0)          # 2 more would pass the cap of 70
    assert attended(members, member["id"], tree.id("v"), s3, 4.0)          # the part is full: nothing
    mine = client.get(f"/api/members/v1/people/{member['id']}/points?year=2026", headers=county).json
    assert mine["by_category"]["tasks"] == 70
    assert sorted(a["points"] for a in mine["awards"]) == [1.0, 2.0, 67]
    assert client.get(f"/api/members/v1/people/{applicant['id']}/points?year=2026",
                      headers=county).json["awards"] == []
    awarded = [e for e in pending_events(members) if e.type == "members.points.awarded"]
    assert [(e.data["source"], e.data["points"]) for e in awarded] == [("training", 2.0), ("volunteer_service", 67),
                                                                       ("training", 1.0)]


def test_points_are_for_members_only(client, county, tree):
    applicant = register(client, county, tree.id("v"), name="申请人")
    assert award(client, county, applicant, 409, source="base", points=5)["code"] == "MEMBERS.POINTS"


def test_the_yearly_review_at_most_a_third_excellent_probationary_not_graded(client, county, tree, members):
    full = [full_member(client, county, tree.id("v"), f"评{i}") for i in range(5)]
    probationary = register(client, county, tree.id("v"), name="预备", stage="probationary",
                            applied_on="2023-01-01", activist_since="2023-03-01", target_since="2024-03-05",
                            probationary_since="2025-06-01")
    body = {"unit_id": tree.id("v"), "year": 2025, "held_on": "2026-01-15",
            "grades": [{"person_id": p["id"], "grade": "excellent" if i < 2 else "qualified"}
                       for i, p in enumerate(full)]}
    too_many = client.post("/api/members/v1/reviews", json=body, headers=county)
    assert too_many.status_code == 409
    assert too_many.json["code"] == "LIFE.MEMBER_REVIEW"
    assert "1/3" in too_many.json["detail"]
    graded_probationary = client.post("/api/members/v1/reviews", headers=county, json={
        **body, "grades": body["grades"][1:] + [{"person_id": probationary["id"], "grade": "qualified"}]})
    assert graded_probationary.status_code == 409
    assert graded_probationary.json["code"] == "LIFE.MEMBER_REVIEW"
    grades = [{"person_id": p["id"], "grade": g} for p, g in
              zip(full, ["excellent", "qualified", "qualified", "basically_qualified", "unqualified"])]
    ok = client.post("/api/members/v1/reviews", headers=county, json={**body, "grades": grades,
                                                                       "not_graded": [probationary["id"]]})
    assert ok.status_code == 201
    assert (ok.json["excellent"], ok.json["not_graded"]) == (1, 1)
    event = [e for e in pending_events(members) if e.type == "members.review.recorded"][-1]
    assert event.data == {"unit_id": tree.id("v"), "year": 2025, "excellent": 1, "qualified": 2,
                          "basically_qualified": 1, "unqualified": 1}
    again = client.post("/api/members/v1/reviews", headers=county, json={**body, "grades": grades})
    assert again.status_code == 409
    stranger = full_member(client, county, tree.id("b2"), "别的支部")
    other = client.post("/api/members/v1/reviews", headers=county, json={
        **body, "year": 2026, "held_on": "2026-06-01", "grades": [{"person_id": stranger["id"], "grade": "qualified"}]})
    assert other.status_code == 422
    listed = client.get("/api/members/v1/reviews?year=2025", headers=county).json["items"]
    assert [r["id"] for r in listed] == [ok.json["id"]]
    assert len(client.get(f"/api/members/v1/reviews/{ok.json['id']}", headers=county).json["grades"]) == 5


def test_stage_counts_per_subtree(client, county, admin, tree):
    register(client, county, tree.id("v"), name="a", applied_on="2026-01-01")
    register(client, county, tree.id("v"), name="b", stage="activist", applied_on="2025-01-01",
             activist_since="2025-03-01")
    full_member(client, county, tree.id("b2"), "c")
    full_member(client, county, tree.id("bg"), "d")
    full_member(client, admin, tree.id("bz"), "e")
    report = client.get(f"/api/members/v1/reports/stages?under={tree.id('a')}", headers=county).json
    assert report["counts"] == {"applicant": 1, "activist": 1, "target": 0, "probationary": 0, "full": 2}
    children = {c["name"]: (c["counts"]["full"], c["total"]) for c in report["children"]}
    assert children == {"unit t": (1, 3), "unit g": (1, 1)}
    province = client.get("/api/members/v1/reports/stages", headers=admin).json
    assert province["total"] == 5
    assert [c["name"] for c in province["children"]] == ["unit p"]
    assert client.get(f"/api/members/v1/reports/stages?under={tree.id('z')}", headers=county).status_code == 404


@pytest.mark.parametrize("admitted, flagged", [(None, True), ("2023-11-28", True), ("2023-11-29", False)])
def test_villages_with_no_new_member_for_three_years(client, county, tree, admitted, flagged):
    full_member(client, county, tree.id("v"), "老党员", since="2001-01-01")
    if admitted:
        register(client, county, tree.id("v"), name="新", stage="probationary", applied_on="2021-01-01",
                 activist_since="2021-06-01", target_since="2022-07-01", probationary_since=admitted)
    report = client.get("/api/members/v1/reports/no-development?as_of=2026-11-28", headers=county).json
    assert report["villages"] == 1
    assert [v["unit_id"] for v in report["flagged"]] == ([tree.id("v")] if flagged else [])
    if flagged:
        assert report["flagged"][0]["rule"] == "MEMBERS.NO_DEVELOPMENT"
        assert report["flagged"][0]["last_admitted_on"] == admitted
