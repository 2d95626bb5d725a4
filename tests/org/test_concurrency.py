"""Issue 11 defect 1, on the real PostgreSQL with real concurrent requests: of two writers sending the same
ETag exactly one wins (the other gets 412), and two changes to the tree's shape never leave a unit's path
under one parent and its ``parent_id`` under another, in org or in any read-model."""
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from services.org.models import Unit
from shared.testing import at_once, deliver, kit_of

from .conftest import API, Org

pytestmark = pytest.mark.infra


@pytest.fixture
def pg_org(make_app, pg_url, auth_headers):
    app = make_app("org", database_url=pg_url("org"))
    return Org(app, auth_headers(app, "admin"))


def patch_name(org, unit_id, etag, name):
    return lambda client: client.patch(f"{API}/units/{unit_id}", json={"name": name},
                                       headers={**org.headers, "If-Match": etag})


def move_to(org, unit_id, etag, parent_id):
    return lambda client: client.post(f"{API}/units/{unit_id}/move", json={"parent_id": parent_id},
                                      headers={**org.headers, "If-Match": etag})


def etag(org, unit) -> str:
    return org.client.get(f"{API}/units/{unit['id']}", headers=org.headers).headers["ETag"]


#: every service that keeps a copy of the org tree (the kit's OrgUnitView), fed by org events
READERS = ("members", "training", "evaluation", "webhooks")


def assert_paths_follow_parents(app, model=Unit) -> None:
    """Every unit's path is its parent's path and its own key: the tree scope is decided by. ``model`` is
    org's ``Unit`` or a read-model's ``OrgUnitView`` (whose key is the last segment of its path)."""
    kit = kit_of(app)
    with kit.db.Session() as session:
        units = {u.id: u for u in session.scalars(select(model))}
    for unit in units.values():
        key = unit.key if model is Unit else unit.path.rstrip("/").rsplit("/", 1)[-1]
        expected = (units[unit.parent_id].path if unit.parent_id else "/") + key + "/"
        assert unit.path == expected, (app.name, unit.name, unit.path, expected)


