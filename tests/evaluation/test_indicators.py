"""Indicator facts kept from events: each event moves the indicators, and an older event never undoes a newer one."""
from datetime import date, datetime, timezone

from tests.evaluation.conftest import API, YEAR, new_id


def indicators(app, headers, unit, year=YEAR):
    resp = app.test_client().get(f"{API}/units/{unit['id']}/indicators?year={year}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_an_org_meeting_event_moves_the_meeting_indicators(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    before = indicators(evaluation, admin, branch)
    assert before["evidence"]["meetings"]["general_meeting"] == {"held": 0, "due": 4}
    assert before["indicators"]["meetings.general_meeting"] == 0.0
    assert before["indicators"]["meetings.shortfall"] == 23

    feed.meeting(branch, "general_meeting", date(YEAR, 3, 15))
    after = indicators(evaluation, admin, branch)
    assert after["evidence"]["meetings"]["general_meeting"] == {"held": 1, "due": 4}
    assert after["indicators"]["meetings.general_meeting"] == 0.25
    assert after["indicators"]["meetings.shortfall"] == 22
    assert after["indicators"]["meetings.ratio"] == 1 / 23


def test_a_meeting_that_missed_its_quorum_does_not_count(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    feed.meeting(branch, "general_meeting", date(YEAR, 3, 15), counts=False)
    assert indicators(evaluation, admin, branch)["evidence"]["meetings"]["general_meeting"]["held"] == 0


def test_a_late_older_meeting_event_never_undoes_a_newer_one(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    meeting_id = new_id()
    newer = datetime(YEAR, 5, 2, tzinfo=timezone.utc)
    older = datetime(YEAR, 5, 1, tzinfo=timezone.utc)
    feed.meeting(branch, "general_meeting", date(YEAR, 3, 15), counts=False, meeting_id=meeting_id, occurred_at=newer)
    feed.meeting(branch, "general_meeting", date(YEAR, 3, 15), counts=True, meeting_id=meeting_id, occurred_at=older)
    assert indicators(evaluation, admin, branch)["evidence"]["meetings"]["general_meeting"]["held"] == 0


def test_a_newer_record_of_a_meeting_moves_its_count(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    meeting_id = feed.meeting(branch, "general_meeting", date(YEAR, 3, 15))
    feed.meeting(branch, "party_lecture", date(YEAR, 3, 15), meeting_id=meeting_id)  # corrected: it was a lecture
    meetings = indicators(evaluation, admin, branch)["evidence"]["meetings"]
    assert (meetings["general_meeting"]["held"], meetings["party_lecture"]["held"]) == (0, 1)
    feed.meeting(branch, "party_lecture", date(YEAR, 3, 15), meeting_id=meeting_id, counts=False)  # quorum missed
    assert indicators(evaluation, admin, branch)["evidence"]["meetings"]["party_lecture"]["held"] == 0
    feed.meeting(branch, "party_lecture", date(YEAR - 1, 12, 15), meeting_id=meeting_id)  # last year's, after all
    assert indicators(evaluation, admin, branch)["evidence"]["meetings"]["party_lecture"]["held"] == 0
    assert indicators(evaluation, admin, branch, YEAR - 1)["evidence"]["meetings"]["party_lecture"]["held"] == 1


def test_the_same_event_delivered_twice_counts_once(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    envelope = feed.envelope("org.meeting.recorded", {
        "meeting_id": new_id(), "unit_id": branch["id"], "type": "theme_day", "held_on": date(YEAR, 1, 10),
        "entitled": 5, "present": 5, "quorate": True, "counts": True})
    assert feed.apply(envelope) is True
    assert feed.apply(envelope) is False
    assert indicators(evaluation, admin, branch)["evidence"]["meetings"]["theme_day"]["held"] == 1


def test_a_training_attendance_event_moves_hour_coverage(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    first, second = feed.person(branch, "full"), feed.person(branch, "probationary",
                                                             probationary_since=date(YEAR, 2, 1))
    assert indicators(evaluation, admin, branch)["indicators"]["training.hour_coverage"] == 0.0

    feed.attendance(first, branch, year_hours=32.0)
    assert indicators(evaluation, admin, branch)["indicators"]["training.hour_coverage"] == 0.5
    feed.attendance(first, branch, year_hours=24.0)  # an earlier session's event arriving late
    assert indicators(evaluation, admin, branch)["indicators"]["training.hour_coverage"] == 0.5
    feed.attendance(second, branch, year_hours=30.0)
    assert indicators(evaluation, admin, branch)["indicators"]["training.hour_coverage"] == 0.5
    feed.requirement(second, branch, "member_hours")  # training says the requirement is met
    assert indicators(evaluation, admin, branch)["indicators"]["training.hour_coverage"] == 1.0


def test_secretary_rotation_counts_for_the_secretary_on_record(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    secretary, member = feed.person(branch), feed.person(branch)
    feed.committee(branch, [{"role": "secretary", "person_id": secretary, "since": date(YEAR - 1, 6, 1)}])
    feed.requirement(member, branch, "secretary_rotation")
    assert indicators(evaluation, admin, branch)["indicators"]["training.rotation"] == 0
    feed.requirement(secretary, branch, "secretary_rotation")
    assert indicators(evaluation, admin, branch)["indicators"]["training.rotation"] == 1


def test_committee_facts_follow_the_newest_election_and_version(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    secretary = feed.person(branch)
    seat = [{"role": "secretary", "person_id": secretary, "since": date(YEAR - 1, 6, 1)}]
    vacant = [{"role": "secretary", "person_id": None, "since": None}]
    committee = feed.committee(branch, seat, version=1)
    feed.committee(branch, vacant, version=2, vacant_since=date(YEAR, 3, 1), change="vacancy",
                   committee_id=committee["committee_id"], elected_on=committee["elected_on"])
    feed.committee(branch, seat, version=1, committee_id=committee["committee_id"],
                   elected_on=committee["elected_on"])  # the first version again, late
    found = indicators(evaluation, admin, branch)
    assert found["indicators"]["committee.secretary_vacant_3m"] == 1
    assert found["indicators"]["committee.complete"] == 0
    assert "secretary_vacant" in [s["facts"]["sign"] for s in found["signs"]]

    feed.committee(branch, seat, elected_on=date(YEAR, 11, 1), term_ends_on=date(YEAR + 4, 10, 31))  # re-elected
    found = indicators(evaluation, admin, branch)
    assert found["indicators"]["committee.secretary_vacant_3m"] == 0
    assert found["indicators"]["committee.complete"] == 1
    assert found["evidence"]["committee"]["elected_on"] == f"{YEAR}-11-01"


def test_an_expired_term_shows(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    feed.committee(branch, [{"role": "secretary", "person_id": feed.person(branch), "since": None}],
                   term_ends_on=date(YEAR, 6, 30))
    found = indicators(evaluation, admin, branch)
    assert found["indicators"]["committee.term_in_force"] == 0
    assert found["evidence"]["term_expired"]["code"] == "ORG.TERM_EXPIRED"


def test_person_state_by_version_stage_counts_and_members_developed(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    other = feed.unit("branch", "二支部", tree["township"])
    person = feed.person(branch, "target", version=1)
    found = indicators(evaluation, admin, branch)["indicators"]
    assert (found["members.target"], found["members.developed_1y"]) == (1, 0)

    feed.person(branch, "probationary", person_id=person, version=3, probationary_since=date(YEAR, 7, 1),
                type_="members.stage.changed",
                extra={"from_stage": "target", "changed_on": date(YEAR, 7, 1), "step": "approval"})
    feed.person(branch, "target", person_id=person, version=2, type_="members.stage.changed",
                extra={"from_stage": "activist", "changed_on": date(YEAR, 1, 1), "step": "decide_target"})  # late
    found = indicators(evaluation, admin, branch)["indicators"]
    assert (found["members.target"], found["members.probationary"], found["members.developed_1y"],
            found["members.developed_3y"]) == (0, 1, 1, 1)

    feed.person(other, "probationary", person_id=person, version=4, probationary_since=date(YEAR, 7, 1),
                type_="members.member.transferred",
                extra={"from_unit_id": branch["id"], "transferred_on": date(YEAR, 9, 1)})
    assert indicators(evaluation, admin, branch)["indicators"]["members.probationary"] == 0
    assert indicators(evaluation, admin, other)["indicators"]["members.developed_1y"] == 1

    feed.person(other, "probationary", person_id=person, version=5, status="left", type_="members.member.left",
                probationary_since=date(YEAR, 7, 1), extra={"reason": "withdrawal", "left_on": date(YEAR, 10, 1)})
    assert indicators(evaluation, admin, other)["indicators"]["members.probationary"] == 0


def test_points_average_counts_an_award_once(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    first, _second = feed.person(branch), feed.person(branch)
    award = new_id()
    feed.points(first, branch, 80.0, award_id=award)
    feed.points(first, branch, 80.0, award_id=award)  # the same award republished as another event
    assert indicators(evaluation, admin, branch)["indicators"]["points.average"] == 40.0
    feed.points(first, branch, 90.0, award_id=award)  # corrected later
    late = feed.envelope("members.points.awarded", {"award_id": award, "person_id": first, "unit_id": branch["id"],
                                                    "year": YEAR, "points": 10.0, "source": "attendance"},
                         occurred_at=datetime(YEAR, 1, 1, tzinfo=timezone.utc))
    feed.apply(late)  # an older version of the award, arriving last
    assert indicators(evaluation, admin, branch)["indicators"]["points.average"] == 45.0


def test_review_and_venue(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    found = indicators(evaluation, admin, branch)
    assert found["indicators"]["review.done"] == 0
    assert found["indicators"]["support.venue"] == 0
    assert "no_venue" not in [s["facts"]["sign"] for s in found["signs"]]  # unknown is not evidence
    feed.review(branch)
    feed.support(branch, has_venue=False)
    found = indicators(evaluation, admin, branch)
    assert found["indicators"]["review.done"] == 1
    assert "no_venue" in [s["facts"]["sign"] for s in found["signs"]]


def test_a_model_branch_shows_no_weak_sign(evaluation, feed, tree, admin):
    branch = feed.model_branch(tree["township"], "一支部")
    found = indicators(evaluation, admin, branch)
    assert found["signs"] == []
    assert found["indicators"]["meetings.ratio"] == 1.0
    assert found["indicators"]["points.average"] == 100.0


def test_the_indicator_list_pages_a_subtree(evaluation, feed, tree, admin):
    for i in range(5):
        feed.unit("branch", f"支部{i}", tree["township"])
    feed.unit("branch", "外县支部", tree["other_county"])
    client = evaluation.test_client()
    first = client.get(f"{API}/indicators?under={tree['county']['id']}&year={YEAR}&limit=3", headers=admin).get_json()
    second = client.get(f"{API}/indicators?under={tree['county']['id']}&year={YEAR}&limit=3"
                        f"&cursor={first['next_cursor']}", headers=admin).get_json()
    names = [r["name"] for r in first["items"] + second["items"]]
    assert sorted(names) == [f"支部{i}" for i in range(5)]
    assert second["next_cursor"] is None


def test_indicators_of_a_year_not_begun_are_422(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    resp = evaluation.test_client().get(f"{API}/units/{branch['id']}/indicators?year={YEAR + 2}", headers=admin)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["query"]["year"]
