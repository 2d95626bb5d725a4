"""The 25 steps through the API: order, gates (409 with the rule code, nothing written), deadlines (recorded with
the breach, in the response, the timeline and the reports), reversal, timeline, alerts, events."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from services.members.models import Deadline, Person, StepRecord
from shared.testing import kit_of, pending_events

from .conftest import register


def counts(app):
    kit = kit_of(app)
    with kit.db.Session() as s:
        return (s.scalar(select(func.count()).select_from(StepRecord)),
                s.scalar(select(func.count()).select_from(kit.models.OutboxEvent)),
                s.scalar(select(func.count()).select_from(kit.models.AuditEntry)),
                s.scalar(select(func.count()).select_from(Deadline)))


def test_the_whole_procedure_from_application_to_full_member(walk, client, county, members):
    walk.through("archive")
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert person["stage"] == "full"
    assert person["status"] == "active"
    assert person["reached_step"] == 25
    assert person["probationary_since"] == "2024-08-05"          # probation counts from the admission vote
    assert person["full_member_since"] == "2025-08-05"           # party standing from the conversion
    assert person["party_standing"]["since"] == "2025-08-05"
    assert person["party_standing"]["years"] >= 1
    assert person["party_group"] == "第一党小组"
    types = [e.type for e in pending_events(members) if e.data.get("id") == walk.person["id"]]
    changes = [(e.data["from_stage"], e.data["stage"]) for e in pending_events(members)
               if e.type == "members.stage.changed"]
    assert changes == [("applicant", "activist"), ("activist", "target"), ("target", "probationary"),
                       ("probationary", "full")]
    assert types[0] == "members.person.created"
    steps = [e.data["kind"] for e in pending_events(members) if e.type == "members.step.recorded"]
    assert len(steps) == 29
    assert steps[-1] == "archive"
    timeline = client.get(f"/api/members/v1/people/{walk.person['id']}/timeline", headers=county).json
    assert all(s["status"] == "done" for s in timeline["steps"] if s["number"])
    assert timeline["next"] == []
    assert timeline["breaches"] == []
    more = client.post(walk.url, json={"kind": "archive", "date": "2025-09-11"}, headers=county)
    assert more.status_code == 409
    assert more.json["code"] == "MEMBERS.STEP_ORDER"


def test_a_step_out_of_order_is_refused_and_names_the_next_step(walk, client, county, members):
    body = walk.until("talk")
    walk.step(body)
    before = counts(members)
    resp = client.post(walk.url, json={"kind": "sponsors", "date": "2023-04-01", "sponsors": [walk.sponsor["id"]]},
                       headers=county)
    assert resp.status_code == 409
    assert resp.json["code"] == "MEMBERS.STEP_ORDER"
    assert "step 3" in resp.json["detail"]
    assert "第3步" in resp.json["detail"]
    assert counts(members) == before


def test_applying_at_exactly_18_with_a_feb_29_birthday(client, county, tree, members):
    young = register(client, county, tree.id("v"), name="闰日", birth_date="2008-02-29")
    url = f"/api/members/v1/people/{young['id']}/steps"
    before = counts(members)
    refused = client.post(url, json={"kind": "application", "date": "2026-02-27"}, headers=county)
    assert refused.status_code == 409
    assert refused.json["code"] == "MEMBERS.MIN_AGE"
    assert "2026-02-28" in refused.json["detail"]
    assert counts(members) == before
    assert client.post(url, json={"kind": "application", "date": "2026-02-28"}, headers=county).status_code == 201


def test_registering_an_applicant_with_the_application_date_records_step_1(client, county, tree):
    refused = client.post("/api/members/v1/people", headers=county, json={
        "unit_id": tree.id("v"), "name": "未满", "gender": "female", "birth_date": "2008-02-29",
        "applied_on": "2026-02-27"})
    assert refused.status_code == 409
    assert refused.json["code"] == "MEMBERS.MIN_AGE"
    listed = client.get("/api/members/v1/people", headers=county).json["items"]
    assert listed == []
    person = register(client, county, tree.id("v"), name="已满", gender="female", birth_date="2008-02-29",
                      applied_on="2026-02-28")
    assert person["reached_step"] == 1
    assert person["applied_on"] == "2026-02-28"
    timeline = client.get(f"/api/members/v1/people/{person['id']}/timeline", headers=county).json
    talk = next(s for s in timeline["steps"] if s["kind"] == "talk")
    assert talk["status"] == "open"
    assert talk["due_by"] == "2026-03-28"
    assert talk["rule"] == "MEMBERS.TALK_DEADLINE"


def test_a_late_talk_is_recorded_with_its_breach_never_refused(walk, client, county):
    walk.through("application")
    late = walk.step({"kind": "talk", "date": "2023-04-03", "held_by": "李书记"})   # due by 2023-04-01
    assert [b["code"] for b in late["breaches"]] == ["MEMBERS.TALK_DEADLINE"]
    assert late["breaches"][0]["facts"]["due_on"] == "2023-04-01"
    timeline = client.get(f"/api/members/v1/people/{walk.person['id']}/timeline", headers=county).json
    talk = next(s for s in timeline["steps"] if s["kind"] == "talk")
    assert talk["status"] == "done"
    assert [b["code"] for b in talk["breaches"]] == ["MEMBERS.TALK_DEADLINE"]
    report = client.get("/api/members/v1/reports/breaches", headers=county).json
    assert {"code": "MEMBERS.TALK_DEADLINE", "kind": "talk", "breached": 1, "overdue": 0} in report["items"]


def test_cultivation_ending_on_national_day_allows_the_target_on_the_holiday(walk, client, county):
    # an activist registered mid-way (sponsors next), whose year as activist ends on 2026-10-01
    cand = register(client, county, walk.tree.id("v"), name="国庆", stage="activist", birth_date="1990-01-01",
                    applied_on="2025-06-01", activist_since="2025-10-01", reached_step=4)
    url = f"/api/members/v1/people/{cand['id']}/steps"

    def post(body, status=201):
        resp = client.post(url, json=body, headers=county)
        assert resp.status_code == status, resp.json
        return resp.json

    post({"kind": "sponsors", "date": "2025-10-10", "sponsors": [walk.sponsor["id"]]})
    post({"kind": "assessment", "date": "2026-04-01", "conclusion": "好"})
    notice = post({"kind": "target_notice", "starts_on": "2026-09-21"})
    assert notice["payload"]["ends_on"] == "2026-09-28"          # Mid-Autumn 9-25..9-27 is not counted
    early = post({"kind": "target", "date": "2026-09-30", "decided_by": "branch_committee"}, 409)
    assert early["code"] == "MEMBERS.CULTIVATION_PERIOD"
    assert "the activist period ends on 2026-10-01; a development target can be decided from then" in early["detail"]
    timeline = client.get(f"/api/members/v1/people/{cand['id']}/timeline", headers=county).json
    target = next(s for s in timeline["steps"] if s["kind"] == "target")
    assert target["status"] == "open"
    assert target["can_happen_from"] == "2026-10-01"
    done = post({"kind": "target", "date": "2026-10-01", "decided_by": "branch_committee"})
    assert done["person"]["stage"] == "target"
    assert done["breaches"] == []


def test_a_notice_over_national_day_counts_the_make_up_saturday(client, county, tree):
    cand = register(client, county, tree.id("v"), name="公示", stage="target", birth_date="1990-01-01",
                    applied_on="2024-01-01", activist_since="2024-02-01", target_since="2025-03-01",
                    reached_step=13)
    url = f"/api/members/v1/people/{cand['id']}/steps"
    short = client.post(url, json={"kind": "admission_notice", "starts_on": "2026-09-30", "ends_on": "2026-10-10"},
                        headers=county)
    assert short.status_code == 409
    assert short.json["code"] == "MEMBERS.PUBLIC_NOTICE"
    assert "2026-10-12" in short.json["detail"]
    notice = client.post(url, json={"kind": "admission_notice", "starts_on": "2026-09-30"}, headers=county)
    assert notice.status_code == 201
    assert notice.json["payload"]["ends_on"] == "2026-10-12"
    form = client.post(url, json={"kind": "application_form", "date": "2026-10-12"}, headers=county)
    assert form.status_code == 201
    vote = {"kind": "admission_vote", "entitled": 10, "present": 8, "yes": 8, "no": 0, "recused": []}
    joint = {"kind": "joint_review", "date": "2026-10-12", "departments": [
        {"department": d, "conclusion": "no_objection"}
        for d in ("discipline_inspection", "public_security", "procuratorate", "court")]}
    missing_joint = client.post(url, json={**vote, "date": "2026-10-13"}, headers=county)
    assert missing_joint.status_code == 409
    assert missing_joint.json["code"] == "MEMBERS.JOINT_REVIEW"
    assert client.post(url, json=joint, headers=county).status_code == 201
    on_last_day = client.post(url, json={**vote, "date": "2026-10-12"}, headers=county)
    assert on_last_day.status_code == 409
    assert on_last_day.json["code"] == "MEMBERS.PUBLIC_NOTICE"
    assert "2026-10-13" in on_last_day.json["detail"]
    assert client.post(url, json={**vote, "date": "2026-10-13"}, headers=county).status_code == 201


def test_a_notice_into_an_unpublished_year_is_a_clear_422_not_a_500(client, county, tree, monkeypatch):
    from shared import dates

    monkeypatch.setattr(dates, "today", lambda: date(2027, 1, 20))
    cand = register(client, county, tree.id("v"), name="跨年", stage="activist", birth_date="1990-01-01",
                    applied_on="2024-01-01", activist_since="2025-02-01", reached_step=6)
    resp = client.post(f"/api/members/v1/people/{cand['id']}/steps", headers=county,
                       json={"kind": "target_notice", "starts_on": "2026-12-28"})
    assert resp.status_code == 422
    assert resp.json["type"].endswith("calendar-not-published")
    assert "2027" in resp.json["detail"]


def test_a_calendar_file_does_not_turn_the_years_it_omits_into_weekdays(client, county, tree, monkeypatch, tmp_path):
    import json

    from shared import dates

    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"holidays": ["2027-10-01"]}))        # one date of 2027: 2028 is not covered
    monkeypatch.setenv("ZHIBU_CALENDAR_FILE", str(path))
    dates._extra_calendar.cache_clear()
    monkeypatch.setattr(dates, "today", lambda: date(2028, 1, 20))
    try:
        cand = register(client, county, tree.id("v"), name="跨年二", stage="activist", birth_date="1990-01-01",
                        applied_on="2025-01-01", activist_since="2026-02-01", reached_step=6)
        resp = client.post(f"/api/members/v1/people/{cand['id']}/steps", headers=county,
                           json={"kind": "target_notice", "starts_on": "2027-12-28"})
        assert resp.status_code == 422
        assert resp.json["type"].endswith("calendar-not-published")
        assert "2028" in resp.json["detail"]
    finally:
        monkeypatch.delenv("ZHIBU_CALENDAR_FILE")
        dates._extra_calendar.cache_clear()


def test_a_notice_may_start_today_and_end_next_week_but_not_start_tomorrow(client, county, tree, monkeypatch):
    """A notice is a plan once posted: its end may lie ahead; its start is when it was posted (not ahead)."""
    from shared import dates

    monkeypatch.setattr(dates, "today", lambda: date(2026, 6, 1))          # a Monday
    cand = register(client, county, tree.id("v"), name="公示中", stage="activist", birth_date="1990-01-01",
                    applied_on="2024-01-01", activist_since="2025-02-01", reached_step=6)
    url = f"/api/members/v1/people/{cand['id']}/steps"
    ahead = client.post(url, headers=county, json={"kind": "target_notice", "starts_on": "2026-06-02"})
    assert ahead.status_code == 422
    resp = client.post(url, headers=county, json={"kind": "target_notice", "starts_on": "2026-06-01",
                                                  "ends_on": "2026-06-08"})
    assert resp.status_code == 201
    assert resp.json["payload"]["ends_on"] == "2026-06-08"
    early = client.post(url, headers=county, json={"kind": "target", "date": "2026-06-01",
                                                   "decided_by": "branch_committee"})
    assert early.status_code == 409
    assert early.json["code"] == "MEMBERS.PUBLIC_NOTICE"


def test_a_vote_with_exactly_half_in_favour_is_refused(walk, client, county, members):
    body = walk.until("admission_vote", entitled=10, present=8, yes=5, no=3)
    before = counts(members)
    resp = client.post(walk.url, json=body, headers=county)
    assert resp.status_code == 409
    assert resp.json["code"] == "MEMBERS.ADMISSION_VOTE"
    assert "5 of 10" in resp.json["detail"]
    assert counts(members) == before
    walk.step({**body, "written_yes": 1})                   # an absent member's written opinion counts


@pytest.mark.parametrize("approved, breached", [("2025-04-01", False), ("2025-04-03", True)])
def test_approval_on_day_90_and_day_92(walk, client, county, approved, breached):
    walk.step(walk.until("admission_vote", date="2025-01-01"))
    walk.done += 1
    walk.step(walk.until("upper_talk", date="2025-01-20"))
    walk.done += 1
    result = walk.step(walk.until("approval", date=approved))
    assert [b["code"] for b in result["breaches"]] == (["MEMBERS.APPROVAL_DEADLINE"] if breached else [])
    assert result["person"]["stage"] == "probationary"
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert person["probationary_since"] == "2025-01-01"
    assert person["probation_ends_on"] == "2026-01-01"
    report = client.get("/api/members/v1/reports/breaches?year=2025", headers=county).json
    approval = next(i for i in report["items"] if i["kind"] == "approval")
    assert approval["breached"] == (1 if breached else 0)


def test_the_approving_unit_is_a_township_or_above_and_upper(walk, client, county, tree):
    body = walk.until("approval")
    branch = client.post(walk.url, json={**body, "approving_unit_id": tree.id("b2")}, headers=county)
    assert branch.status_code == 409
    assert branch.json["code"] == "MEMBERS.APPROVAL_DEADLINE"
    elsewhere = client.post(walk.url, json={**body, "approving_unit_id": tree.id("tz")}, headers=county)
    assert elsewhere.status_code == 409
    assert "upper" in elsewhere.json["detail"]
    assert client.post(walk.url, json={**body, "approving_unit_id": tree.id("a")}, headers=county).status_code == 201


def test_the_oath_one_month_after_an_approval_on_jan_31(walk, client, county):
    walk.step(walk.until("admission_vote", date="2025-01-01"))
    walk.done += 1
    walk.step(walk.until("upper_talk", date="2025-01-20"))
    walk.done += 1
    walk.step(walk.until("approval", date="2025-01-31"))
    walk.done += 1
    walk.step(walk.until("approval_filed", date="2025-02-05"))
    walk.done += 1
    walk.step(walk.until("placement", date="2025-02-10"))
    walk.done += 1
    timeline = client.get(f"/api/members/v1/people/{walk.person['id']}/timeline", headers=county).json
    assert next(s for s in timeline["steps"] if s["kind"] == "oath")["due_by"] == "2025-02-28"
    late = walk.step(walk.until("oath", date="2025-03-01"))
    assert [b["code"] for b in late["breaches"]] == ["MEMBERS.OATH"]


def test_conversion_not_before_the_probation_ends_and_extension_once(walk, client, county, members):
    body = walk.until("conversion_vote")
    early = client.post(walk.url, json={**body, "date": "2025-08-04"}, headers=county)
    assert early.status_code == 409
    assert early.json["code"] == "MEMBERS.PROBATION"
    assert "2025-08-05" in early.json["detail"]
    too_long = client.post(walk.url, json={**body, "outcome": "extend", "extension_months": 13}, headers=county)
    assert too_long.status_code == 409
    assert too_long.json["code"] == "MEMBERS.CONVERSION"
    walk.step({**body, "outcome": "extend", "extension_months": 6})
    approval = walk.step({"kind": "conversion_approval", "date": "2025-09-01", "approving_unit_id": walk.tree.id("t")})
    assert approval["person"]["stage"] == "probationary"
    assert approval["person"]["reached_step"] == 20
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert person["probation_ends_on"] == "2026-02-05"
    assert person["extensions"] == 1
    walk.step({"kind": "probation_assessment", "date": "2025-12-01", "conclusion": "有进步"})
    walk.step({"kind": "conversion_application", "date": "2026-01-20"})
    again = client.post(walk.url, json={**body, "date": "2026-02-05", "outcome": "extend", "extension_months": 6},
                        headers=county)
    assert again.status_code == 409
    assert again.json["code"] == "MEMBERS.CONVERSION"
    assert "once" in again.json["detail"]
    walk.step({**body, "date": "2026-02-05", "outcome": "cancel"})
    late = walk.step({"kind": "conversion_approval", "date": "2026-05-06", "approving_unit_id": walk.tree.id("t")})
    assert [b["code"] for b in late["breaches"]] == ["MEMBERS.CONVERSION"]
    assert late["person"]["status"] == "left"
    left = [e for e in pending_events(members) if e.type == "members.member.left"]
    assert left[-1].data["reason"] == "cancelled"
    assert left[-1].data["id"] == walk.person["id"]


def test_a_mistaken_step_is_reversed_by_a_record_and_history_stays(walk, client, county, members):
    walk.through("activist")
    person = walk.person["id"]
    steps = client.get(walk.url, headers=county).json["items"]
    activist = steps[-1]
    assert activist["kind"] == "activist"
    not_latest = client.post(f"{walk.url}/{steps[0]['id']}/reversal", json={"reason": "错"}, headers=county)
    assert not_latest.status_code == 409
    assert not_latest.json["code"] == "MEMBERS.STEP_ORDER"
    undone = client.post(f"{walk.url}/{activist['id']}/reversal", json={"reason": "日期记错"}, headers=county)
    assert undone.status_code == 201
    assert undone.json["kind"] == "reversal"
    assert undone.json["reverses_id"] == activist["id"]
    now = client.get(f"/api/members/v1/people/{person}", headers=county).json
    assert now["stage"] == "applicant"
    assert now["activist_since"] is None
    assert now["reached_step"] == 2
    records = client.get(walk.url, headers=county).json["items"]
    assert [r["kind"] for r in records] == ["application", "talk", "activist", "reversal"]
    assert records[2]["reversed_by_id"] == undone.json["id"]
    alerts = client.get("/api/members/v1/alerts?as_of=2023-04-11&horizon_days=366", headers=county).json["items"]
    assert not [a for a in alerts if a["person_id"] == person and a["kind"] == "assessment"]
    stage = [e for e in pending_events(members) if e.type == "members.stage.changed"][-1]
    assert (stage.data["from_stage"], stage.data["stage"], stage.data["step"]) == ("activist", "applicant", "reversal")
    again = walk.step({**walk.plan[2], "date": "2023-04-12"})
    assert again["person"]["stage"] == "activist"


def test_a_step_in_the_future_or_with_bad_fields_is_422_and_nothing_changes(walk, client, county, members):
    walk.through("application")
    before = counts(members)
    version = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json["version"]
    for body in ({"kind": "talk", "date": "2023-03-20"},                        # held_by missing
                 {"kind": "talk", "date": "2999-01-01", "held_by": "x"},          # in the future
                 {"kind": "talk", "date": "2023-02-01", "held_by": "x"},          # before the application
                 {"kind": "nonsense", "date": "2023-03-20"},
                 {"kind": "admission_vote", "date": "2023-03-20", "entitled": 5, "present": 6, "yes": 1, "no": 0}):
        resp = client.post(walk.url, json=body, headers=county)
        assert resp.status_code == 422, (body, resp.json)
        assert resp.json["errors"]
    assert counts(members) == before
    assert client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json["version"] == version


def test_gates_before_admission(walk, client, county, tree):
    body = walk.until("introducers")
    one = client.post(walk.url, json={**body, "introducers": [walk.sponsor["id"]]}, headers=county)
    assert one.status_code == 409
    assert one.json["code"] == "MEMBERS.INTRODUCERS"
    walk.through("introducers")
    body = walk.until("political_review")
    partial = client.post(walk.url, json={**body, "covers_relatives": False}, headers=county)
    assert partial.status_code == 409
    assert partial.json["code"] == "MEMBERS.POLITICAL_REVIEW"
    walk.step({**body, "leader_relative": True})
    walk.done += 1
    leader = {"name": walk.introducer["name"], "relation": "舅舅", "person_id": walk.introducer["id"]}
    review = {"kind": "relative_review", "date": "2024-06-05", "conclusion": "approved", "leaders": [leader]}
    introduces = client.post(walk.url, json=review, headers=county)
    assert introduces.status_code == 409
    assert introduces.json["code"] == "MEMBERS.RELATIVE_REVIEW"
    body = walk.until("training")
    short = client.post(walk.url, json={**body, "days": 2, "hours": 20}, headers=county)
    assert short.status_code == 409
    assert short.json["code"] == "MEMBERS.TARGET_TRAINING"
    none_known = client.post(walk.url, json={"kind": "training", "date": "2024-07-01", "source": "training_service"},
                             headers=county)
    assert none_known.status_code == 409
    assert none_known.json["code"] == "MEMBERS.TARGET_TRAINING"
    walk.through("training")
    body = walk.until("pre_review")
    leaving = client.post(walk.url, json={**body, "leaving_on": "2024-10-15"}, headers=county)
    assert leaving.status_code == 409
    assert leaving.json["code"] == "MEMBERS.PRE_REVIEW"
    walk.through("pre_review")
    vote = walk.until("admission_vote")
    no_review = client.post(walk.url, json=vote, headers=county)
    assert no_review.status_code == 409
    assert no_review.json["code"] == "MEMBERS.RELATIVE_REVIEW"


def test_centralized_training_from_the_training_service(walk, client, county, members):
    from shared.consumer import apply_event
    from shared.events import make_envelope
    from shared.testing import kit_of

    body = walk.until("training")
    kit = kit_of(members)
    event = make_envelope("training.requirement.met", {
        "person_id": walk.person["id"], "unit_id": walk.tree.id("v"), "requirement": "target_training",
        "year": 2024, "met_on": date(2024, 6, 28), "hours": 26.0, "days": 3}, source="training", org_path=None)
    assert apply_event(kit.db, kit.handlers, kit.models.InboxEvent, event)
    assert not apply_event(kit.db, kit.handlers, kit.models.InboxEvent, event)      # once only
    result = walk.step({"kind": "training", "date": body["date"], "source": "training_service"})
    assert result["payload"]["hours"] == 26.0
    assert result["payload"]["training_event_id"] == event.id
    assert result["payload"]["assessment"] == "passed"
    assert result["payload"]["completed_on"] == "2024-06-28"


@pytest.mark.parametrize("change, status", [
    ({}, 201),
    ({"days": 3.5}, 201),                                        # kept as given, never truncated to 3
    ({"days": 2.5, "hours": None}, 409),                         # 2.5 days are short of 3, not rounded up
    ({"assessment": "failed"}, 409),                             # attended, not passed: no 结业
    ({"assessment": None}, 409),
    ({"completed_on": "2024-07-02"}, 422),                       # completed after the step
])
def test_centralized_training_by_hand_counts_once_completed_and_passed(walk, client, county, change, status):
    body = {**walk.until("training"), **change}
    resp = client.post(walk.url, json=body, headers=county)
    assert resp.status_code == status, resp.json
    if status == 409:
        assert resp.json["code"] == "MEMBERS.TARGET_TRAINING"
    elif status == 201:
        assert resp.json["payload"]["days"] == body["days"]
        assert resp.json["payload"]["assessment"] == "passed"


@pytest.mark.parametrize("field, value", [("entitled", 10.5), ("yes", 7.5), ("present", 8.000001)])
def test_a_fractional_count_is_refused_not_truncated(walk, client, county, field, value):
    body = {**walk.until("admission_vote"), field: value}
    resp = client.post(walk.url, json=body, headers=county)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]["json"], resp.json


def test_alerts_list_what_is_due_or_overdue_in_a_subtree(walk, client, county, admin, tree):
    walk.through("admission_vote")           # approval due by 2024-11-05
    other = register(client, admin, tree.id("bz"), name="外县", applied_on="2024-10-20")  # talk due 2024-11-20
    alerts = client.get("/api/members/v1/alerts?as_of=2024-10-25", headers=county).json["items"]
    assert [(a["kind"], a["due_on"], a["overdue"]) for a in alerts] == [("approval", "2024-11-05", False)]
    assert "2024-11-05" in alerts[0]["zh"]
    assert alerts[0]["code"] == "MEMBERS.APPROVAL_DEADLINE"
    everywhere = client.get("/api/members/v1/alerts?as_of=2024-11-30", headers=admin).json["items"]
    assert [(a["kind"], a["overdue"]) for a in everywhere] == [("approval", True), ("talk", True)]
    assert everywhere[1]["person_id"] == other["id"]
    assert everywhere[1]["days"] == -10
    under_z = client.get(f"/api/members/v1/alerts?as_of=2024-11-30&under={tree.id('z')}", headers=admin).json
    assert [a["kind"] for a in under_z["items"]] == ["talk"]
    paged = client.get("/api/members/v1/alerts?as_of=2024-11-30&limit=1", headers=admin).json
    second = client.get(f"/api/members/v1/alerts?as_of=2024-11-30&limit=1&cursor={paged['next_cursor']}",
                        headers=admin).json
    assert [a["kind"] for a in paged["items"] + second["items"]] == ["approval", "talk"]


def test_a_person_in_another_county_is_404_for_steps_and_timeline(walk, client, members, tree):
    from shared.testing import auth

    other_county = auth(members, "organizer", scope=tree.id("z"))
    walk.through("application")
    for resp in (client.post(walk.url, json={"kind": "talk", "date": "2023-03-20", "held_by": "x"},
                             headers=other_county),
                 client.get(walk.url, headers=other_county),
                 client.get(f"/api/members/v1/people/{walk.person['id']}/timeline", headers=other_county)):
        assert resp.status_code == 404


def test_the_person_row_is_locked_and_versioned_by_each_step(walk, client, county, members):
    walk.through("talk")
    kit = kit_of(members)
    with kit.db.Session() as s:
        person = s.get(Person, walk.person["id"])
        assert person.version == 3
        assert person.reached_step == 2


def test_an_approval_refused_keeps_a_target_who_may_be_put_to_a_new_vote(walk, client, county, members):
    walk.step(walk.until("admission_vote", date="2025-01-01"))
    walk.done += 1
    walk.step(walk.until("upper_talk", date="2025-01-20"))
    walk.done += 1
    body = walk.until("approval", date="2025-04-03")
    missing = client.post(walk.url, json={**body, "decision": "not_approved"}, headers=county)
    assert missing.status_code == 422
    assert "refusal_reason" in missing.json["errors"]["json"]
    refused = walk.step({**body, "decision": "not_approved", "refusal_reason": "政治审查材料不全"})
    # recorded as it happened: a decision on day 92 is late, and the refusal changes no stage
    assert [b["code"] for b in refused["breaches"]] == ["MEMBERS.APPROVAL_DEADLINE"]
    assert (refused["person"]["stage"], refused["person"]["reached_step"]) == ("target", 14)
    timeline = client.get(f"/api/members/v1/people/{walk.person['id']}/timeline", headers=county).json
    by_kind = {s["kind"]: s for s in timeline["steps"]}
    assert by_kind["admission_vote"]["status"] == "open"
    assert by_kind["approval"]["status"] == "pending"
    assert by_kind["upper_talk"]["status"] == "pending"
    assert by_kind["upper_talk"]["done_on"] is None
    assert [r["occurred_on"] for r in by_kind["approval"]["records"]] == ["2025-04-03"]   # history kept
    alerts = client.get(f"/api/members/v1/alerts?under={walk.tree.id('v')}", headers=county).json["items"]
    assert "approval" not in {a["kind"] for a in alerts}                                # the clock is met
    early_oath = client.post(walk.url, json={"kind": "oath", "date": "2025-04-10"}, headers=county)
    assert early_oath.status_code == 409
    assert early_oath.json["code"] == "MEMBERS.STEP_ORDER"
    # a new general meeting, a new talk, and this time the approval
    planned = {p["kind"]: p for p in walk.plan}
    walk.step({**planned["admission_vote"], "date": "2025-06-01"})
    walk.step({**planned["upper_talk"], "date": "2025-06-10"})
    approved = walk.step({**body, "date": "2025-07-01"})
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert approved["person"]["stage"] == "probationary"
    assert person["probationary_since"] == "2025-06-01"
