"""The change feed every service has (``GET /api/<service>/v1/changes``), on org: its own events in commit
order, in the caller's scope and ``under``, of the given types, packed rows unpacked with stable cursors, the
history purged after the retention with 410 for a cursor before it; and on PostgreSQL, with writers whose
transactions commit out of id order, no event is ever skipped."""
from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shared.changes import purge_history
from shared.db import utcnow
from shared.outbox import EventBatch, write_events

from tests.org.conftest import API, Org

FEED = f"{API}/changes"


@pytest.fixture
def org(make_app, auth_headers):
    app = make_app("org")
    return Org(app, auth_headers(app, "admin"))


def tree(org: Org) -> dict:
    province = org.unit("province", name="山东省委")
    city = org.unit("city", province, name="济宁市委")
    return {"province": province, "city": city, "county": org.unit("county", city, name="邹城市委"),
            "next county": org.unit("county", city, name="曲阜市委")}


def read_all(org: Org, headers: dict | None = None, after: str | None = None, **query) -> tuple[list[dict], str]:
    """Every event from ``after`` on, page by page as a client reads them; and the cursor it ends with."""
    items: list[dict] = []
    while True:
        resp = org.client.get(FEED, query_string={**query, **({"after": after} if after else {})},
                              headers=headers or org.headers)
        assert resp.status_code == 200, resp.json
        items += resp.json["items"]
        after = resp.json["next_cursor"] or after
        if not resp.json["more"]:
            return items, after


def read_until(org: Org, count: int, after: str | None = None, seconds: float = 60) -> list[dict]:
    """Read on until ``count`` events came: on a shared PostgreSQL server another database's transaction may
    hold the feed back a while (the horizon is the server's oldest running transaction)."""
    items: list[dict] = []
    deadline = time.monotonic() + seconds
    while len(items) < count and time.monotonic() < deadline:
        page, after = read_all(org, after=after)
        items += page
        time.sleep(0.05)
    return items


def unit_ids(items: list[dict]) -> list[str]:
    return [e["data"]["id"] for e in items]


def test_the_feed_lists_the_services_events_in_the_order_they_were_written(org):
    units = tree(org)
    first = org.get("/changes", limit=3)
    assert first.status_code == 200
    assert [e["type"] for e in first.json["items"]] == ["org.unit.created"] * 3
    assert unit_ids(first.json["items"]) == [units["province"]["id"], units["city"]["id"], units["county"]["id"]]
    assert first.json["more"] is True
    rest = org.get("/changes", after=first.json["next_cursor"])
    assert unit_ids(rest.json["items"]) == [units["next county"]["id"]]
    assert rest.json["more"] is False
    head = org.get("/changes", after=rest.json["next_cursor"])  # at the head: nothing new, the same cursor
    assert head.json["items"] == []
    assert head.json["next_cursor"] == rest.json["next_cursor"]
    branch = org.unit("branch", units["county"])
    later = org.get("/changes", after=head.json["next_cursor"])
    assert unit_ids(later.json["items"]) == [branch["id"]]
    envelope = later.json["items"][0]
    assert set(envelope) == {"id", "type", "version", "occurred_at", "source", "org_path", "correlation_id",
                             "actor", "data"}
    assert envelope["source"] == "org"
    assert envelope["org_path"] == branch["path"]


def test_a_scoped_platform_reads_only_its_subtree_and_under_narrows_it(org):
    units = tree(org)
    mine = [org.unit("branch", units["county"])["id"] for _ in range(3)]
    org.unit("branch", units["next county"])
    platform = org.as_("integration", scope=units["county"]["id"])
    items, _ = read_all(org, platform)
    assert unit_ids(items) == [units["county"]["id"], *mine]
    township = org.unit("township", units["county"])
    inside = org.unit("branch", township)
    items, _ = read_all(org, org.headers, under=township["id"])
    assert unit_ids(items) == [township["id"], inside["id"]]
    assert org.get("/changes", headers=platform, under=units["next county"]["id"]).status_code == 404
    assert org.get("/changes", headers=org.as_("organizer", scope=units["county"]["id"])).status_code == 403


