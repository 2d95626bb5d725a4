"""Issue 11 defect 1 in members, on the real PostgreSQL with real concurrent requests: of two writers sending
the same ETag exactly one wins (the other gets 412) and the stored state is the winner's; a write that takes no
If-Match (a procedure step, a management action) racing one that does loses nothing; and writers that lock the
same rows in a transfer's completion and a member's leaving never deadlock (answered 503)."""
from __future__ import annotations

import pytest

from shared import dates
from shared.testing import at_once, auth

from .conftest import Walk, full_member

pytestmark = pytest.mark.infra

PEOPLE = "/api/members/v1/people"
TRANSFERS = "/api/members/v1/transfers"


@pytest.fixture
def members(make_app, pg_url):
    """The conftest's members app (and so its tree, client and tokens) on PostgreSQL."""
    return make_app("members", database_url=pg_url("members"))


def read(client, headers, url) -> tuple[dict, str]:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json, resp.headers["ETag"]


def patch(url, headers, etag, body):
    return lambda client: client.patch(url, json=body, headers={**headers, "If-Match": etag})


def post(url, headers, body):
    return lambda client: client.post(url, json=body, headers=headers)


def one_winner(first, second, won: int = 200):
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == sorted([won, 412]), (first.status_code, first.json, second.status_code, second.json)
    return first if first.status_code == won else second


def test_of_two_person_patches_with_one_etag_exactly_one_wins_every_round(members, client, county, tree):
    person = full_member(client, county, tree.id("v"), "并发")
    url = f"{PEOPLE}/{person['id']}"
    for round_ in range(20):
        before, etag = read(client, county, url)
        first, second = at_once(members, patch(url, county, etag, {"name": f"甲{round_}", "occupation": "甲"}),
                                patch(url, county, etag, {"name": f"乙{round_}", "occupation": "乙"}))
        winner = one_winner(first, second)
        after, _ = read(client, county, url)
        assert (after["name"], after["occupation"]) == (winner.json["name"], winner.json["occupation"]), round_
        assert after["version"] == before["version"] + 1 == winner.json["version"], round_


def test_of_two_transfer_decisions_with_one_etag_exactly_one_wins_every_round(members, client, county, tree):
    receiving = auth(members, "organizer", scope=tree.id("z"))
    member = full_member(client, county, tree.id("v"), "转接")
    for round_ in range(10):
        requested = client.post(TRANSFERS, headers=county, json={
            "person_id": member["id"], "to_unit_id": tree.id("bz"), "requested_on": "2026-03-01"})
        assert requested.status_code == 201, requested.json
        url = f"{TRANSFERS}/{requested.json['id']}"
        _, etag = read(client, receiving, url)
        first, second = at_once(members, patch(url, receiving, etag, {"status": "accepted", "on": "2026-03-05"}),
                                patch(url, receiving, etag, {"status": "rejected", "on": "2026-03-06"}))
        winner = one_winner(first, second)
        after, after_etag = read(client, receiving, url)
        assert (after["status"], after["version"]) == (winner.json["status"], 2), round_
        assert (after["accepted_on"], after["closed_on"]) == (
            ("2026-03-05", None) if winner.json["status"] == "accepted" else (None, "2026-03-06")), round_
        if after["status"] == "accepted":      # the sending side withdraws it, so the next round may ask again
            cancelled = client.patch(url, json={"status": "cancelled", "on": "2026-03-07"},
                                     headers={**county, "If-Match": after_etag})
            assert cancelled.status_code == 200, cancelled.json


