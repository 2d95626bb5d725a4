"""The plan's standing mechanisms in org: hearings of branches' work reports (LIFE.HEARING), the county's yearly
screening (LIFE.SCREENING), the secretaries' 述职评议 (LIFE.SECRETARY_REPORT) and the reserve pool (ORG.RESERVE),
each in the compliance report with its figures."""
from datetime import date

from shared.testing import pending_events

from .conftest import API

YEAR = date.today().year - 1  # a whole year behind us: every quarter of it is due


def rule(org, code, **query):
    resp = org.get("/compliance", **{"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", **query})
    assert resp.status_code == 200, resp.json
    return next(r for r in resp.json["rules"] if r["code"] == code)


def hear(org, tree, on, **extra):
    return org.post("/hearings", {"unit_id": tree["branch"]["id"], "committee_unit_id": tree["township"]["id"],
                                  "held_on": on, "reporter": "王书记", **extra})


def etag(org, path):
    return org.client.get(f"{API}{path}", headers=org.headers).headers["ETag"]


def test_a_branch_heard_in_q1_and_q3_shows_for_q2_and_q4_with_its_figures(org, tree):
    assert hear(org, tree, f"{YEAR}-02-10").status_code == 201
    assert hear(org, tree, f"{YEAR}-08-20").status_code == 201
    entry = rule(org, "LIFE.HEARING", under=tree["county"]["id"])
    assert entry["count"] == 1
    assert entry["summary"] == {"frequency": "quarter", "required": 4}
    figures = entry["units"][0]["figures"]
    assert entry["units"][0]["unit_id"] == tree["branch"]["id"]
    assert figures["missed"] == [f"{YEAR}-Q2", f"{YEAR}-Q4"]
    assert figures["held"] == 2
    assert figures["required"] == 4
    assert "听取工作汇报" in entry["units"][0]["message"]["zh"]


def test_a_hearing_corrected_into_another_quarter_moves_its_quarter(org, tree):
    first = hear(org, tree, f"{YEAR}-02-10").json
    hear(org, tree, f"{YEAR}-05-10")
    hear(org, tree, f"{YEAR}-08-10")
    assert rule(org, "LIFE.HEARING", under=tree["county"]["id"])["units"][0]["figures"]["missed"] == [f"{YEAR}-Q4"]
    path = f"/hearings/{first['id']}"
    resp = org.client.patch(f"{API}{path}", json={"held_on": f"{YEAR}-11-03"},
                            headers={**org.headers, "If-Match": etag(org, path)})
    assert resp.status_code == 200, resp.json
    assert resp.json["version"] == 2
    assert rule(org, "LIFE.HEARING", under=tree["county"]["id"])["units"][0]["figures"]["missed"] == [f"{YEAR}-Q1"]
    stale = org.client.patch(f"{API}{path}", json={"reporter": "李"}, headers={**org.headers, "If-Match": '"x.1"'})
    assert stale.status_code == 412


def test_a_hearing_names_a_committee_above_the_branch_and_a_day_not_ahead(org, tree):
    assert org.post("/hearings", {"unit_id": tree["branch"]["id"], "committee_unit_id": tree["other_county"]["id"],
                                  "held_on": f"{YEAR}-02-10", "reporter": "王"}).status_code == 422
    assert hear(org, tree, "2099-01-01").status_code == 422
    assert org.post("/hearings", {"unit_id": tree["township"]["id"], "committee_unit_id": tree["county"]["id"],
                                  "held_on": f"{YEAR}-02-10", "reporter": "王"}).status_code == 422
    other = org.as_("organizer", scope=tree["other_county"]["id"])
    assert org.post("/hearings", {"unit_id": tree["branch"]["id"], "committee_unit_id": tree["township"]["id"],
                                  "held_on": f"{YEAR}-02-10", "reporter": "王"}, headers=other).status_code == 404


def test_a_hearing_publishes_its_points_for_the_problem_lists(org, tree):
    resp = hear(org, tree, f"{YEAR}-02-10", points=[
        {"text": "三会一课记录不全", "problem": True, "responsible": "王书记", "deadline": f"{YEAR}-06-30"},
        {"text": "党员活动室整洁", "problem": False}])
    assert resp.status_code == 201, resp.json
    event = [e for e in pending_events(org.app) if e.type == "org.hearing.recorded"][-1]
    assert event.data["points"][0]["problem"] is True
    assert event.data["points"][0]["deadline"] == f"{YEAR}-06-30"
    assert event.data["hearing_version"] == 1


