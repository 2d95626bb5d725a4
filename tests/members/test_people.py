"""People: registration with all fields, the national ID number validated / encrypted / unique / masked /
never logged, scope 404, bad input 422 with nothing written, If-Match updates, cursor lists."""
from __future__ import annotations

import json
import logging
from datetime import date

from sqlalchemy import func, select

from services.members.models import Person
from shared.dates import age_on, today
from shared.testing import auth, kit_of, pending_events

from .conftest import everything_stored, id_number, register

PEOPLE = "/api/members/v1/people"


def count_people(app) -> int:
    with kit_of(app).db.Session() as s:
        return s.scalar(select(func.count()).select_from(Person))


def test_a_person_with_all_fields(client, county, tree, members):
    number = id_number("1990-03-07", serial=12, male=False)
    person = register(client, county, tree.id("v"), name="李梅", gender="female", birth_date="1990-03-07",
                      id_number=number, phone="13800138000", ethnicity="汉族", education="本科",
                      occupation="村医", classification="in_work", stage="full", applied_on="2014-01-10",
                      activist_since="2014-05-01", target_since="2015-06-01", probationary_since="2015-07-01",
                      full_member_since="2016-07-01")
    assert person["id_number"] == number
    assert person["phone"] == "13800138000"  # an organizer may see PII
    assert person["pii_masked"] is False
    assert person["stage"] == "full"
    assert person["reached_step"] == 25
    assert person["party_standing"] == {"since": "2016-07-01", "years": age_on(date(2016, 7, 1), today())}
    assert person["probation_ends_on"] == "2016-07-01"
    assert (person["ethnicity"], person["education"], person["occupation"], person["classification"]) == (
        "汉族", "本科", "村医", "in_work")
    created = [e for e in pending_events(members) if e.type == "members.person.created"][-1]
    assert created.data["id"] == person["id"]
    assert created.data["full_member_since"] == "2016-07-01"
    assert set(created.data) == {"id", "unit_id", "name", "stage", "status", "full_member_since",
                                 "probationary_since", "classification", "person_version"}


def test_the_birth_date_and_gender_come_from_the_id_number(client, county, tree):
    number = id_number("1988-12-01", serial=3, male=True)
    resp = client.post(PEOPLE, headers=county, json={"unit_id": tree.id("v"), "name": "王", "gender": "male",
                                                     "id_number": number})
    assert resp.status_code == 201
    assert resp.json["birth_date"] == "1988-12-01"
    wrong = client.post(PEOPLE, headers=county, json={"unit_id": tree.id("v"), "name": "王", "gender": "female",
                                                      "birth_date": "1988-12-02",
                                                      "id_number": id_number("1988-12-01", serial=4)})
    assert wrong.status_code == 422
    assert set(wrong.json["errors"]["json"]) == {"birth_date", "gender"}


def test_pii_is_masked_for_a_role_without_rights_everywhere(client, county, secretary, tree, members, caplog):
    caplog.set_level(logging.DEBUG)
    number = id_number("1992-06-15", serial=7)
    phone = "13912345678"
    person = register(client, county, tree.id("v"), name="周", birth_date="1992-06-15", id_number=number,
                      phone=phone, applied_on="2020-01-01")
    pid = person["id"]
    seen = [client.get(f"{PEOPLE}/{pid}", headers=secretary), client.get(PEOPLE, headers=secretary),
            client.get(f"{PEOPLE}/{pid}/timeline", headers=secretary),
            client.get(f"{PEOPLE}/{pid}/steps", headers=secretary),
            client.get(f"{PEOPLE}?under={tree.id('v')}", headers=auth(members, "viewer", scope=tree.id("a")))]
    for resp in seen:
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert number not in body
        assert phone not in body
    one = seen[0].json
    assert one["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert one["pii_masked"] is True
    assert one["phone"] == "139****5678"
    # a bad number in a request is refused without echoing it
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    resp = client.post(PEOPLE, headers=county, json={"unit_id": tree.id("v"), "name": "错", "gender": "male",
                                                     "id_number": bad})
    assert resp.status_code == 422
    assert bad not in resp.get_data(as_text=True)
    # nothing logged, audited, published or stored in clear
    for secret in (number, bad, phone):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)
        assert secret not in json.dumps([e.as_dict() for e in pending_events(members)], ensure_ascii=False)
        assert secret not in everything_stored(members)


def test_a_secretary_cannot_change_an_id_number(client, county, secretary, tree):
    person = register(client, county, tree.id("v"), name="甲", birth_date="1990-01-01")
    etag = client.get(f"{PEOPLE}/{person['id']}", headers=secretary).headers["ETag"]
    resp = client.patch(f"{PEOPLE}/{person['id']}", json={"id_number": id_number("1990-01-01")},
                        headers={**secretary, "If-Match": etag})
    assert resp.status_code == 403


