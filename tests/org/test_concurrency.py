"""Issue 11 defect 1, on the real PostgreSQL with real concurrent requests: of two writers sending the same
ETag exactly one wins (the other gets 412), and two changes to the tree's shape never leave a unit's path
under one parent and its ``parent_id`` under another, in org or in any read-model."""
import pytest
from sqlalchemy import select

from services.org.models import Unit
from shared.testing import at_once, deliver

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


def assert_paths_follow_parents(app) -> None:
    """Every unit's path is its parent's path and its own key: the tree scope is decided by."""
    kit = app.extensions["zhibu"]
    with kit.db.Session() as session:
        units = {u.id: u for u in session.scalars(select(Unit))}
    for unit in units.values():
        expected = (units[unit.parent_id].path if unit.parent_id else "/") + unit.key + "/"
        assert unit.path == expected, (unit.name, unit.path, expected)


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


def test_of_two_moves_with_one_etag_one_wins_and_every_path_follows_its_parent(pg_org, make_app):
    readers = [make_app(service) for service in ("members", "training", "evaluation")]
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
        assert pg_org.refresh(branch)["parent_id"] == winner.json["parent_id"]
        assert_paths_follow_parents(pg_org.app)
    deliver([pg_org.app], readers)
    moved = pg_org.refresh(branch)
    for app in readers:
        kit = app.extensions["zhibu"]
        with kit.db.Session() as session:
            view = session.get(kit.models.OrgUnitView, branch["id"])
            assert (view.parent_id, view.path, view.version) == (moved["parent_id"], moved["path"],
                                                                 moved["version"]), app.name


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
        dissolve = (lambda client, tag=etag(pg_org, doomed): client.post(
            f"{API}/units/{doomed['id']}/dissolve", json={"dissolved_on": "2026-12-01", "reason": "合并"},
            headers={**pg_org.headers, "If-Match": tag}))
        moved, dissolved = at_once(pg_org.app, move_to(pg_org, branch["id"], etag(pg_org, branch), doomed["id"]),
                                   dissolve)
        assert moved.status_code in (200, 409, 422), round_
        assert dissolved.status_code in (200, 409), round_
        assert not (moved.status_code == 200 and dissolved.status_code == 200), (round_, moved.json, dissolved.json)
        kit = pg_org.app.extensions["zhibu"]
        with kit.db.Session() as session:
            parent = session.scalar(select(Unit).where(Unit.id == doomed["id"]))
            children = session.scalars(select(Unit).where(Unit.parent_id == parent.id,
                                                          Unit.status == "active")).all()
            assert parent.status == "active" or not children, round_
        assert_paths_follow_parents(pg_org.app)


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
        with pg_org.app.extensions["zhibu"].db.Session() as session:
            row = session.get(LifeYear, (branch["id"], 2025))
            mask = row.general_meeting if row else 0
        assert mask == ((1 << (month - 1)) if winner.json["counts"] else 0), (round_, winner.json)
