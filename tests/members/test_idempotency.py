"""Issue 11 defect 3: an Idempotency-Key replay is bound to the principal (subject, roles, scope) and the
request, passes the same role and scope checks as the first request, stores no clear ID number or phone,
expires, and concurrent duplicates wait for the first and get its answer."""
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from services.members.models import Person
from shared.db import utcnow
from shared.idempotency import purge_expired
from shared.testing import at_once, auth, kit_of, pending_events

from .conftest import TREE, Tree, everything_stored, id_number

PEOPLE = "/api/members/v1/people"
NUMBER = id_number("1988-05-17", serial=31, male=True)
PHONE = "13912345678"


def body(tree) -> dict:
    return {"unit_id": tree.id("v"), "name": "重放者", "id_number": NUMBER, "phone": PHONE, "gender": "male",
            "birth_date": "1988-05-17"}


def people(app) -> int:
    with kit_of(app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(Person))


def stored_records(app) -> list:
    kit = kit_of(app)
    with kit.db.Session() as session:
        return session.scalars(select(kit.models.IdempotencyRecord)).all()


def test_a_viewer_with_the_same_subject_and_key_is_refused_not_replayed(client, members, tree, county):
    first = client.post(PEOPLE, json=body(tree), headers={**county, "Idempotency-Key": "k-pii"})
    assert first.status_code == 201
    assert first.json["id_number"] == NUMBER
    viewer = {**auth(members, "viewer", scope=tree.id("a")), "Idempotency-Key": "k-pii"}
    again = client.post(PEOPLE, json=body(tree), headers=viewer)
    assert again.status_code == 403, again.json
    assert NUMBER not in again.get_data(as_text=True)
    assert PHONE not in again.get_data(as_text=True)


def test_another_countys_token_with_the_same_subject_and_key_is_refused(client, members, tree, county):
    assert client.post(PEOPLE, json=body(tree), headers={**county, "Idempotency-Key": "k-scope"}).status_code == 201
    elsewhere = {**auth(members, "organizer", scope=tree.id("z")), "Idempotency-Key": "k-scope"}
    again = client.post(PEOPLE, json=body(tree), headers=elsewhere)
    assert again.status_code == 404
    assert NUMBER not in again.get_data(as_text=True)
    assert people(members) == 1


def test_the_stored_answer_holds_no_clear_id_number_or_phone_and_still_replays(client, members, tree, county):
    headers = {**county, "Idempotency-Key": "k-stored"}
    first = client.post(PEOPLE, json=body(tree), headers=headers)
    [record] = stored_records(members)
    assert NUMBER not in record.body
    assert PHONE not in record.body
    assert "重放者" not in record.body
    again = client.post(PEOPLE, json=body(tree), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json


def test_an_expired_key_is_not_replayed_and_the_daily_job_purges_it(client, members, tree, county):
    plain = {k: v for k, v in body(tree).items() if k not in ("id_number", "phone")}
    headers = {**county, "Idempotency-Key": "k-old"}
    assert client.post(PEOPLE, json=plain, headers=headers).status_code == 201
    kit = kit_of(members)
    with kit.db.transaction() as session:
        session.execute(update(kit.models.IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
    fresh = client.post(PEOPLE, json=plain, headers=headers)
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert people(members) == 2
    with kit.db.transaction() as session:
        session.execute(update(kit.models.IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
    assert purge_expired(members) == {"deleted": 1}
    assert stored_records(members) == []


def test_a_key_that_is_not_printable_ascii_is_422(client, tree, county):
    resp = client.post(PEOPLE, json=body(tree), headers={**county, "Idempotency-Key": "键 with space"})
    assert resp.status_code == 422
    assert "Idempotency-Key" in resp.json["errors"]["headers"]


@pytest.mark.infra
def test_eight_identical_requests_at_once_create_one_person_and_all_get_its_answer(make_app, pg_url):
    members = make_app("members", database_url=pg_url("members"))
    tree = Tree(members)
    for key, parent, kind, domain in [("p", None, "province", None), ("a", "p", "county", None),
                                      ("v", "a", "branch", "village")]:
        tree.add(key, parent, kind, domain)
    headers = {**auth(members, "organizer", scope=tree.id("a")), "Idempotency-Key": "k-at-once"}
    for round_ in range(5):
        headers["Idempotency-Key"] = f"k-at-once-{round_}"
        plain = {"unit_id": tree.id("v"), "name": f"同时{round_}", "gender": "female", "birth_date": "1991-02-03"}
        answers = at_once(members, *[lambda client: client.post(PEOPLE, json=plain, headers=headers)] * 8)
        assert [a.status_code for a in answers] == [201] * 8, [a.json for a in answers]
        assert len({a.json["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
        assert people(members) == round_ + 1


@pytest.mark.infra
def test_on_postgresql_no_clear_id_number_or_phone_is_stored_published_or_logged(make_app, pg_url, caplog):
    """Issue 11 "Done when": a POST /people with an ID number and a phone, its replay, the replay refused to a
    viewer and a PATCH of the phone leave neither in clear in any table (the idempotency keys, the audit log
    and the outbox included), in any event or in any log record."""
    caplog.set_level(logging.DEBUG)
    members = make_app("members", database_url=pg_url("members"))
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    first = client.post(PEOPLE, json=body(tree), headers={**county, "Idempotency-Key": "k-pg-pii"})
    assert first.status_code == 201
    replay = client.post(PEOPLE, json=body(tree), headers={**county, "Idempotency-Key": "k-pg-pii"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id_number"] == NUMBER
    viewer = {**auth(members, "viewer", scope=tree.id("a")), "Idempotency-Key": "k-pg-pii"}
    assert client.post(PEOPLE, json=body(tree), headers=viewer).status_code == 403
    new_phone = "13798765432"
    patched = client.patch(f"{PEOPLE}/{first.json['id']}", json={"phone": new_phone},
                           headers={**county, "If-Match": first.headers["ETag"]})
    assert patched.status_code == 200
    stored = everything_stored(members)
    events = json.dumps([e.as_dict() for e in pending_events(members)], ensure_ascii=False)
    assert "k-pg-pii" in stored  # the scan reads the idempotency record, the audit entries and the outbox
    assert stored.count(first.json["id"]) >= 3
    for secret in (NUMBER, PHONE, new_phone):
        assert secret not in stored
        assert secret not in events
        assert secret not in caplog.text
        assert not [r for r in caplog.records if secret in r.getMessage() or secret in repr(r.__dict__)]