def test_a_step_recorded_while_the_person_is_patched_loses_neither_change(members, client, county, tree):
    walk = Walk(client, county, tree)
    url = f"{PEOPLE}/{walk.person['id']}"
    for round_, step in enumerate(walk.plan[:12]):
        before, etag = read(client, county, url)
        steps_before = len(client.get(walk.url, headers=county).json["items"])
        patched, recorded = at_once(members, patch(url, county, etag, {"occupation": f"职业{round_}"}),
                                    post(walk.url, county, step))
        assert recorded.status_code == 201, (round_, step["kind"], recorded.json)
        assert patched.status_code in (200, 412), (round_, patched.json)
        after, _ = read(client, county, url)
        applied = 1 + (patched.status_code == 200)
        assert after["version"] == before["version"] + applied, (round_, patched.status_code)
        assert after["occupation"] == (f"职业{round_}" if patched.status_code == 200 else before["occupation"])
        assert len(client.get(walk.url, headers=county).json["items"]) == steps_before + 1, round_
        assert after["reached_step"] == recorded.json["person"]["reached_step"], round_


def test_a_transfer_completed_while_the_member_dies_never_deadlocks_and_loses_nothing(members, client, county,
                                                                                      admin, tree):
    """The completion locks the transfer and then the person; a leaving member's action locks the person and
    then the member's open transfers: taken in opposite orders, the two would deadlock (PostgreSQL aborts one,
    answered 503) instead of one waiting for the other."""
    receiving = auth(members, "organizer", scope=tree.id("z"))
    for round_ in range(10):
        member = full_member(client, county, tree.id("v"), f"离世{round_}")
        requested = client.post(TRANSFERS, headers=county, json={
            "person_id": member["id"], "to_unit_id": tree.id("bz"), "requested_on": "2026-03-01"})
        url = f"{TRANSFERS}/{requested.json['id']}"
        _, etag = read(client, receiving, url)
        accepted = client.patch(url, json={"status": "accepted", "on": "2026-03-05"},
                                headers={**receiving, "If-Match": etag})
        assert accepted.status_code == 200, accepted.json
        completed, died = at_once(
            members, patch(url, receiving, accepted.headers["ETag"], {"status": "completed", "on": "2026-03-10"}),
            post(f"{PEOPLE}/{member['id']}/management", admin, {"kind": "death", "date": "2026-03-11"}))
        assert died.status_code == 201, (round_, died.json)
        assert completed.status_code in (200, 412), (round_, completed.json)
        person, _ = read(client, admin, f"{PEOPLE}/{member['id']}")
        transfer, _ = read(client, admin, url)
        assert person["status"] == "left", round_
        if completed.status_code == 200:       # completed first: moved, then died where it now belongs
            assert (transfer["status"], person["unit_id"], person["version"]) == ("completed", tree.id("bz"),
                                                                                   member["version"] + 2), round_
        else:                                  # died first: the open transfer was cancelled, the completion stale
            assert (transfer["status"], person["unit_id"], person["version"]) == ("cancelled", tree.id("v"),
                                                                                   member["version"] + 1), round_


def test_a_month_paid_by_hand_while_a_bank_file_pays_it_is_paid_once(members, client, county, tree):
    """The hand-entered payment locks its person; the payments import once did not: both read the month's
    bill unpaid and both paid it (two payments of one month, the bill pointing at one of them)."""
    from .test_dues import as_csv, base_body, generate, month_text, months_ago, record_base

    header = ["人员ID", "交纳日期", "起始月份", "金额", "流水号"]
    month, today = months_ago(1), dates.today().isoformat()
    for round_ in range(5):
        person = full_member(client, county, tree.id("v"), f"双交{round_}")
        record_base(client, county, person["id"], base_body("employed", ["5000.00"], {}, None))
        generate(client, county, tree.id("v"), month)
        by_hand = post(f"{PEOPLE}/{person['id']}/dues/payments", county,
                       {"paid_on": today, "from_month": month_text(month), "amount": "50.00"})
        by_file = (lambda client: client.post(
            "/api/members/v1/dues/payments/imports",
            data=as_csv([header, [person["id"], today, month_text(month), "50.00", f"B-{round_}"]]),
            headers={**county, "Content-Type": "text/csv"}))
        hand, file = at_once(members, by_hand, by_file)
        assert sorted([hand.status_code, file.status_code]) in ([201, 409], [201, 422]), (hand.json, file.json)
        paid = client.get(f"{PEOPLE}/{person['id']}/dues", headers=county).json
        assert len(paid["payments"]) == 1, (round_, hand.json, file.json)
