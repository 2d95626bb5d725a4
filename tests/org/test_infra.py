"""On the real PostgreSQL and RabbitMQ: member counts arrive from members events through the broker
and the compliance report changes with them; a subtree moves on PostgreSQL's byte-ordered paths;
imported units' events (written with COPY) leave through the relay."""
import time
import uuid
from datetime import date

import pytest
from kombu import Producer
from sqlalchemy import select

from services.org.models import Unit
from shared.consumer import EventConsumer
from shared.events import broker_connection, events_exchange, make_envelope, publish_envelope
from shared.testing import kit_of

from .conftest import API, Org

pytestmark = pytest.mark.infra


@pytest.fixture
def pg_org(make_app, pg_url, amqp_url, auth_headers):
    app = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    return Org(app, auth_headers(app, "admin"))


def publish_people(config, unit: dict, people: list[tuple[str, str, int, str]]) -> None:
    """What the members service publishes: each person's whole state, by person_version."""
    members = config.with_(service="members")
    with broker_connection(members) as conn:
        producer = Producer(conn.channel())
        exchange = events_exchange(members)
        for person_id, stage, version, status in people:
            event = "members.person.created" if version == 1 else "members.member.left"
            data = {"id": person_id, "unit_id": unit["id"], "name": "党员", "stage": stage, "status": status,
                    "full_member_since": date(2015, 7, 1) if stage == "full" else None,
                    "probationary_since": None, "classification": None, "person_version": version}
            if event == "members.member.left":
                data.update(reason="withdrawal", left_on=date(2026, 1, 1))
            publish_envelope(producer, exchange, make_envelope(event, data, source="members",
                                                               org_path=unit["path"]).as_dict())


def consume_until(consumer, condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        consumer.consume_for(0.5)
        if condition():
            return
    raise AssertionError("the events did not arrive in time")


def min_members_offenders(org, township) -> set:
    rules = org.get("/compliance", under=township["id"]).json["rules"]
    entry = next(r for r in rules if r["code"] == "ORG.BRANCH_MIN_MEMBERS")
    return {u["unit_id"] for u in entry["units"]}


def test_counts_arrive_through_rabbitmq_and_the_report_changes(pg_org):
    org = pg_org
    province = org.unit("province")
    city = org.unit("city", province)
    county = org.unit("county", city)
    township = org.unit("township", county)
    branch = org.unit("branch", township)
    kit = kit_of(org.app)
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)
    consumer.consume_for(0.5)                      # the queue and its bindings exist before anything is published
    assert branch["id"] in min_members_offenders(org, township)

    people = [str(uuid.uuid4()) for _ in range(3)]
    publish_people(kit.config, branch, [(p, "full", 1, "active") for p in people])
    consume_until(consumer, lambda: org.refresh(branch)["full_members"] == 3)
    assert branch["id"] not in min_members_offenders(org, township)

    publish_people(kit.config, branch, [(people[0], "full", 2, "left")])
    consume_until(consumer, lambda: org.refresh(branch)["full_members"] == 2)
    assert branch["id"] in min_members_offenders(org, township)
    assert consumer.dead_lettered == 0


