"""Bulk import of units: CSV and NDJSON, idempotent by code, the report names line and field (the kit's one
report shape, both languages), all-or-nothing by default, parents earlier in the same file."""
import json

import pytest
from sqlalchemy import func, select

from services.org.models import Unit
from shared.testing import kit_of, pending_events

from .conftest import API


def post(org, body: str, content_type: str = "text/csv", headers=None, **query):
    return org.client.post(f"{API}/imports", data=body.encode(), query_string=query,
                           headers={**(headers or org.headers), "Content-Type": content_type})


def units_by_code(org) -> dict:
    with kit_of(org.app).db.Session() as session:
        return {u.code: u for u in session.scalars(select(Unit))}


def csv_of(parent_code: str) -> str:
    return "\n".join([
        "code,name,kind,parent_code,domain,external_id,established_on",
        f"T-01,钢山街道党工委,township,{parent_code},,dt-1,",
        "T-01-B1,东村党支部,branch,T-01,village,dt-2,2001-07-01",
        "T-01-B2,西村党支部,branch,T-01,village,dt-3,",
        "T-01-B1-G1,第一党小组,party_group,T-01-B1,,,",
    ]) + "\n"


def test_csv_import_creates_units_in_tree_order_with_events(org, tree):
    before = len(pending_events(org.app))
    resp = post(org, csv_of(tree["county"]["code"]))
    assert resp.status_code == 201, resp.json
    assert (resp.json["created"], resp.json["updated"], resp.json["unchanged"], resp.json["error_count"]) == (4, 0, 0, 0)
    units = units_by_code(org)
    assert units["T-01"].parent_id == tree["county"]["id"]
    assert units["T-01-B1-G1"].path.startswith(units["T-01-B1"].path)
    assert units["T-01-B1"].path.startswith(units["T-01"].path + "")
    assert units["T-01-B1"].established_on.isoformat() == "2001-07-01"
    created = [e for e in pending_events(org.app)[before:] if e.type == "org.unit.created"]
    assert {e.data["code"] for e in created} == {"T-01", "T-01-B1", "T-01-B2", "T-01-B1-G1"}
    assert all(e.org_path == e.data["path"] for e in created)
    run = org.get(f"/imports/{resp.json['id']}").json
    assert run["created"] == 4


def test_reimporting_the_same_file_changes_nothing(org, tree):
    body = csv_of(tree["county"]["code"])
    assert post(org, body).status_code == 201
    events = len(pending_events(org.app))
    again = post(org, body)
    assert again.status_code == 201
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 4)
    assert len(pending_events(org.app)) == events


def test_a_changed_name_updates_the_unit(org, tree):
    body = csv_of(tree["county"]["code"])
    post(org, body)
    resp = post(org, body.replace("西村党支部", "西村党总支改名"))
    assert (resp.json["created"], resp.json["updated"], resp.json["unchanged"]) == (0, 1, 3)
    unit = units_by_code(org)["T-01-B2"]
    assert unit.name == "西村党总支改名"
    assert unit.version == 2
    event = pending_events(org.app)[-1]
    assert event.type == "org.unit.updated"
    assert event.data["unit_version"] == 2


def test_ndjson_import(org, tree):
    lines = [{"code": "N-1", "name": "某社区党委", "kind": "grassroots_committee", "parent_code": tree["township"]["code"],
              "domain": "community"},
             {"code": "N-1-1", "name": "某小区党支部", "kind": "branch", "parent_code": "N-1", "domain": "community"}]
    body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    resp = post(org, body, "application/x-ndjson")
    assert resp.status_code == 201
    assert resp.json["created"] == 2
    assert resp.json["format"] == "ndjson"


