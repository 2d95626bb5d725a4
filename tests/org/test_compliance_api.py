"""The compliance report: per rule code, the count and the offending units with their figures; the
set-wise SQL agrees with the pure rules unit by unit; scope; the drill-down pages."""
from datetime import date, timedelta

import pytest

from shared.dates import add_years, today

from .test_rules import setup_codes

SETUP = {"ORG.BRANCH_MIN_MEMBERS", "ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH", "ORG.GRASSROOTS_COMMITTEE"}
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


def report(org, under, headers=None, **query):
    resp = org.get("/compliance", headers=headers, under=under["id"], **{**PERIOD, **query})
    assert resp.status_code == 200, resp.json
    return {r["code"]: r for r in resp.json["rules"]}


def flagged(rules: dict, codes=SETUP) -> dict[str, set]:
    """unit id -> the rule codes it is listed under."""
    out: dict[str, set] = {}
    for code in codes:
        for unit in rules[code]["units"]:
            out.setdefault(unit["unit_id"], set()).add(code)
    return out


BOUNDARIES = [2, 3, 6, 7, 50, 51, 100]


def test_setup_rules_at_the_boundaries_agree_with_the_pure_rules(org, tree):
    township = tree["township"]
    branches = {}
    for n in BOUNDARIES:
        unit = org.unit("branch", township, name=f"{n}名党员的支部")
        org.members(unit, n)
        branches[unit["id"]] = n
    general = org.unit("general_branch", township)
    for n in (40, 60):                       # 100 members under one general branch
        org.members(org.unit("branch", general), n)
    rules = report(org, township, limit=100)
    got = flagged(rules)
    for unit_id, n in branches.items():
        assert got.get(unit_id, set()) == setup_codes("branch", n), n
    assert got[general["id"]] == {"ORG.GRASSROOTS_COMMITTEE"}
    assert "ORG.BRANCH_MAX_MEMBERS" in got[[u for u, n in branches.items() if n == 51][0]]
    by_unit = {u["unit_id"]: u for u in rules["ORG.BRANCH_MAX_MEMBERS"]["units"]}
    fifty_one = next(u for u, n in branches.items() if n == 51)
    assert by_unit[fifty_one]["figures"] == {"members": 51, "maximum": 50}
    assert "51" in by_unit[fifty_one]["message"]["zh"]
    # the 2-member branch and the tree's own village branch, which has no members at all
    assert rules["ORG.BRANCH_MIN_MEMBERS"]["count"] == 2
    assert rules["ORG.GRASSROOTS_COMMITTEE"]["count"] == 2      # the 100-member branch and the general branch


def test_counts_come_from_members_events_and_the_report_follows(org, tree):
    branch = tree["branch"]
    ids = org.members(branch, 3)
    assert "ORG.BRANCH_MIN_MEMBERS" not in flagged(report(org, tree["township"])).get(branch["id"], set())
    org.person(branch, status="left", version=2, person_id=ids[0], event="members.member.left",
               reason="withdrawal", left_on=date(2026, 1, 1))
    assert "ORG.BRANCH_MIN_MEMBERS" in flagged(report(org, tree["township"]))[branch["id"]]


def elect(org, unit, seats, elected_on):
    resp = org.post(f"/units/{unit['id']}/elections", {"elected_on": elected_on, "seats": [
        {"role": r, "person_id": p} for r, p in seats]})
    assert resp.status_code == 201, resp.json
    return resp.json