def test_a_subtree_moves_and_its_events_leave_through_the_relay(pg_org):
    org = pg_org
    province = org.unit("province")
    city = org.unit("city", province)
    county_a, county_b = org.unit("county", city), org.unit("county", city)
    body = "code,name,kind,parent_code,domain\n" + "".join(
        f"PG-T{i},街道{i},township,{county_a['code']},\n" + "".join(
            f"PG-T{i}-B{j},支部{j},branch,PG-T{i},village\n" for j in range(20)) for i in range(5))
    resp = org.client.post(f"{API}/imports", data=body.encode(),
                           headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 105, resp.json

    etag = org.client.get(f"{API}/units/{county_a['id']}", headers=org.headers).headers["ETag"]
    moved = org.client.post(f"{API}/units/{county_a['id']}/move", json={"parent_id": county_b["id"]},
                            headers={**org.headers, "If-Match": etag})
    assert moved.status_code == 409
    assert moved.json["code"] == "ORG.UNIT_NESTING"  # a county under a county
    township = org.get("/units", code="PG-T0").json["items"][0]
    etag = org.client.get(f"{API}/units/{township['id']}", headers=org.headers).headers["ETag"]
    moved = org.client.post(f"{API}/units/{township['id']}/move", json={"parent_id": county_b["id"]},
                            headers={**org.headers, "If-Match": etag})
    assert moved.status_code == 200
    with kit_of(org.app).db.Session() as session:
        paths = session.scalars(select(Unit.path).where(Unit.code.like("PG-T0-%"))).all()
    assert len(paths) == 20
    assert all(p.startswith(moved.json["path"]) for p in paths)
    under_b = org.get("/units", under=county_b["id"], limit=100).json["items"]
    assert len(under_b) == 1 + 1 + 20

    sent = kit_of(org.app).relay.drain()
    assert sent == 4 + 105 + 1          # the units made through the API, the imported ones, the move


def test_meetings_fill_the_month_masks_on_postgresql(pg_org):
    org = pg_org
    province = org.unit("province")
    township = org.unit("township", org.unit("county", org.unit("city", province)))
    branch = org.unit("branch", township)
    for held_on in ("2025-01-08", "2025-01-20", "2025-03-08"):   # two in January, none in February
        resp = org.post("/meetings", {"unit_id": branch["id"], "type": "theme_day", "held_on": held_on, "topic": "x"})
        assert resp.status_code == 201
    period = {"from": "2025-01-01", "to": "2025-03-31"}
    view = {t["type"]: t for t in org.get(f"/units/{branch['id']}/life", **period).json["types"]}
    assert view["theme_day"]["missed"] == ["2025-02"]
    assert view["theme_day"]["held"] == 3
    rules = {r["code"]: r for r in org.get("/compliance", under=township["id"], **period).json["rules"]}
    theme = rules["LIFE.THEME_DAY"]
    assert theme["count"] == 1
    assert theme["units"][0]["figures"]["missed"] == ["2025-02"]
    assert theme["units"][0]["figures"]["held"] == 3


def test_leaders_without_a_liaison_branch_on_postgresql(pg_org):
    """ORG.LIAISON's queries (the kept-point test inside the counts, the latest rating per branch) on PostgreSQL."""
    from .test_leaders_api import leader, point
    from .test_support_api import rating

    org = pg_org
    province = org.unit("province")
    county = org.unit("county", org.unit("city", province))
    township = org.unit("township", county)
    branch = org.unit("branch", township, domain="village")
    secretary = leader(org, county).json
    leader(org, township, role="member", title="街道党工委委员")
    point(org, secretary, branch)
    rating(org, branch, 2024, 5)
    rating(org, branch, 2025, 1)  # the latest year decides: backward now
    entry = next(r for r in org.get("/compliance", under=province["id"]).json["rules"] if r["code"] == "ORG.LIAISON")
    assert entry["count"] == 1
    assert entry["units"][0]["figures"]["role"] == "member"
    assert entry["summary"] == {"leaders": 2, "keeping_liaison": 1, "liaison_points_at_backward": 1}
    page = org.get("/compliance/ORG.LIAISON", under=county["id"]).json
    assert page["count"] == 1
    assert page["items"][0]["name"] == "王书记（街道党工委委员）"


def test_while_postgresql_refuses_connections_requests_get_503_and_then_work(pg_org):
    """The service's database stops taking connections (a restart, a failover): 503 problem+json with
    Retry-After, not a 500; the request repeated once it is back succeeds."""
    from tests.conftest import database_refusing_connections

    org = pg_org
    province = org.unit("province")
    with database_refusing_connections(kit_of(org.app).db.engine.url.database):
        for resp in (org.get(f"/units/{province['id']}"),
                     org.post("/units", {"kind": "city", "name": "济宁市委", "code": "3708",
                                         "parent_id": province["id"]}, **{"Idempotency-Key": "city-3708"})):
            assert resp.status_code == 503
            assert resp.headers["Content-Type"] == "application/problem+json"
            assert resp.headers["Retry-After"] == "5"
            assert resp.json["type"].endswith("unavailable")
    created = org.post("/units", {"kind": "city", "name": "济宁市委", "code": "3708", "parent_id": province["id"]},
                       **{"Idempotency-Key": "city-3708"})
    assert created.status_code == 201
    assert [u["code"] for u in org.get("/units", under=province["id"]).json["items"]] == [province["code"], "3708"]