def test_the_report_names_line_and_field_and_nothing_is_written(org, tree):
    county = tree["county"]["code"]
    body = "\n".join([
        "code,name,kind,parent_code,domain",
        f"E-1,好的街道,township,{county},",          # line 2: fine
        "E-2,坏的支部,branch,NOPE,village",           # line 3: unknown parent
        f"E-3,,branch,{county},village",              # line 4: no name
        "E-4,支部下的支部,branch,E-5,",               # line 5: parent only later in the file
        "E-5,某支部,branch,E-1,farm",                 # line 6: bad domain
        "E-6,某支部,branch,E-1,",                     # line 7: fine
        "E-6,重复,branch,E-1,",                       # line 8: duplicate code
        f"E-7,市下的支部,branch,{tree['city']['code']},",  # line 9: nesting
    ]) + "\n"
    before = len(units_by_code(org))
    events = len(pending_events(org.app))
    resp = post(org, body)
    assert resp.status_code == 422, resp.json
    report = resp.json["report"]
    errors = {(e["line"], e["field"]) for e in report["errors"]}
    assert errors == {(3, "parent_code"), (4, "name"), (5, "parent_code"), (6, "domain"), (8, "code"), (9, "kind")}
    nesting = next(e for e in report["errors"] if "ORG.UNIT_NESTING" in e["message"])
    assert nesting["message_zh"].startswith("ORG.UNIT_NESTING：")
    assert nesting["message_en"].startswith("ORG.UNIT_NESTING: ")
    domain = next(e for e in report["errors"] if e["field"] == "domain")
    assert (domain["column"], domain["value"]) == ("domain", "farm")
    assert "农村" in domain["message_zh"]
    assert report["total"] == 8
    assert report["error_count"] == 6
    assert report["valid"] == 2
    assert len(units_by_code(org)) == before
    assert len(pending_events(org.app)) == events


def test_valid_lines_mode_writes_the_good_lines_and_skips_children_of_bad_ones(org, tree):
    body = "\n".join([
        "code,name,kind,parent_code",
        f"V-1,好街道,township,{tree['county']['code']}",
        "V-2,坏街道,township,NOPE",
        "V-3,好支部,branch,V-1",
        "V-4,坏街道的支部,branch,V-2",
    ]) + "\n"
    resp = post(org, body, mode="valid_lines")
    assert resp.status_code == 201
    assert resp.json["created"] == 2
    assert resp.json["error_count"] == 2
    assert {(e["line"], e["field"]) for e in resp.json["errors"]} == {(3, "parent_code"), (5, "parent_code")}
    assert {"V-1", "V-3"} <= set(units_by_code(org))
    assert "V-4" not in units_by_code(org)


def test_an_existing_unit_under_another_parent_is_not_moved_by_import(org, tree):
    body = f"code,name,kind,parent_code\n{tree['branch']['code']},{tree['branch']['name']},branch,{tree['other_county']['code']}\n"
    resp = post(org, body)
    assert resp.status_code == 422
    assert resp.json["report"]["errors"][0]["field"] == "parent_code"


def test_a_county_imports_only_under_its_subtree(org, tree):
    county = org.as_("organizer", tree["county"]["id"])
    outside = f"code,name,kind,parent_code\nX-1,外县街道,township,{tree['other_county']['code']}\n"
    resp = post(org, outside, headers=county)
    assert resp.status_code == 422
    assert resp.json["report"]["errors"][0]["field"] == "parent_code"
    root = "code,name,kind\nX-2,另一个省,province\n"
    assert post(org, root, headers=county).json["report"]["errors"][0]["field"] == "parent_code"
    inside = f"code,name,kind,parent_code\nX-3,本县街道,township,{tree['county']['code']}\n"
    assert post(org, inside, headers=county).status_code == 201


@pytest.mark.parametrize("content_type, status", [("application/json", 415), ("text/plain", 415)])
def test_other_media_types_are_refused(org, tree, content_type, status):
    assert post(org, "{}", content_type).status_code == status


def test_malformed_lines_are_reported(org, tree):
    body = '{"code": "J-1", "name": "x", "kind": "township", "parent_code": "%s"}\nnot json\n[1]\n' % tree["county"]["code"]
    resp = post(org, body, "application/x-ndjson")
    assert resp.status_code == 422
    assert {(e["line"], e["field"]) for e in resp.json["report"]["errors"]} == {(2, "*"), (3, "*")}
    with kit_of(org.app).db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Unit).where(Unit.code == "J-1")) == 0


def test_an_import_with_an_idempotency_key_is_replayed(org, tree):
    body = csv_of(tree["county"]["code"])
    first = post(org, body, headers={**org.headers, "Idempotency-Key": "imp-1"})
    again = post(org, body, headers={**org.headers, "Idempotency-Key": "imp-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json["id"] == again.json["id"]
