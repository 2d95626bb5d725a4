"""Committees and terms through the API: elections gated by size and roles (409 + rule code, nothing
written), vacancies, by-elections, upper approval, extensions, and the terms falling due."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services.org.models import Committee
from shared.dates import add_years, today
from shared.testing import kit_of, pending_events

from .conftest import API


def elect(org, unit, seats, elected_on="2025-03-01", headers=None):
    return org.post(f"/units/{unit['id']}/elections", {
        "elected_on": elected_on, "seats": [{"role": r, "person_id": p} for r, p in seats]}, headers=headers)


def committee_count(org):
    with kit_of(org.app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(Committee))


def change(org, unit, what, body, headers=None):
    etag = org.client.get(f"{API}/units/{unit['id']}/committee", headers=org.headers).headers["ETag"]
    return org.client.post(f"{API}/units/{unit['id']}/committee/{what}", json=body,
                           headers={**(headers or org.headers), "If-Match": etag})


@pytest.mark.parametrize("full, roles, status, code", [
    (6, ["secretary", "deputy_secretary"], 201, None),
    (6, ["secretary", "organization", "propaganda"], 409, "ORG.COMMITTEE_REQUIRED"),
    (7, ["secretary"], 409, "ORG.COMMITTEE_REQUIRED"),
    (7, ["secretary", "organization", "propaganda"], 201, None),
    (7, ["secretary", "secretary", "propaganda"], 409, "ORG.COMMITTEE_ROLES"),
])
def test_the_size_follows_the_full_members_at_the_election(org, tree, full, roles, status, code):
    ids = org.members(tree["branch"], full)
    events = len(pending_events(org.app))
    resp = elect(org, tree["branch"], list(zip(roles, ids)))
    assert resp.status_code == status, resp.json
    if code:
        assert resp.json["code"] == code
        assert committee_count(org) == 0
        assert len(pending_events(org.app)) == events
    else:
        assert resp.json["full_members_at_election"] == full
        assert resp.headers["ETag"]


def test_an_election_records_the_term_by_domain_and_publishes_the_seats(org, tree):
    ids = org.members(tree["branch"], 7)
    resp = elect(org, tree["branch"], [("secretary", ids[0]), ("organization", ids[1]), ("propaganda", ids[2])],
                 elected_on="2024-02-29")
    assert resp.status_code == 201
    assert resp.json["term_years"] == 5
    assert resp.json["term_ends_on"] == "2029-02-28"  # a village branch
    assert [s["role"] for s in resp.json["seats"]] == ["secretary", "organization", "propaganda"]
    assert resp.json["seats"][0]["approval_pending"] is True
    event = pending_events(org.app)[-1]
    assert event.type == "org.committee.elected"
    assert event.data["committee_version"] == 1
    assert event.data["seats"][0] == {"role": "secretary", "person_id": ids[0], "since": "2024-02-29"}
    assert event.data["term_ends_on"] == "2029-02-28"
    assert event.data["secretary_vacant_since"] is None


def test_other_domains_serve_three_years(org, tree):
    school = org.unit("branch", tree["township"], domain="school")
    ids = org.members(school, 3)
    assert elect(org, school, [("secretary", ids[0])], elected_on="2025-06-30").json["term_ends_on"] == "2028-06-30"


def test_seat_holders_are_full_members_of_the_branch(org, tree):
    own = org.members(tree["branch"], 2)
    probationary = org.person(tree["branch"], stage="probationary")
    elsewhere = org.person(tree["other_branch"])
    for person in (probationary, elsewhere, "00000000-0000-4000-8000-000000000000"):
        resp = elect(org, tree["branch"], [("secretary", own[0]), ("deputy_secretary", person)])
        assert resp.status_code == 409
        assert resp.json["code"] == "ORG.COMMITTEE_ROLES"
    assert elect(org, tree["branch"], [("secretary", own[0]), ("deputy_secretary", own[1])]).status_code == 201


@pytest.mark.parametrize("standing_from, status", [("2024-03-01", 201), ("2024-03-02", 409)])
def test_a_secretary_needs_one_year_of_standing(org, tree, standing_from, status):
    secretary = org.person(tree["branch"], full_member_since=date.fromisoformat(standing_from))
    resp = elect(org, tree["branch"], [("secretary", secretary)], elected_on="2025-03-01")
    assert resp.status_code == status
    if status == 409:
        assert resp.json["code"] == "ORG.COMMITTEE_ROLES"
        assert "2025-03-02" in resp.json["detail"]


@pytest.mark.parametrize("body, field", [
    ({"elected_on": "2025-03-01", "seats": []}, "seats"),
    ({"elected_on": "2025-03-01", "seats": [{"role": "chair", "person_id": "00000000-0000-4000-8000-000000000000"}]},
     "seats"),
    ({"elected_on": "not a date", "seats": [{"role": "secretary", "person_id": "00000000-0000-4000-8000-000000000000"}]},
     "elected_on"),
])
def test_bad_election_input_is_422(org, tree, body, field):
    resp = org.post(f"/units/{tree['branch']['id']}/elections", body)
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]
    assert committee_count(org) == 0


def test_an_election_in_the_future_is_422(org, tree):
    ids = org.members(tree["branch"], 1)
    resp = elect(org, tree["branch"], [("secretary", ids[0])], elected_on=(today() + timedelta(days=1)).isoformat())
    assert resp.status_code == 422
    assert committee_count(org) == 0


def test_a_new_election_supersedes_the_committee_and_raises_the_version(org, tree):
    ids = org.members(tree["branch"], 3)
    elect(org, tree["branch"], [("secretary", ids[0])], elected_on="2020-03-01")
    assert elect(org, tree["branch"], [("secretary", ids[1])], elected_on="2019-03-01").status_code == 422
    second = elect(org, tree["branch"], [("secretary", ids[1])], elected_on="2025-03-01").json
    assert second["version"] == 2
    history = org.get(f"/units/{tree['branch']['id']}/elections").json["items"]
    assert [(c["status"], c["ended_on"]) for c in history] == [("superseded", "2025-03-01"), ("current", None)]


def test_scope_a_county_token_cannot_elect_in_another_county(org, tree):
    ids = org.members(tree["other_branch"], 1)
    county = org.as_("organizer", tree["county"]["id"])
    assert elect(org, tree["other_branch"], [("secretary", ids[0])], headers=county).status_code == 404
    assert org.get(f"/units/{tree['other_branch']['id']}/committee", headers=county).status_code == 404


def test_vacancy_by_election_and_approval(org, tree):
    branch = tree["branch"]
    ids = org.members(branch, 8)
    committee = elect(org, branch, [("secretary", ids[0]), ("organization", ids[1]), ("propaganda", ids[2])],
                      elected_on="2024-03-01").json
    secretary = committee["seats"][0]

    resp = change(org, branch, "vacancies", {"seat_id": secretary["id"], "vacated_on": "2025-01-15",
                                             "reason": "调离"})
    assert resp.status_code == 200
    assert resp.json["secretary_vacant_since"] == "2025-01-15"
    assert resp.json["seats"][0]["person_id"] is None
    assert resp.json["version"] == 2
    event = pending_events(org.app)[-1]
    assert event.type == "org.committee.changed"
    assert event.data["change"] == "vacancy"
    assert event.data["seats"][0] == {"role": "secretary", "person_id": None, "since": None}

    # a by-election fills it; the holder must qualify
    assert change(org, branch, "by-elections", {"seat_id": secretary["id"], "person_id": ids[1],
                                                "elected_on": "2025-03-01"}).json["code"] == "ORG.COMMITTEE_ROLES"
    resp = change(org, branch, "by-elections", {"seat_id": secretary["id"], "person_id": ids[3],
                                                "elected_on": "2025-03-01"})
    assert resp.status_code == 200
    assert resp.json["secretary_vacant_since"] is None
    assert resp.json["seats"][0]["person_id"] == ids[3]
    assert resp.json["seats"][0]["approval_pending"]
    assert pending_events(org.app)[-1].data["change"] == "by_election"

    # the branch's own secretary cannot approve; the county can
    branch_token = org.as_("organizer", branch["id"])
    assert change(org, branch, "approvals", {"seat_id": secretary["id"], "approved_on": "2025-03-10"},
                  headers=branch_token).status_code == 403
    county = org.as_("organizer", tree["county"]["id"])
    resp = change(org, branch, "approvals", {"seat_id": secretary["id"], "approved_on": "2025-03-10"}, headers=county)
    assert resp.status_code == 200
    assert resp.json["seats"][0]["approved_on"] == "2025-03-10"
    assert resp.json["seats"][0]["approval_pending"] is False
    assert change(org, branch, "approvals", {"seat_id": committee["seats"][1]["id"], "approved_on": "2025-03-10"},
                  headers=county).status_code == 422   # only secretary and deputy are approved


def test_a_by_election_may_add_a_seat_within_the_size(org, tree):
    branch = tree["branch"]
    ids = org.members(branch, 7)
    elect(org, branch, [("secretary", ids[0]), ("organization", ids[1]), ("propaganda", ids[2])])
    for i, role in enumerate(["discipline", "other", "other", "other"]):
        assert change(org, branch, "by-elections", {"role": role, "person_id": ids[3 + i],
                                                    "elected_on": "2025-04-01"}).status_code == 200
    seven = org.members(branch, 1)[0]
    resp = change(org, branch, "by-elections", {"role": "other", "person_id": seven, "elected_on": "2025-04-01"})
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.COMMITTEE_REQUIRED"  # at most 7


def test_committee_changes_need_if_match(org, tree):
    ids = org.members(tree["branch"], 1)
    seat = elect(org, tree["branch"], [("secretary", ids[0])]).json["seats"][0]
    url = f"{API}/units/{tree['branch']['id']}/committee/vacancies"
    body = {"seat_id": seat["id"], "vacated_on": "2025-05-01"}
    assert org.client.post(url, json=body, headers=org.headers).status_code == 428
    assert org.client.post(url, json=body, headers={**org.headers, "If-Match": '"x.1"'}).status_code == 412
    assert change(org, tree["branch"], "vacancies", {"seat_id": seat["id"]}).status_code == 422


def test_an_extension_is_at_most_one_year(org, tree):
    ids = org.members(tree["branch"], 1)
    elect(org, tree["branch"], [("secretary", ids[0])], elected_on="2022-02-28")   # village: ends 2027-02-28
    county = org.as_("organizer", tree["county"]["id"])
    resp = change(org, tree["branch"], "extension", {"term_ends_on": "2028-02-29", "approved_on": "2025-01-01",
                                                     "reason": "乡镇换届同步"}, headers=county)
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.TERM_EXPIRED"
    resp = change(org, tree["branch"], "extension", {"term_ends_on": "2028-02-28", "approved_on": "2025-01-01",
                                                     "reason": "乡镇换届同步"}, headers=county)
    assert resp.status_code == 200
    assert resp.json["term_ends_on"] == "2028-02-28"
    assert resp.json["original_term_ends_on"] == "2027-02-28"
    assert pending_events(org.app)[-1].data["change"] == "term_extended"


def test_terms_expiring_and_expired_are_listed(org, tree):
    on = today()
    branches = {}
    for label, years_ago, domain in (("expired", 6, "village"), ("expiring", 3, "school"), ("running", 1, "school")):
        unit = org.unit("branch", tree["township"], domain=domain, name=label)
        ids = org.members(unit, 1)
        elected = add_years(on, -years_ago) + timedelta(days=30 if label == "expiring" else 0)
        assert elect(org, unit, [("secretary", ids[0])], elected_on=elected.isoformat()).status_code == 201
        branches[label] = unit
    due = org.get("/terms", under=tree["county"]["id"]).json["items"]
    assert {i["unit_name"]: i["state"] for i in due} == {"expired": "expired", "expiring": "expiring"}
    assert [i["unit_name"] for i in org.get("/terms", state="expired").json["items"]] == ["expired"]
    expiring = org.get("/terms", state="expiring").json["items"]
    assert expiring[0]["days_left"] == (date.fromisoformat(expiring[0]["term_ends_on"]) - on).days
    assert 0 < expiring[0]["days_left"] <= 90
    assert expiring[0]["term_ends_on"] in expiring[0]["message"]["zh"]
    assert org.get("/terms", headers=org.as_("organizer", tree["other_county"]["id"])).json["items"] == []
    assert org.get(f"/units/{branches['expired']['id']}/committee").json["term"]["state"] == "expired"
    assert org.get("/terms", state="soon").status_code == 422