def test_the_id_number_is_unique_by_its_keyed_hash(client, county, admin, tree, members):
    number = id_number("1985-01-01", serial=9)
    register(client, county, tree.id("v"), name="一", birth_date="1985-01-01", id_number=number)
    again = client.post(PEOPLE, headers=admin, json={"unit_id": tree.id("bz"), "name": "二", "gender": "male",
                                                     "id_number": number.lower()})
    assert again.status_code == 409
    assert number not in again.get_data(as_text=True)
    assert count_people(members) == 1


def test_bad_input_is_422_and_nothing_is_written(client, county, tree, members):
    before = (count_people(members), len(pending_events(members)))
    for body in ({"unit_id": tree.id("v"), "gender": "male", "birth_date": "1990-01-01"},               # no name
                 {"unit_id": tree.id("v"), "name": "x", "gender": "other", "birth_date": "1990-01-01"},
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male"},                            # no birth
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male", "birth_date": "1990-01-01",
                  "stage": "activist"},                                                                # no date
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male", "birth_date": "1990-01-01",
                  "stage": "target", "applied_on": "2015-01-01", "activist_since": "2014-01-01",
                  "target_since": "2016-01-01"},                                                       # order
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male", "birth_date": "1990-01-01",
                  "stage": "full", "probationary_since": "2016-01-01", "full_member_since": "2016-12-31"},
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male", "birth_date": "1990-01-01",
                  "phone": "call me"},
                 {"unit_id": tree.id("v"), "name": "x", "gender": "male", "birth_date": "1990-01-01",
                  "stage": "target", "target_since": "2020-01-01", "reached_step": 20}):
        resp = client.post(PEOPLE, json=body, headers=county)
        assert resp.status_code == 422, (body, resp.json)
        assert resp.json["errors"]
    assert (count_people(members), len(pending_events(members))) == before


def test_a_county_token_cannot_see_or_change_another_countys_people(client, admin, members, tree):
    theirs = register(client, admin, tree.id("bz"), name="外县人", birth_date="1990-01-01")
    mine = auth(members, "organizer", scope=tree.id("a"))
    url = f"{PEOPLE}/{theirs['id']}"
    assert client.get(url, headers=mine).status_code == 404
    assert client.patch(url, json={"name": "改"}, headers={**mine, "If-Match": "*"}).status_code == 404
    assert client.get(f"{PEOPLE}?under={tree.id('z')}", headers=mine).status_code == 404
    assert client.get(PEOPLE, headers=mine).json["items"] == []
    assert client.post(PEOPLE, headers=mine, json={"unit_id": tree.id("bz"), "name": "x", "gender": "male",
                                                    "birth_date": "1990-01-01"}).status_code == 404
    assert client.get(url, headers=admin).json["name"] == "外县人"


def test_details_change_with_if_match_and_an_event(client, county, tree, members):
    person = register(client, county, tree.id("v"), name="旧名", birth_date="1990-01-01")
    url = f"{PEOPLE}/{person['id']}"
    etag = client.get(url, headers=county).headers["ETag"]
    assert client.patch(url, json={"name": "新名"}, headers=county).status_code == 428
    changed = client.patch(url, json={"name": "新名", "phone": "13700001111"}, headers={**county, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.json["name"] == "新名"
    assert changed.json["phone"] == "13700001111"
    stale = client.patch(url, json={"name": "又改"}, headers={**county, "If-Match": etag})
    assert stale.status_code == 412
    updated = [e for e in pending_events(members) if e.type == "members.person.updated"]
    assert updated[-1].data["name"] == "新名"
    assert updated[-1].data["person_version"] == 2


def test_lists_page_by_cursor_in_a_subtree(client, county, tree):
    for i in range(5):
        register(client, county, tree.id("v" if i % 2 else "b2"), name=f"人{i}", birth_date="1990-01-01")
    first = client.get(f"{PEOPLE}?limit=2&under={tree.id('t')}", headers=county).json
    seen = [p["id"] for p in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"{PEOPLE}?limit=2&under={tree.id('t')}&cursor={cursor}", headers=county).json
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    only_v = client.get(f"{PEOPLE}?under={tree.id('v')}", headers=county).json["items"]
    assert len(only_v) == 2
    assert {p["org_path"] for p in only_v} == {tree.path("v")}
    assert client.get(f"{PEOPLE}?cursor=garbage", headers=county).status_code == 422


def test_a_viewer_reads_but_does_not_write(client, members, tree):
    viewer = auth(members, "viewer", scope=tree.id("a"))
    resp = client.post(PEOPLE, headers=viewer, json={"unit_id": tree.id("v"), "name": "x", "gender": "male",
                                                     "birth_date": "1990-01-01"})
    assert resp.status_code == 403


def test_creating_twice_with_one_idempotency_key_creates_once(client, county, tree, members):
    # a county token on SQLite: the request holds the write lock from the moment its scope is resolved, and
    # the key is looked up in that same transaction
    body = {"unit_id": tree.id("v"), "name": "重放", "gender": "male", "birth_date": "1990-01-01"}
    headers = {**county, "Idempotency-Key": "k-1"}
    first = client.post(PEOPLE, json=body, headers=headers)
    second = client.post(PEOPLE, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_people(members) == 1