def test_types_are_globs_over_the_event_types(org):
    units = tree(org)
    resp = org.client.patch(f"{API}/units/{units['county']['id']}", json={"name": "邹城市委（新）"},
                            headers={**org.headers, "If-Match": f'"{units["county"]["id"]}.{units["county"]["version"]}"'})
    assert resp.status_code == 200, resp.json
    every = {e["type"] for e in read_all(org)[0]}
    assert {"org.unit.created", "org.unit.updated"} <= every
    assert {e["type"] for e in read_all(org, types="org.unit.updated")[0]} == {"org.unit.updated"}
    assert {e["type"] for e in read_all(org, types="org.unit.*")[0]} == every & {t for t in every
                                                                               if t.startswith("org.unit.")}
    both = read_all(org, types="org.unit.updated,org.unit.created")[0]
    assert {e["type"] for e in both} == {"org.unit.created", "org.unit.updated"}
    # a word without a dot matches no type: refused, not a filter that lets nothing through (Schemathesis sent
    # ?types=false, a boolean where a list belongs, and got 200)
    assert {e["type"] for e in read_all(org, types="*")[0]} == every
    for bad in ("Org.Unit", "org.unit.created.x.y", "org unit", "org.%", "false", "org", "0.5"):
        assert org.get("/changes", types=bad).status_code == 422, bad


def test_packed_events_are_unpacked_and_a_page_may_end_inside_a_pack(org):
    units = tree(org)
    kit = org.app.extensions["zhibu"]
    made = []
    batch = EventBatch("org.unit.created")
    for i in range(25):
        parent = units["county"] if i % 2 else units["next county"]
        data = {"id": str(uuid.uuid4()), "key": f"p{i}", "path": f"{parent['path']}p{i}/", "parent_id": parent["id"],
                "kind": "branch", "domain": None, "name": f"支部{i}", "code": f"P{i}", "status": "active",
                "established_on": None, "unit_version": 1}
        batch.add(data, data["path"])
        made.append(data)
    with kit.db.transaction() as session:
        write_events(session, kit.models.OutboxEvent, batch)
    after_tree = read_all(org, limit=4)[0]
    assert unit_ids(after_tree)[4:] == [d["id"] for d in made]
    platform = org.as_("integration", scope=units["county"]["id"])
    in_county = [d["id"] for i, d in enumerate(made) if i % 2]
    assert unit_ids(read_all(org, platform, limit=3)[0]) == [units["county"]["id"], *in_county]


def test_an_invalid_cursor_is_422(org):
    tree(org)
    for bad in ("nonsense", "W10", "WyJhIiwxLDJd"):  # "W10" = [], the last = ["a",1,2]
        resp = org.get("/changes", after=bad)
        assert resp.status_code == 422, bad


def test_the_history_is_purged_after_the_retention_and_an_older_cursor_is_410(org):
    units = tree(org)
    kit = org.app.extensions["zhibu"]
    kit.relay.sweep()  # the relay has sent them: unsent rows are never purged
    Outbox = kit.models.OutboxEvent
    start = org.get("/changes", limit=1).json["next_cursor"]  # a client that read the first event
    caught_up = read_all(org)[1]  # and one that read all four
    with kit.db.transaction() as session:
        session.execute(update(Outbox).values(created_at=utcnow() - timedelta(days=31)))
    fresh = org.unit("branch", units["county"])
    kit.relay.sweep()
    assert purge_history(org.app) == {"deleted": 3}  # the newest old row stays: where the history begins
    with kit.db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Outbox)) == 2
    gone = org.get("/changes", after=start)
    assert gone.status_code == 410
    assert gone.headers["Content-Type"] == "application/problem+json"
    assert "重新同步" in gone.json["detail_zh"]
    assert "re-sync from the list endpoints" in gone.json["detail_en"]
    assert "30" in gone.json["detail_en"]
    kept = org.get("/changes", after=caught_up)
    assert kept.status_code == 200
    assert unit_ids(kept.json["items"]) == [fresh["id"]]
    assert unit_ids(read_all(org)[0]) == [units["next county"]["id"], fresh["id"]]
    assert purge_history(org.app) == {"deleted": 0}