def test_committee_required_terms_and_vacancies(org, tree):
    township = tree["township"]
    on = today()
    grown = org.unit("branch", township, name="grown", domain="school")
    ids = org.members(grown, 6)
    elect(org, grown, [("secretary", ids[0])], (on - timedelta(days=10)).isoformat())
    org.members(grown, 1)                      # now 7 full members, still only a secretary
    expired = org.unit("branch", township, name="expired", domain="school")
    e_ids = org.members(expired, 3)
    elect(org, expired, [("secretary", e_ids[0]), ("deputy_secretary", e_ids[1])],
          add_years(on, -4).isoformat())                      # a school branch's 3 years ended a year ago
    vacant = org.unit("branch", township, name="vacant", domain="school")
    v_ids = org.members(vacant, 3)
    committee = elect(org, vacant, [("secretary", v_ids[0])], (on - timedelta(days=200)).isoformat())
    etag = org.client.get(f"/api/org/v1/units/{vacant['id']}/committee", headers=org.headers).headers["ETag"]
    vacated = (on - timedelta(days=100)).isoformat()
    assert org.client.post(f"/api/org/v1/units/{vacant['id']}/committee/vacancies",
                           json={"seat_id": committee["seats"][0]["id"], "vacated_on": vacated},
                           headers={**org.headers, "If-Match": etag}).status_code == 200

    rules = report(org, township, limit=100)
    required = {u["unit_id"]: u for u in rules["ORG.COMMITTEE_REQUIRED"]["units"]}
    assert required[grown["id"]]["figures"] == {"full_members": 7, "seats": 1, "seats_min": 3}
    assert required[tree["branch"]["id"]]["figures"]["seats"] == 0         # never elected
    assert expired["id"] not in required
    assert vacant["id"] not in required
    assert [u["unit_id"] for u in rules["ORG.TERM_EXPIRED"]["units"]] == [expired["id"]]
    assert rules["ORG.TERM_EXPIRED"]["units"][0]["figures"]["state"] == "expired"
    vacancy = rules["ORG.VACANCY"]["units"]
    assert [u["unit_id"] for u in vacancy] == [vacant["id"]]
    assert vacancy[0]["figures"]["vacant_roles"] == ["secretary"]
    assert vacancy[0]["figures"]["weak"] is True
    assert vacancy[0]["figures"]["secretary_vacant_since"] == vacated


def test_terms_expiring_are_counted_as_a_warning(org, tree):
    ids = org.members(tree["branch"], 3)
    elected = add_years(today(), -5) + timedelta(days=20)       # village branch, 5 years: ends in ~20 days
    elect(org, tree["branch"], [("secretary", ids[0])], elected.isoformat())
    term = report(org, tree["township"])["ORG.TERM_EXPIRED"]
    assert term["count"] == 0
    assert term["summary"]["expiring"] == 1


def test_uncovered_entities_without_instructor(org, tree):
    for name, instructor in (("甲公司", None), ("乙公司", "李四")):
        body = {"unit_id": tree["township"]["id"], "name": name, "domain": "private_enterprise", "employees": 80}
        if instructor:
            body.update(instructor_name=instructor, instructor_assigned_on="2025-03-01")
        assert org.post("/uncovered", body).status_code == 201
    entry = report(org, tree["county"])["ORG.UNCOVERED"]
    assert entry["count"] == 1
    assert entry["units"][0]["name"] == "甲公司"
    assert entry["summary"]["with_instructor"] == 1
    assert report(org, tree["other_county"])["ORG.UNCOVERED"]["count"] == 0


def meeting(org, unit, type_, held_on, **fields):
    resp = org.post("/meetings", {"unit_id": unit["id"], "type": type_, "held_on": held_on, "topic": "x", **fields})
    assert resp.status_code == 201, resp.json
    return resp.json


