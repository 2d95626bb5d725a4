"""Coverage of a subtree for a year: figures per unit, the uncovered, people who moved, exports."""
import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.training.conftest import API


@pytest.fixture
def county_year(world):
    """K1 and K2 in 2025. 'mover' trained 32 hours in K2, then transferred to K1's B1b;
    'mover2' was untrained in K1's B1a and transferred to K2's B2."""
    w = world
    for name, unit in (("m1", "B1a"), ("m2", "B1a"), ("sec1", "B1a"), ("mover2", "B1a"),
                       ("m3", "B1c"), ("sec2", "B1c"), ("leader1", "B1c"), ("p2", "B2"), ("mover", "B2")):
        w.person(name, unit)
    w.person("applicant", "B1a", "activist")   # not a member: not counted anywhere
    w.committee("B1a", [("secretary", "sec1", date(2020, 1, 1))])
    w.committee("B1c", [("secretary", "sec2", date(2020, 1, 1)), ("organization", "leader1", date(2020, 1, 1))])
    w.train("C", "secretary_rotation", ["sec1", "sec2"], [8] * 5, first_day=date(2025, 3, 1))
    w.train("K1", "committee_training", ["sec1", "leader1"], [8] * 2, first_day=date(2025, 4, 1))
    w.train("K1", "committee_training", ["leader1"], [8] * 5, first_day=date(2025, 5, 1))
    w.train("K1", "member_training", ["m1", "m2"], [8], first_day=date(2025, 4, 10))
    w.train("K1", "member_training", ["m1"], [8] * 3, first_day=date(2025, 6, 1))
    w.train("K2", "member_training", ["mover", "p2"], [8] * 4, first_day=date(2025, 3, 10))
    w.train("K2", "member_training", ["p2"], [8], first_day=date(2025, 7, 1))
    w.person("mover", "B1b")     # members.member.transferred, mid-year
    w.person("mover2", "B2")
    return w


FIGURES = ("secretaries_in_post", "secretaries_rotated", "members", "members_trained", "members_meeting_hours",
           "leaders", "leaders_meeting_hours")


def figures(row):
    return tuple(row[k] for k in FIGURES)


def coverage(w, scope=None, role="organizer", **query):
    query.setdefault("year", 2025)
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return w.client.get(f"{API}/coverage?{qs}", headers=w.headers(role, scope=scope))


def test_county_coverage_follows_people_who_moved(county_year):
    w = county_year
    resp = coverage(w, "K1")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["unit_id"] == w.id("K1")
    assert body["year"] == 2025
    assert body["requirements"] == {"member_hours": 32.0, "leader_hours": 56.0}
    #                               secretaries  members  hours leaders met
    assert figures(body["totals"]) == (2, 2, 7, 6, 5, 3, 2)
    assert body["totals"]["secretary_rotation_rate"] == 1.0
    assert body["totals"]["member_hours_rate"] == round(5 / 7, 4)
    by_unit = {row["unit_name"]: figures(row) for row in body["by_unit"]}
    assert by_unit == {"T1a": (1, 1, 4, 4, 3, 1, 1), "T1b": (1, 1, 3, 2, 2, 2, 1),
                       "K1d": (0, 0, 0, 0, 0, 0, 0)}   # every unit below is listed, empty ones too
    uncovered = {p["name"]: p["gaps"] for p in body["uncovered"]["items"]}
    assert uncovered == {"m2": ["member_hours"], "m3": ["member_training", "member_hours"], "sec2": ["leader_hours"]}
    assert "mover" not in uncovered      # trained in K2, counted where he is now
    assert "mover2" not in uncovered     # moved away untrained: K2's gap now


def test_the_other_county_sees_its_own(county_year):
    w = county_year
    body = coverage(w, "K2").get_json()
    assert figures(body["totals"]) == (0, 0, 2, 1, 1, 0, 0)
    assert [p["name"] for p in body["uncovered"]["items"]] == ["mover2"]


def test_city_coverage_rolls_up_per_county(county_year):
    w = county_year
    body = coverage(w, "C", under=w.id("C")).get_json()
    assert {r["unit_name"]: figures(r) for r in body["by_unit"]} == {"K1": (2, 2, 7, 6, 5, 3, 2),
                                                                     "K2": (0, 0, 2, 1, 1, 0, 0)}
    assert figures(body["totals"]) == (2, 2, 9, 7, 6, 3, 2)
    province = coverage(w, role="admin").get_json()
    assert [r["unit_name"] for r in province["by_unit"]] == ["P"]
    assert figures(province["totals"]) == figures(body["totals"])


def test_a_branch_has_one_row_for_itself(county_year):
    w = county_year
    body = coverage(w, "K1", under=w.id("B1c")).get_json()
    assert [(r["unit_name"], r["members"]) for r in body["by_unit"]] == [("B1c", 3)]