def test_a_county_screening_lists_the_branches_not_screened_and_its_progress(org, tree):
    second = org.unit("branch", tree["township"], name="二村党支部")
    campaign = org.post("/screenings", {"unit_id": tree["county"]["id"], "year": YEAR, "title": "全面摸底排查",
                                        "starts_on": f"{YEAR}-03-01"})
    assert campaign.status_code == 201, campaign.json
    assert campaign.json["branches"] == 2
    assert campaign.json["screened"] == 0
    again = org.post("/screenings", {"unit_id": tree["county"]["id"], "year": YEAR, "title": "再来",
                                     "starts_on": f"{YEAR}-03-01"})
    assert again.status_code == 409
    url = f"/screenings/{campaign.json['id']}/records"
    record = org.post(url, {"unit_id": tree["branch"]["id"], "screened_on": f"{YEAR}-04-02", "screened_by": "县委组织部",
                            "findings": [{"text": "组织生活不规范", "problem": True}]})
    assert record.status_code == 201, record.json
    assert org.post(url, {"unit_id": tree["branch"]["id"], "screened_on": f"{YEAR}-04-03",
                          "screened_by": "县委组织部"}).status_code == 409
    assert org.post(url, {"unit_id": tree["other_branch"]["id"], "screened_on": f"{YEAR}-04-03",
                          "screened_by": "县委组织部"}).status_code == 422      # another county's branch
    assert org.post(url, {"unit_id": second["id"], "screened_on": f"{YEAR + 1}-01-03",
                          "screened_by": "县委组织部"}).status_code == 422      # outside the campaign's year
    progress = org.get(f"/screenings/{campaign.json['id']}").json
    assert progress["screened"] == 1
    assert progress["screened_share"] == 0.5
    entry = rule(org, "LIFE.SCREENING", under=tree["county"]["id"])
    assert [u["unit_id"] for u in entry["units"]] == [second["id"]]
    assert entry["units"][0]["figures"]["missed"] == [str(YEAR)]


def test_secretary_reports_are_graded_once_a_year_and_the_missing_listed(org, tree):
    body = {"unit_id": tree["branch"]["id"], "year": YEAR, "secretary_name": "王书记", "report": "抓党建工作述职",
            "reported_on": f"{YEAR}-12-20", "assessment": "poor", "assessed_by": "钢山街道党工委",
            "assessed_on": f"{YEAR}-12-28"}
    resp = org.post("/secretary-reports", body)
    assert resp.status_code == 201, resp.json
    assert resp.json["assessment_zh"] == "差"
    assert org.post("/secretary-reports", body).status_code == 409
    assert org.post("/secretary-reports", {**body, "unit_id": tree["other_branch"]["id"],
                                           "assessment": "great"}).status_code == 422
    assert org.post("/secretary-reports", {**body, "unit_id": tree["other_branch"]["id"],
                                           "assessed_on": f"{YEAR}-12-01"}).status_code == 422  # before the report
    event = [e for e in pending_events(org.app) if e.type == "org.secretary.assessed"][-1]
    assert event.data["assessment"] == "poor"
    entry = rule(org, "LIFE.SECRETARY_REPORT", under=tree["city"]["id"])
    assert [u["unit_id"] for u in entry["units"]] == [tree["other_branch"]["id"]]
    path = f"/secretary-reports/{resp.json['id']}"
    fixed = org.client.patch(f"{API}{path}", json={"assessment": "average"},
                             headers={**org.headers, "If-Match": etag(org, path)})
    assert fixed.status_code == 200
    assert fixed.json["assessment_zh"] == "一般"


def test_a_branch_with_no_reserve_candidate_is_listed(org, tree):
    senior = org.person(tree["branch"], full_member_since=date(2015, 7, 1))
    junior = org.person(tree["branch"], full_member_since=date.today().replace(month=1, day=1))
    entry = rule(org, "ORG.RESERVE", under=tree["county"]["id"])
    assert [u["unit_id"] for u in entry["units"]] == [tree["branch"]["id"]]
    assert entry["units"][0]["figures"] == {"candidates": 0, "minimum": 1}
    url = f"/units/{tree['branch']['id']}/reserve"
    short = org.post(url, {"person_id": junior, "listed_on": str(date.today())})   # less than a year's standing
    assert short.status_code == 409
    assert short.json["code"] == "ORG.RESERVE"
    assert org.post(url, {"person_id": org.person(tree["other_branch"]), "listed_on": str(date.today())}).json["code"] \
        == "ORG.RESERVE"
    listed = org.post(url, {"person_id": senior, "listed_on": str(date.today()), "training": "县委党校后备干部班"})
    assert listed.status_code == 201, listed.json
    assert rule(org, "ORG.RESERVE", under=tree["county"]["id"])["count"] == 0
    assert org.post(url, {"person_id": senior, "listed_on": str(date.today())}).status_code == 409
    path = f"/reserve/{listed.json['id']}"
    left = org.client.patch(f"{API}{path}", json={"status": "appointed", "ended_on": str(date.today())},
                            headers={**org.headers, "If-Match": etag(org, path)})
    assert left.status_code == 200, left.json
    assert rule(org, "ORG.RESERVE", under=tree["county"]["id"])["count"] == 1