def test_life_rules_agree_with_the_branch_view(org, tree):
    township = tree["township"]
    keen = org.unit("branch", township, name="keen", established_on="2010-01-01")
    ids = org.members(keen, 3)
    elect(org, keen, [("secretary", ids[0])], "2024-12-01")
    for month in range(1, 13):
        meeting(org, keen, "theme_day", f"2025-{month:02d}-08")
    for quarter_month in (1, 4, 7, 10):
        meeting(org, keen, "general_meeting", f"2025-{quarter_month:02d}-15", entitled=3, present=2)
        meeting(org, keen, "party_lecture", f"2025-{quarter_month:02d}-16", lecturer_person_id=ids[0])
    for type_ in ("review_meeting", "heart_to_heart_talk", "member_review"):
        meeting(org, keen, type_, "2025-12-20")
    meeting(org, tree["branch"], "general_meeting", "2025-04-15", entitled=3, present=1)   # not quorate
    org.unit("branch", township, name="new", established_on="2025-06-01")                   # too new to judge

    rules = report(org, township, limit=100)
    life_codes = [c for c in rules if rules[c]["kind"] == "life"]   # the meetings (the mechanisms: test_standing_api)
    got = flagged(rules, life_codes)
    assert keen["id"] not in got
    for unit in (keen, tree["branch"]):
        view = org.get(f"/units/{unit['id']}/life", **PERIOD).json
        broken = {t["code"] for t in view["types"] if not t["ok"]}
        if view["secretary_lectures"]["violation"]:
            broken.add("LIFE.LECTURE")
        assert got.get(unit["id"], set()) == broken, unit["name"]
    general = {u["unit_id"]: u for u in rules["LIFE.GENERAL_MEETING"]["units"]}[tree["branch"]["id"]]
    assert general["figures"]["missed"] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert rules["LIFE.GENERAL_MEETING"]["summary"] == {"frequency": "quarter", "required": 4}
    assert rules["LIFE.GENERAL_MEETING"]["count"] == 1      # "new" was established inside the period


def test_a_county_token_reports_only_its_subtree(org, tree):
    org.members(tree["other_branch"], 2)
    county = org.as_("viewer", tree["county"]["id"])
    resp = org.get("/compliance", headers=county, **PERIOD)
    assert resp.status_code == 200
    units = {u["unit_id"] for r in resp.json["rules"] for u in r["units"]}
    assert tree["other_branch"]["id"] not in units
    assert tree["branch"]["id"] in units
    assert org.get("/compliance", headers=county, under=tree["other_county"]["id"]).status_code == 404


def test_the_drill_down_pages_through_every_offender(org, tree):
    for _ in range(5):
        org.unit("branch", tree["township"])
    first = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=tree["township"]["id"], limit=4).json
    assert first["count"] == 6
    assert len(first["items"]) == 4
    assert first["next_cursor"]
    rest = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=tree["township"]["id"], limit=4,
                   cursor=first["next_cursor"]).json
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    paths = [u["path"] for u in first["items"] + rest["items"]]
    assert paths == sorted(paths)
    assert len(set(paths)) == 6
    summary = report(org, tree["township"], limit=2)["ORG.BRANCH_MIN_MEMBERS"]
    assert summary["count"] == 6
    assert len(summary["units"]) == 2
    assert org.get("/compliance/ORG.NOPE").status_code == 404
    assert org.get("/compliance/ORG.UNCOVERED").json["count"] == 0


def test_the_offenders_of_a_rule_as_csv_and_xlsx_for_the_departments_records(org, tree):
    import csv
    import io

    from openpyxl import load_workbook

    for _ in range(3):
        org.unit("branch", tree["township"])
    listed = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=tree["township"]["id"], limit=100).json["items"]
    as_csv = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=tree["township"]["id"], format="csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0] == ["单位编码", "单位名称", "类型", "组织路径", "问题", "数据"]
    assert [row[3] for row in table[1:]] == [u["path"] for u in listed]
    assert len(table) == 1 + len(listed)
    assert table[1][4] == listed[0]["message"]["zh"]
    assert "full_members: 0" in table[1][5]
    as_xlsx = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=tree["township"]["id"], format="xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.get_data()))["ORG.BRANCH_MIN_MEMBERS"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == table
    assert org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", format="pdf").status_code == 422


@pytest.mark.parametrize("query", [{"limit": 5000}, {"from": "2025-06-01", "to": "2025-01-01"},
                                   {"from": "2015-01-01", "to": "2025-12-31"}, {"under": "not-a-uuid"}])
def test_bad_report_queries_are_422(org, tree, query):
    assert org.get("/compliance", **query).status_code == 422