def test_of_two_patches_with_one_etag_exactly_one_wins_every_round(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    for round_ in range(40):
        tag = etag(pg_org, county)
        first, second = at_once(pg_org.app, patch_name(pg_org, county["id"], tag, f"甲{round_}"),
                                patch_name(pg_org, county["id"], tag, f"乙{round_}"))
        assert sorted([first.status_code, second.status_code]) == [200, 412], (round_, first.json, second.json)
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert pg_org.refresh(county)["name"] == winner.json["name"]
        assert pg_org.refresh(county)["version"] == round_ + 2
        assert loser.json["current_etag"] == winner.headers["ETag"], round_  # what to read again


def test_of_two_moves_with_one_etag_one_wins_and_every_path_follows_its_parent(pg_org, make_app, pg_url):
    """In org and, once its events are delivered, in every read-model (each on PostgreSQL): the moved unit
    has the winner's parent, path and version, and every path follows its parent."""
    readers = [make_app(service, database_url=pg_url(service)) for service in READERS]
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    townships = [pg_org.unit("township", county) for _ in range(3)]
    branch = pg_org.unit("branch", townships[0])
    pg_org.unit("party_group", branch)
    for round_ in range(20):
        here = pg_org.refresh(branch)["parent_id"]
        there = [t["id"] for t in townships if t["id"] != here]
        tag = etag(pg_org, branch)
        first, second = at_once(pg_org.app, move_to(pg_org, branch["id"], tag, there[0]),
                                move_to(pg_org, branch["id"], tag, there[1]))
        assert sorted([first.status_code, second.status_code]) == [200, 412], (round_, first.json, second.json)
        winner = first if first.status_code == 200 else second
        moved = pg_org.refresh(branch)
        assert moved["parent_id"] == winner.json["parent_id"]
        assert_paths_follow_parents(pg_org.app)
        deliver([pg_org.app], readers)
        for app in readers:
            kit = kit_of(app)
            with kit.db.Session() as session:
                view = session.get(kit.models.OrgUnitView, branch["id"])
                assert (view.parent_id, view.path, view.version) == (moved["parent_id"], moved["path"],
                                                                     moved["version"]), (round_, app.name)
            assert_paths_follow_parents(app, kit.models.OrgUnitView)


def test_two_units_moved_under_each_other_at_once_never_make_a_cycle(pg_org):
    township = pg_org.unit("township", pg_org.unit("county", pg_org.unit("city", pg_org.unit("province"))))
    for round_ in range(10):
        left, right = pg_org.unit("grassroots_committee", township), pg_org.unit("grassroots_committee", township)
        pg_org.unit("branch", left)
        first, second = at_once(pg_org.app, move_to(pg_org, left["id"], etag(pg_org, left), right["id"]),
                                move_to(pg_org, right["id"], etag(pg_org, right), left["id"]))
        # each move alone is legal; together they would make a cycle: the second to run sees the first
        assert sorted([first.status_code, second.status_code]) == [200, 422], (round_, first.json, second.json)
        assert_paths_follow_parents(pg_org.app)


def test_a_unit_moved_into_a_township_being_dissolved_leaves_no_active_unit_under_a_dissolved_one(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    for round_ in range(10):
        doomed, home = pg_org.unit("township", county), pg_org.unit("township", county)
        branch = pg_org.unit("branch", home)
        moved, dissolved = at_once(pg_org.app, move_to(pg_org, branch["id"], etag(pg_org, branch), doomed["id"]),
                                   dissolve_with_etag(pg_org, doomed))
        assert moved.status_code in (200, 409, 422), round_
        assert dissolved.status_code in (200, 409), round_
        assert not (moved.status_code == 200 and dissolved.status_code == 200), (round_, moved.json, dissolved.json)
        no_active_unit_under(pg_org, doomed, round_)
        assert_paths_follow_parents(pg_org.app)


def dissolve_with_etag(org, unit):
    return (lambda client, tag=etag(org, unit): client.post(
        f"{API}/units/{unit['id']}/dissolve", json={"dissolved_on": "2026-12-01", "reason": "合并"},
        headers={**org.headers, "If-Match": tag}))


def no_active_unit_under(org, unit, round_) -> str:
    """Assert that a dissolved unit leads no active unit; its status."""
    with kit_of(org.app).db.Session() as session:
        parent = session.scalar(select(Unit).where(Unit.id == unit["id"]))
        children = session.scalars(select(Unit).where(Unit.parent_id == parent.id, Unit.status == "active")).all()
        assert parent.status == "active" or not children, round_
        return parent.status


def create_under(org, parent_id, kind="branch"):
    return lambda client: client.post(f"{API}/units", json={
        "kind": kind, "name": f"{kind} {uuid.uuid4().hex[:6]}", "code": f"CC{uuid.uuid4().hex[:10]}",
        "parent_id": parent_id, "domain": "village"}, headers=org.headers)


def test_units_created_under_a_township_while_it_moves_all_land_under_its_new_path(pg_org):
    """Creations run side by side (the tree lock shared among them), a move alone: a branch created while
    its township moves takes the township's path as it is after the move, never the one before."""
    city = pg_org.unit("city", pg_org.unit("province"))
    counties = [pg_org.unit("county", city) for _ in range(2)]
    township = pg_org.unit("township", counties[0])
    pg_org.unit("branch", township)
    for round_ in range(12):
        there = next(c["id"] for c in counties if c["id"] != pg_org.refresh(township)["parent_id"])
        *created, moved = at_once(pg_org.app, *(create_under(pg_org, township["id"]) for _ in range(3)),
                                  move_to(pg_org, township["id"], etag(pg_org, township), there))
        assert [r.status_code for r in created] == [201, 201, 201], (round_, [r.json for r in created])
        assert moved.status_code == 200, (round_, moved.json)
        assert_paths_follow_parents(pg_org.app)


def test_of_two_units_created_at_once_with_one_code_one_is_refused_on_its_code(pg_org):
    township = pg_org.unit("township", pg_org.unit("county", pg_org.unit("city", pg_org.unit("province"))))
    for round_ in range(10):
        code = f"SAME{uuid.uuid4().hex[:8]}"
        same = [(lambda client: client.post(f"{API}/units", json={
            "kind": "branch", "name": f"支部{i}", "code": code, "parent_id": township["id"], "domain": "village"},
            headers=pg_org.headers)) for i in range(2)]
        first, second = at_once(pg_org.app, *same)
        assert sorted([first.status_code, second.status_code]) == [201, 422], (round_, first.json, second.json)
        refused = first if first.status_code == 422 else second
        assert "code" in refused.json["errors"]["json"], refused.json
        units = [u for u in pg_org.get("/units", under=township["id"], limit=1000).json["items"] if u["code"] == code]
        assert len(units) == 1, round_


def test_a_unit_created_under_one_whose_kind_changes_at_once_never_stands_under_a_kind_that_cannot_lead_it(pg_org):
    """A general branch may lead branches, a branch only party groups: of a branch created under a general
    branch and the general branch turned into a branch at the same moment, one is refused (ORG.UNIT_NESTING)."""
    township = pg_org.unit("township", pg_org.unit("county", pg_org.unit("city", pg_org.unit("province"))))
    for round_ in range(10):
        leader = pg_org.unit("general_branch", township)
        turn = (lambda client, tag=etag(pg_org, leader): client.patch(
            f"{API}/units/{leader['id']}", json={"kind": "branch", "domain": "village"},
            headers={**pg_org.headers, "If-Match": tag}))
        created, turned = at_once(pg_org.app, create_under(pg_org, leader["id"]), turn)
        statuses = (created.status_code, turned.status_code)
        assert statuses in ((201, 409), (409, 200)), (round_, created.json, turned.json)
        refused = created if created.status_code == 409 else turned
        assert refused.json["violations"][0]["code"] == "ORG.UNIT_NESTING", refused.json


def test_a_unit_created_under_a_township_being_dissolved_leaves_no_active_unit_under_a_dissolved_one(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    for round_ in range(10):
        doomed = pg_org.unit("township", county)
        *created, dissolved = at_once(pg_org.app, *(create_under(pg_org, doomed["id"]) for _ in range(2)),
                                      dissolve_with_etag(pg_org, doomed))
        assert {r.status_code for r in created} <= {201, 422}, (round_, [r.json for r in created])
        assert dissolved.status_code in (200, 409), (round_, dissolved.json)
        status = no_active_unit_under(pg_org, doomed, round_)
        assert (dissolved.status_code == 200) == (status == "dissolved"), round_


def test_of_two_meeting_corrections_with_one_etag_one_wins_and_the_year_row_follows_it(pg_org):
    """Issue 16 item 4: PATCH /meetings/{id} with If-Match; the loser changes nothing, the counts follow the winner."""
    from services.org.models import LifeYear

    branch = pg_org.unit("branch", pg_org.unit("county", pg_org.unit("city", pg_org.unit("province"))))
    meeting = pg_org.post("/meetings", {"unit_id": branch["id"], "type": "general_meeting", "held_on": "2025-03-10",
                                        "entitled": 10, "present": 5, "topic": "支部党员大会"}).json
    url = f"{API}/meetings/{meeting['id']}"
    for round_, (month, day) in enumerate(((4, "2025-04-10"), (5, "2025-05-10"), (6, "2025-06-10"))):
        tag = pg_org.client.get(url, headers=pg_org.headers).headers["ETag"]
        first, second = at_once(pg_org.app, *[
            (lambda body: lambda client: client.patch(url, json=body, headers={**pg_org.headers, "If-Match": tag}))(b)
            for b in ({"present": 6, "held_on": day}, {"present": 4})])
        assert sorted([first.status_code, second.status_code]) == [200, 412], (round_, first.json, second.json)
        winner = first if first.status_code == 200 else second
        with kit_of(pg_org.app).db.Session() as session:
            row = session.get(LifeYear, (branch["id"], 2025))
            mask = row.general_meeting if row else 0
        assert mask == ((1 << (month - 1)) if winner.json["counts"] else 0), (round_, winner.json)


def one_winner_every_round(org, url, bodies, *, rounds, method="patch", etag_url=None, headers=None):
    """``rounds`` times: read the ETag (from ``etag_url``, else ``url``), send the two ``bodies(round)`` with it
    at once; exactly one is 200 and the other 412, and a read again gives the winner's version."""
    for round_ in range(rounds):
        tag = org.client.get(etag_url or url, headers=org.headers).headers["ETag"]
        sent = [(lambda body: lambda client: getattr(client, method)(
            url, json=body, headers={**(headers or org.headers), "If-Match": tag}))(body) for body in bodies(round_)]
        first, second = at_once(org.app, *sent)
        assert sorted([first.status_code, second.status_code]) == [200, 412], (url, round_, first.json, second.json)
        winner = first if first.status_code == 200 else second
        assert org.client.get(etag_url or url, headers=org.headers).headers["ETag"] == winner.headers["ETag"]


def test_of_two_changes_to_a_leader_a_liaison_point_or_an_uncovered_entity_one_wins_every_round(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    branch = pg_org.unit("branch", pg_org.unit("township", county), domain="village")
    leader = pg_org.post("/leaders", {"unit_id": county["id"], "name": "王书记", "title": "县委书记",
                                      "role": "secretary", "since": "2024-01-01"}).json
    point = pg_org.post("/liaison-points", {"leader_id": leader["id"], "unit_id": branch["id"],
                                            "since": "2025-01-01"}).json
    entity = pg_org.post("/uncovered", {"unit_id": county["id"], "name": "某科技公司",
                                        "domain": "private_enterprise", "employees": 120}).json
    one_winner_every_round(pg_org, f"{API}/leaders/{leader['id']}", rounds=10,
                           bodies=lambda r: ({"title": f"甲{r}"}, {"title": f"乙{r}"}))
    one_winner_every_round(pg_org, f"{API}/liaison-points/{point['id']}", rounds=10,
                           bodies=lambda r: ({"note": f"甲{r}"}, {"note": f"乙{r}"}))
    one_winner_every_round(pg_org, f"{API}/uncovered/{entity['id']}", rounds=10,
                           bodies=lambda r: ({"employees": 100 + r}, {"name": f"乙{r}"}))


def test_of_two_support_records_with_one_etag_one_is_kept_the_first_one_included(pg_org):
    """The first PUT creates the support record (version 0 before it): two at once still make one winner."""
    branch = pg_org.unit("branch", pg_org.unit("township", pg_org.unit("county", pg_org.unit(
        "city", pg_org.unit("province")))), domain="village")
    one_winner_every_round(pg_org, f"{API}/units/{branch['id']}/support", method="put", rounds=10, bodies=lambda r: (
        {"has_venue": True, "venue_name": f"甲{r}", "venue_area_m2": 100 + r},
        {"has_venue": False, "organizers": [{"name": f"乙{r}", "title": "党务工作者", "full_time": True}]}))


def test_of_two_dissolutions_with_one_etag_one_wins(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    for round_ in range(5):
        township = pg_org.unit("township", county)
        one_winner_every_round(pg_org, f"{API}/units/{township['id']}/dissolve", method="post", rounds=1,
                               etag_url=f"{API}/units/{township['id']}",
                               bodies=lambda r: ({"dissolved_on": "2026-12-01", "reason": "合并"},
                                                 {"dissolved_on": "2026-11-30", "reason": "撤销"}))
        assert pg_org.refresh(township)["status"] == "dissolved"


def test_of_two_committee_changes_with_one_etag_one_wins_every_round(pg_org):
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    branch = pg_org.unit("branch", pg_org.unit("township", county), domain="village")
    ids = pg_org.members(branch, 8)
    url = f"{API}/units/{branch['id']}/committee"
    elected = pg_org.post(f"/units/{branch['id']}/elections", {"elected_on": "2025-01-01", "seats": [
        {"role": role, "person_id": person} for role, person in zip(("secretary", "organization", "propaganda"), ids)]})
    assert elected.status_code == 201, elected.json
    for round_ in range(5):
        seats = pg_org.client.get(url, headers=pg_org.headers).json["seats"]
        one_winner_every_round(pg_org, f"{url}/vacancies", method="post", rounds=1, etag_url=url, bodies=lambda r: (
            {"seat_id": seats[1]["id"], "vacated_on": f"2025-{round_ + 2:02d}-10", "reason": "调离"},
            {"seat_id": seats[2]["id"], "vacated_on": f"2025-{round_ + 2:02d}-10", "reason": "退休"}))
        seats = pg_org.client.get(url, headers=pg_org.headers).json["seats"]
        [vacant] = [seat["id"] for seat in seats if seat["person_id"] is None]
        free = [person for person in ids if person not in {seat["person_id"] for seat in seats}]
        one_winner_every_round(pg_org, f"{url}/by-elections", method="post", rounds=1, etag_url=url, bodies=lambda r: (
            {"seat_id": vacant, "person_id": free[0], "elected_on": f"2025-{round_ + 2:02d}-20"},
            {"seat_id": vacant, "person_id": free[1], "elected_on": f"2025-{round_ + 2:02d}-20"}))


def test_an_import_never_overwrites_a_unit_changed_after_it_read_it(pg_org):
    """A unit PATCH locks the unit's row but not the tree: an import that read the unit before the PATCH
    committed once wrote its own version of the same number over it (the PATCH lost, and read-models keeping
    the first event of that version for good). Here a writer holds the row, changed, while the import reads
    and then waits to write it."""
    import threading

    import psycopg

    township = pg_org.unit("township", pg_org.unit("county", pg_org.unit("city", pg_org.unit("province"))))
    branch = pg_org.unit("branch", township, name="东村党支部", code="B-1", domain="village")
    url = kit_of(pg_org.app).config.database_url
    csv = f"code,name,kind,parent_code,domain\nB-1,东村党支部,branch,{township['code']},other\n"
    answers = []
    with psycopg.connect(url) as writer:
        writer.execute("UPDATE units SET name = '东村党总支', version = version + 1 WHERE id = %s", (branch["id"],))
        importing = threading.Thread(target=lambda: answers.append(pg_org.client.post(
            f"{API}/imports", data=csv.encode(), headers={**pg_org.headers, "Content-Type": "text/csv"})))
        importing.start()
        with psycopg.connect(url, autocommit=True) as watcher:  # the import waits for the writer's row lock
            for _ in range(600):
                if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'").fetchone()[0]:
                    break
                importing.join(0.05)
        writer.commit()
    importing.join(30)
    [answer] = answers
    assert answer.status_code == 409, answer.json
    unit = pg_org.refresh(branch)
    assert (unit["name"], unit["domain"], unit["version"]) == ("东村党总支", "village", 2)
    again = pg_org.client.post(f"{API}/imports", data=csv.encode(), headers={**pg_org.headers, "Content-Type": "text/csv"})
    assert again.status_code == 201, again.json
    assert (pg_org.refresh(branch)["domain"], pg_org.refresh(branch)["version"]) == ("other", 3)


def test_of_two_corrections_of_a_hearing_a_screening_or_a_secretary_report_one_wins_every_round(pg_org):
    """The standing mechanisms (issue 16): each correction with If-Match, one winner of two."""
    year = date.today().year - 1
    county = pg_org.unit("county", pg_org.unit("city", pg_org.unit("province")))
    township = pg_org.unit("township", county)
    branch = pg_org.unit("branch", township, domain="village")
    hearing = pg_org.post("/hearings", {"unit_id": branch["id"], "committee_unit_id": township["id"],
                                        "held_on": f"{year}-02-10", "reporter": "王书记"}).json
    campaign = pg_org.post("/screenings", {"unit_id": county["id"], "year": year, "title": "全面摸底排查",
                                           "starts_on": f"{year}-03-01"}).json
    record = pg_org.post(f"/screenings/{campaign['id']}/records", {
        "unit_id": branch["id"], "screened_on": f"{year}-04-02", "screened_by": "县委组织部"}).json
    report = pg_org.post("/secretary-reports", {
        "unit_id": branch["id"], "year": year, "secretary_name": "王书记", "report": "抓党建工作述职",
        "reported_on": f"{year}-12-20", "assessment": "good", "assessed_by": "钢山街道党工委",
        "assessed_on": f"{year}-12-28"}).json
    one_winner_every_round(pg_org, f"{API}/hearings/{hearing['id']}", rounds=10,
                           bodies=lambda r: ({"reporter": f"甲{r}"}, {"held_on": f"{year}-0{r % 9 + 1}-11"}))
    one_winner_every_round(pg_org, f"{API}/screenings/{campaign['id']}", rounds=10,
                           bodies=lambda r: ({"title": f"甲{r}"}, {"title": f"乙{r}"}))
    one_winner_every_round(pg_org, f"{API}/screening-records/{record['id']}", rounds=10,
                           bodies=lambda r: ({"screened_by": f"甲{r}"}, {"screened_by": f"乙{r}"}))
    one_winner_every_round(pg_org, f"{API}/secretary-reports/{report['id']}", rounds=10,
                           bodies=lambda r: ({"assessment": "average"}, {"assessment": "poor"}))