def test_an_unsent_row_is_never_purged(org):
    tree(org)
    kit = org.app.extensions["zhibu"]
    with kit.db.transaction() as session:
        session.execute(update(kit.models.OutboxEvent).values(created_at=utcnow() - timedelta(days=60)))
    assert purge_history(org.app) == {"deleted": 0}
    assert len(read_all(org)[0]) == 4


def test_the_feed_is_in_the_openapi_document_with_its_410(org):
    doc = org.client.get("/api/org/openapi.json").json
    operation = doc["paths"]["/api/org/v1/changes"]["get"]
    assert operation["operationId"] == "listOrgChanges"
    assert {"200", "410", "422", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"after", "types", "under", "limit"}


# ----------------------------------------------------------------------------- PostgreSQL: commit order

def unit_event(org_path: str = "/9/") -> dict:
    key = uuid.uuid4().hex[:8]
    return {"id": str(uuid.uuid4()), "key": key, "path": f"{org_path}{key}/", "parent_id": None, "kind": "branch",
            "domain": None, "name": "支部", "code": key, "status": "active", "established_on": None,
            "unit_version": 1}


@pytest.fixture
def pg_org(make_app, pg_url, auth_headers):
    app = make_app("org", database_url=pg_url("org"))
    return Org(app, auth_headers(app, "admin"))


@pytest.mark.infra
def test_an_event_committed_late_with_a_lower_id_is_not_skipped(pg_org):
    """Transaction A writes first (the lower id) and commits last; B commits in between. A reader that read
    after B's commit must still get A's event later."""
    kit = pg_org.app.extensions["zhibu"]
    a_event, b_event = unit_event(), unit_event()
    with kit.db.Session() as a:
        a_id = kit.outbox.emit(a, "org.unit.created", a_event, org_path=a_event["path"]).id
        a.flush()  # A holds outbox id n and its transaction is open
        with kit.db.transaction() as b:
            b_id = kit.outbox.emit(b, "org.unit.created", b_event, org_path=b_event["path"]).id
        ids = dict(a.execute(select(kit.models.OutboxEvent.event_id, kit.models.OutboxEvent.id)).all())
        seen_meanwhile, cursor = read_all(pg_org)
        a.commit()
    assert seen_meanwhile == []  # B is held back while A, older, may still commit
    later = read_until(pg_org, 2, after=cursor)
    assert unit_ids(later) == [a_event["id"], b_event["id"]]
    assert ids[a_id] < ids[b_id]  # A took the lower outbox id and committed last


@pytest.mark.infra
def test_concurrent_writers_and_a_polling_reader_lose_nothing(pg_org):
    """Six writers commit transactions of one to three events, holding each open a random while; a reader
    polls the feed all along, keeping its cursor as a platform would. It ends with every event, once each."""
    kit = pg_org.app.extensions["zhibu"]
    written: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(seed: int):
        draw = random.Random(seed)
        for _ in range(15):
            events = [unit_event() for _ in range(draw.randint(1, 3))]
            with kit.db.transaction() as session:
                for event in events:
                    kit.outbox.emit(session, "org.unit.created", event, org_path=event["path"])
                    session.flush()
                    time.sleep(draw.random() * 0.01)
            with lock:
                written.extend(e["id"] for e in events)

    got: list[str] = []
    deadline = [float("inf")]

    def reader():
        cursor = None
        client = pg_org.app.test_client()
        while True:
            finished = done.is_set()
            resp = client.get(FEED, query_string={"limit": 7, **({"after": cursor} if cursor else {})},
                              headers=pg_org.headers)
            got.extend(unit_ids(resp.json["items"]))
            cursor = resp.json["next_cursor"] or cursor
            # the feed waits for the oldest transaction of the whole server: another database's may hold it
            if finished and (len(got) >= len(written) or time.monotonic() > deadline[0]):
                return
            time.sleep(0.003)

    reading = threading.Thread(target=reader)
    reading.start()
    writers = [threading.Thread(target=writer, args=(seed,)) for seed in range(6)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    deadline[0] = time.monotonic() + 60
    done.set()
    reading.join(90)
    assert len(got) == len(set(got))
    assert set(got) == set(written)