def test_people_placed_in_the_root_itself_have_their_own_row(county_year):
    w = county_year
    w.person("县直", "K1")
    body = coverage(w, "K1").get_json()
    assert [(r["unit_name"], r["members"]) for r in body["by_unit"]] == [("K1", 1), ("T1a", 4), ("T1b", 3),
                                                                         ("K1d", 0)]
    assert body["totals"]["members"] == 8


def test_another_year_starts_from_nothing(county_year):
    w = county_year
    body = coverage(w, "K1", year=2026).get_json()
    assert figures(body["totals"]) == (2, 0, 7, 0, 0, 3, 0)
    assert len(body["uncovered"]["items"]) == 7


def test_gap_filter_and_pages(county_year):
    w = county_year
    body = coverage(w, "K1", gap="member_training").get_json()
    assert [p["name"] for p in body["uncovered"]["items"]] == ["m3"]
    first = coverage(w, "K1", limit=2).get_json()["uncovered"]
    rest = coverage(w, "K1", limit=2, cursor=first["next_cursor"]).get_json()["uncovered"]
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_scope_another_county_is_404(county_year):
    w = county_year
    assert coverage(w, "K2", under=w.id("K1")).status_code == 404
    assert coverage(w, "K1", role="viewer").status_code == 200


@pytest.mark.parametrize("query", [{"year": 1999}, {"gap": "everything"}, {"format": "pdf"}, {"under": "x"},
                                   {"limit": 0}])
def test_bad_coverage_query_is_422(county_year, query):
    resp = coverage(county_year, "K1", **query)
    assert resp.status_code == 422, resp.get_json()


def test_csv_lists_the_uncovered_people(county_year):
    w = county_year
    resp = coverage(w, "K1", format="csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["姓名", "所在党组织", "人员类别", "年度学时"]
    assert sorted(r[0] for r in rows[1:]) == ["m2", "m3", "sec2"]
    sec2 = next(r for r in rows if r[0] == "sec2")
    assert sec2[2] == "支部书记"
    assert "学时未达到支部书记、委员年度要求" in sec2[7]
    by_accept = w.client.get(f"{API}/coverage?year=2025", headers=w.headers(scope="K1", Accept="text/csv"))
    assert by_accept.mimetype == "text/csv"


def test_csv_of_units(county_year):
    w = county_year
    resp = coverage(w, "K1", format="csv", rows="units")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "党组织"
    assert [r[0] for r in rows[1:]] == ["T1a", "T1b", "K1d", "合计"]
    assert rows[-1][4] == "7"


def test_xlsx_has_the_figures_and_the_people(county_year):
    w = county_year
    resp = coverage(w, "K1", format="xlsx")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.get_data()))
    assert book.sheetnames == ["覆盖情况", "未覆盖人员"]
    assert [r[0] for r in book["覆盖情况"].iter_rows(min_row=2, values_only=True)] == ["T1a", "T1b", "K1d", "合计"]
    assert sorted(r[0] for r in book["未覆盖人员"].iter_rows(min_row=2, values_only=True)) == ["m2", "m3", "sec2"]


def test_an_export_too_large_is_refused_not_cut(county_year):
    w = county_year
    w.app.config["RULES"]["export_max_rows"] = 2
    resp = coverage(w, "K1", format="csv")
    assert resp.status_code == 422
    assert "at most 2" in resp.get_json()["detail"]
    assert coverage(w, "K1", format="csv", under=w.id("B1c")).status_code == 200


def test_people_list_with_hours(county_year):
    w = county_year
    page = w.client.get(f"{API}/people?year=2025&category=secretary", headers=w.headers(scope="K1")).get_json()
    assert {p["name"]: p["hours"] for p in page["items"]} == {"sec1": 56.0, "sec2": 40.0}
    everyone = w.client.get(f"{API}/people?year=2025", headers=w.headers(scope="K1")).get_json()["items"]
    assert len(everyone) == 7


@pytest.mark.parametrize("trained, rate", [
    ((), 0.0),
    (("c1",), 0.3333),
    (("c1", "c2"), 0.6667),
    (("c1", "c2", "c3"), 1.0),       # TRAIN.COVERAGE: the plan's target is 100%
])
def test_train_coverage_rate_at_its_numbers(world, trained, rate):
    """TRAIN.COVERAGE: members trained / members of the subtree in the year, and who is not yet covered."""
    w = world
    for name in ("c1", "c2", "c3"):
        w.person(name, "B2")
    if trained:
        w.train("K2", "member_training", list(trained), [2], first_day=date(2025, 4, 1))
    body = coverage(w, "K2").get_json()
    assert (body["totals"]["members"], body["totals"]["members_trained"]) == (3, len(trained))
    assert body["totals"]["member_training_rate"] == rate
