"""Bulk import of people (CSV and NDJSON): each row checked, errors by line and field in both languages, nothing
written on failure, re-import idempotent by the ID number's keyed hash, person.created events written set-wise."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from services.members.models import Deadline, Person
from shared.testing import auth, kit_of, pending_events

from .conftest import id_number

IMPORTS = "/api/members/v1/imports"
HEADER = ["id_number", "name", "gender", "unit_id", "stage", "phone", "ethnicity", "applied_on", "activist_since",
          "target_since", "probationary_since", "full_member_since"]


def rows(tree, n=4):
    out = []
    for i in range(n):
        out.append({"id_number": id_number("1980-01-%02d" % (i % 28 + 1), serial=i), "name": f"导入{i}", "gender": "男",
                    "unit_id": tree.id("v"), "stage": "正式党员", "phone": f"1380000{i:04d}", "ethnicity": "汉族",
                    "applied_on": "2000-01-01", "activist_since": "2000-06-01", "target_since": "2001-07-01",
                    "probationary_since": "2001-08-01", "full_member_since": "2002-08-01"})
    return out


def as_csv(records) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    for r in records:
        writer.writerow({k: r.get(k, "") for k in HEADER})
    return buffer.getvalue().encode()


def as_ndjson(records) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def people_count(app) -> int:
    with kit_of(app).db.Session() as s:
        return s.scalar(select(func.count()).select_from(Person))


def post(client, headers, body: bytes, kind: str):
    return client.post(IMPORTS, data=body, headers={**headers, "Content-Type": kind})


def test_a_csv_import_registers_everyone_and_publishes_their_creation(client, county, tree, members):
    data = rows(tree)
    resp = post(client, county, as_csv(data), "text/csv")
    assert resp.status_code == 201, resp.json
    assert (resp.json["total"], resp.json["created"], resp.json["existing"]) == (4, 4, 0)
    listed = client.get("/api/members/v1/people", headers=county).json["items"]
    assert sorted(p["name"] for p in listed) == ["导入0", "导入1", "导入2", "导入3"]
    assert {p["stage"] for p in listed} == {"full"}
    assert {p["gender"] for p in listed} == {"male"}
    assert listed[0]["id_number"] in {r["id_number"] for r in data}        # an organizer sees it
    created = [e for e in pending_events(members) if e.type == "members.person.created"]
    assert sorted(e.data["id"] for e in created) == sorted(p["id"] for p in listed)
    assert {e.data["full_member_since"] for e in created} == {"2002-08-01"}
    assert len({e.id for e in created}) == 4
    runs = client.get(IMPORTS, headers=county).json["items"]
    assert [(r["created"], r["format"]) for r in runs] == [(4, "csv")]


def test_re_importing_the_same_file_changes_nothing(client, county, tree, members):
    body = as_ndjson(rows(tree))
    assert post(client, county, body, "application/x-ndjson").json["created"] == 4
    events = len(pending_events(members))
    again = post(client, county, body, "application/x-ndjson")
    assert again.status_code == 201
    assert (again.json["created"], again.json["existing"]) == (0, 4)
    assert people_count(members) == 4
    assert len(pending_events(members)) == events


def test_any_bad_row_fails_the_import_with_line_and_field_and_writes_nothing(client, county, tree, members):
    data = rows(tree, 6)
    good_number = data[1]["id_number"]
    data[1]["id_number"] = good_number[:-1] + ("1" if good_number[-1] != "1" else "2")   # bad check digit
    data[2]["unit_id"] = tree.id("bz")                                                    # another county
    data[3]["applied_on"] = "1995-01-01"                                                  # 15 years old
    data[4]["full_member_since"] = "2002-07-31"                                           # before probation ends
    data[5]["stage"] = "党员"
    resp = post(client, county, as_csv(data), "text/csv")
    assert resp.status_code == 422
    report = resp.json["report"]
    assert report["total"] == 6
    assert report["valid"] == 1
    found = {(e["line"], e["field"]) for e in report["errors"]}
    assert found == {(3, "id_number"), (4, "unit_id"), (5, "applied_on"), (6, "full_member_since"), (7, "stage")}
    assert any("MEMBERS.MIN_AGE" in e["message"] for e in report["errors"])
    assert data[1]["id_number"] not in resp.get_data(as_text=True)
    assert people_count(members) == 0
    assert pending_events(members) == []


def test_the_same_person_twice_in_a_file_is_an_error(client, county, tree, members):
    data = rows(tree, 2)
    data[1]["id_number"] = data[0]["id_number"]
    data[1]["name"] = "又一个"
    resp = post(client, county, as_ndjson(data), "application/x-ndjson")
    assert resp.status_code == 422
    assert resp.json["report"]["errors"] == [
        {"line": 2, "field": "id_number", "column": "id_number", "value": None,
         "message": "与第 1 行的身份证号码相同 / the same ID number as line 1",
         "message_zh": "与第 1 行的身份证号码相同", "message_en": "the same ID number as line 1"}]
    assert people_count(members) == 0


def test_ndjson_lines_that_are_not_objects_and_units_by_code(client, county, tree, members):
    data = rows(tree, 2)
    del data[0]["unit_id"]
    data[0]["unit_code"] = "code-b2"
    body = as_ndjson(data) + b"\n[1, 2]\nnot json\n"
    resp = post(client, county, body, "application/x-ndjson")
    assert resp.status_code == 422
    assert [(e["line"], e["field"]) for e in resp.json["report"]["errors"]] == [(3, "*"), (4, "*")]
    ok = post(client, county, as_ndjson(data), "application/x-ndjson")
    assert ok.status_code == 201
    with kit_of(members).db.Session() as s:
        assert s.scalar(select(Person.unit_id).where(Person.name == "导入0")) == tree.id("b2")


def test_imported_people_in_the_middle_of_the_procedure_get_their_running_clocks(client, county, tree, members):
    probationary = {"id_number": id_number("1999-09-09", serial=5), "name": "预备", "unit_id": tree.id("v"),
                    "stage": "probationary", "applied_on": "2024-01-01", "activist_since": "2024-03-01",
                    "target_since": "2025-03-05", "probationary_since": "2026-01-10"}
    assert post(client, county, as_ndjson([probationary]), "application/x-ndjson").status_code == 201
    with kit_of(members).db.Session() as s:
        assert [(d.kind, d.due_on.isoformat()) for d in s.scalars(select(Deadline))] == [
            ("probation_end", "2027-01-10")]
    listed = client.get("/api/members/v1/people", headers=county).json["items"][0]
    person = client.get(f"/api/members/v1/people/{listed['id']}", headers=county).json
    assert (person["reached_step"], person["probation_ends_on"], person["gender"]) == (20, "2027-01-10", "male")


def test_imports_need_a_known_format_and_a_writer(client, county, members, tree):
    assert post(client, county, b"x", "application/xml").status_code == 415
    viewer = auth(members, "viewer", scope=tree.id("a"))
    assert post(client, viewer, as_csv(rows(tree, 1)), "text/csv").status_code == 403
    assert post(client, county, as_csv([]), "text/csv").status_code == 422


def test_a_file_with_some_people_already_registered_adds_only_the_others(client, county, tree, members):
    data = rows(tree, 4)
    assert post(client, county, as_ndjson(data[:2]), "application/x-ndjson").json["created"] == 2
    both = post(client, county, as_ndjson(data), "application/x-ndjson")
    assert (both.json["created"], both.json["existing"]) == (2, 2)
    assert people_count(members) == 4
    created = [e for e in pending_events(members) if e.type == "members.person.created"]
    assert len(created) == 4
    assert len({e.data["id"] for e in created}) == 4


@pytest.fixture
def small_blocks(monkeypatch):
    from services.members import imports

    monkeypatch.setattr(imports, "BLOCK_BYTES", 300)   # a few rows a block: the file crosses many of them


@pytest.mark.parametrize("processes", [0, 2], ids=["inline", "worker-processes"])
def test_a_file_in_many_blocks_keeps_its_lines_finds_repeats_across_blocks_and_writes_nothing(
        make_app, small_blocks, processes):
    from .conftest import TREE, Tree

    members = make_app("members", import_processes=processes, import_parallel_bytes=0)
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    data = rows(tree, 30)
    data[25]["id_number"] = data[2]["id_number"]                  # far apart: other blocks
    data[17]["applied_on"] = "2000-13-01"
    resp = post(client, county, as_csv(data), "text/csv")
    assert resp.status_code == 422
    assert [(e["line"], e["field"], e["value"], e["message_en"]) for e in resp.json["report"]["errors"]] == [
        (19, "applied_on", "2000-13-01", "a date as YYYY-MM-DD"), (27, "id_number", None, "the same ID number as line 4")]
    assert people_count(members) == 0
    assert pending_events(members) == []
    data[25]["id_number"], data[17]["applied_on"] = id_number("1980-02-02", serial=99), "2000-01-01"
    ok = post(client, county, as_csv(data), "text/csv")
    assert ok.status_code == 201
    assert ok.json["created"] == 30
    assert len([e for e in pending_events(members) if e.type == "members.person.created"]) == 30


def test_a_file_that_is_not_utf8_half_way_writes_nothing(client, county, tree, members, small_blocks):
    body = as_csv(rows(tree, 20)) + "13,名字".encode("gb18030") + b"\n"
    resp = post(client, county, body, "text/csv")
    assert resp.status_code == 422
    assert resp.json["type"].endswith("import-encoding")
    assert "charset=gbk" in resp.json["detail_zh"]
    assert "?encoding=gb18030" in resp.json["detail_en"]
    assert people_count(members) == 0
    assert pending_events(members) == []


def test_a_file_longer_than_the_limit_is_refused_whole(make_app, small_blocks):
    from .conftest import TREE, Tree

    members = make_app("members", import_max_rows=12)
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    resp = post(client, county, as_csv(rows(tree, 30)), "text/csv")
    assert resp.status_code == 422
    assert resp.json["type"].endswith("import-too-large")
    assert "more than 12 rows" in resp.json["detail"]
    assert people_count(members) == 0
    assert pending_events(members) == []
    assert post(client, county, as_csv(rows(tree, 12)), "text/csv").json["created"] == 12
