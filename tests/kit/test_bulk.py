"""The kit's bulk writing: ids in index order, rows encoded for a text COPY, a pool of processes that
hands results back in order, packed outbox events."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone

import pytest

from shared import bulk, outbox
from shared.events import stored_envelopes


def test_new_ids_are_version_7_uuids_in_ascending_order_and_distinct():
    ids = bulk.new_ids(10_000)          # more than one millisecond's counter holds
    assert ids == sorted(ids)
    assert len(set(ids)) == 10_000
    first = uuid.UUID(ids[0])
    assert first.version == 7
    assert first.variant == uuid.RFC_4122
    millis = int(ids[0].replace("-", "")[:12], 16)
    assert abs(millis / 1000 - datetime.now(timezone.utc).timestamp()) < 60


def test_copy_text_lines_escape_what_copy_would_misread():
    rows = [("a\\b", "tab\there", "two\nlines", None, 7, 2.5, True, date(2024, 2, 29),
             datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), {"k": "v\\"})]
    line = bulk.copy_text_lines(rows, tail=("run", None)).decode()
    assert line == ("a\\\\b\ttab\\there\ttwo\\nlines\t\\N\t7\t2.5\tt\t2024-02-29\t2026-01-02T03:04:05+00:00\t"
                    '{"k": "v\\\\\\\\"}\trun\t\\N\n')


def test_copy_text_lines_round_trip_through_postgresql(pg_url):
    import psycopg

    url = pg_url("bulk", migrate=False)
    rows = [("王\\五\t(临时)", None, date(2024, 2, 29), 3, "line\r\nend")]
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE t (a text, b text, c date, d int, e text)")
        with conn.cursor().copy("COPY t FROM STDIN") as copy:
            copy.write(bulk.copy_text_lines(rows))
        assert conn.execute("SELECT * FROM t").fetchall() == rows


def test_a_bulk_write_this_large_leaves_fresh_statistics_for_the_next_plans(pg_url):
    """The planner of the next report knows how many rows a bulk write left (ANALYZE in its transaction); a
    smaller write leaves them to autovacuum."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, text
    from sqlalchemy.orm import Session

    from shared.db import normalize_url

    engine = create_engine(normalize_url(pg_url("bulk", migrate=False)))
    tables = MetaData()
    big = Table("written_in_bulk", tables, Column("id", Integer, primary_key=True), Column("path", String(20)))
    small = Table("written_in_part", tables, Column("id", Integer, primary_key=True), Column("path", String(20)))
    some = Table("written_for_a_path", tables, Column("id", Integer, primary_key=True), Column("path", String(20)))
    tables.create_all(engine)
    try:
        with Session(engine) as session:
            for table, count, columns in ((big, bulk.ANALYZE_AFTER, ()), (small, bulk.ANALYZE_AFTER - 1, ()),
                                          (some, bulk.ANALYZE_AFTER, ("path",))):
                bulk.copy_rows(session, table, ("id", "path"), [(i, f"/1/{i}/") for i in range(count)])
                bulk.analyze_after(session, table, count, columns)
            with pytest.raises(KeyError):
                bulk.analyze_after(session, some, bulk.ANALYZE_AFTER, ("path); DROP TABLE written_in_bulk; --",))
            session.commit()
        with engine.connect() as conn:
            def estimated(name):
                return conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :name"), {"name": name})

            def with_statistics(name):
                return set(conn.scalars(text("SELECT attname FROM pg_stats WHERE tablename = :name"), {"name": name}))
            assert estimated("written_in_bulk") == bulk.ANALYZE_AFTER
            assert with_statistics("written_in_bulk") == {"id", "path"}
            assert estimated("written_in_part") == -1  # never analysed yet
            assert estimated("written_for_a_path") == bulk.ANALYZE_AFTER  # the size counted anew all the same
            assert with_statistics("written_for_a_path") == {"path"}
    finally:
        tables.drop_all(engine)
        engine.dispose()



@pytest.mark.parametrize("on", ["sqlite", "postgresql"])
def test_a_stream_of_pieces_lands_whole_and_a_failure_inside_it_keeps_none(on, pg_url, tmp_path):
    """``copy_stream``: rows written in pieces (JSON as values) land in order; an error while the caller works out
    a piece leaves nothing of the pieces before it."""
    from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine, func, select
    from sqlalchemy.orm import Session

    from shared.db import normalize_url

    url = normalize_url(pg_url("bulk", migrate=False)) if on == "postgresql" else f"sqlite:///{tmp_path}/bulk.db"
    engine = create_engine(url)
    tables = MetaData()
    table = Table("written_in_pieces", tables, Column("id", Integer, primary_key=True), Column("doc", JSON))
    tables.create_all(engine)
    try:
        with Session(engine) as session:
            with bulk.copy_stream(session, table, ("id", "doc")) as write:
                for first in range(0, 3_000, 1_000):
                    write([(i, {"支部": i, "成员": [i, None]}) for i in range(first, first + 1_000)])
                write([(3_000, '{"支部": "ready JSON text", "成员": []}')])   # as the outbox's packs come
            session.commit()
        with pytest.raises(ZeroDivisionError), Session(engine) as session:
            with bulk.copy_stream(session, table, ("id", "doc")) as write:
                write([(i, {"支部": i}) for i in range(4_000, 5_000)])
                write([(1 // 0, None)])
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(table)) == 3_001
            assert session.scalar(select(table.c.doc).where(table.c.id == 3_000)) == {"支部": "ready JSON text",
                                                                                   "成员": []}
            assert session.execute(select(table).where(table.c.id == 2_999)).one() == (2_999, {"支部": 2_999,
                                                                                            "成员": [2_999, None]})
    finally:
        tables.drop_all(engine)
        engine.dispose()


def _square(n, context):
    if n == 13:
        raise ValueError("thirteen")
    return n * n + context


def test_a_pipeline_hands_results_back_in_order_from_worker_processes():
    pipeline = bulk.Pipeline(_square, 1, processes=2)
    results = []
    for n in range(12):
        results.extend(pipeline.submit(n))
    assert len(results) <= 12 - 2      # the rest are still in flight
    results.extend(pipeline.finish())
    assert results == [n * n + 1 for n in range(12)]


def test_a_failure_in_a_worker_process_reaches_the_caller():
    pipeline = bulk.Pipeline(_square, 0, processes=2, ahead=1)
    with pytest.raises(ValueError, match="thirteen"):
        for n in range(10, 20):
            pipeline.submit(n)
        list(pipeline.finish())


def test_without_processes_the_pipeline_runs_in_the_caller():
    seen = []
    pipeline = bulk.Pipeline(_square, 0, inline=lambda n, ctx: seen.append(n) or n)
    assert pipeline.submit(5) == [5]
    assert seen == [5]
    assert list(pipeline.finish()) == []


def test_packed_events_unpack_into_whole_envelopes(make_app):
    app = make_app("members")
    with app.app_context():
        batch = outbox.EventBatch("members.person.created")
        people = [str(uuid.uuid4()) for _ in range(5)]
        for person_id in people:
            batch.add({"id": person_id, "unit_id": uuid.uuid4(), "name": "甲", "stage": "full", "status": "active",
                       "full_member_since": date(2020, 7, 1), "probationary_since": None,
                       "classification": None, "person_version": 1}, "/1/2/")
        packs = batch.packs(size=2)
    assert [pack.count for pack in packs] == [2, 2, 1]
    envelopes = [e for pack in packs for e in stored_envelopes(json.loads(pack.json))]
    assert [e["data"]["id"] for e in envelopes] == people
    assert [pack.first_id for pack in packs] == [envelopes[0]["id"], envelopes[2]["id"], envelopes[4]["id"]]
    assert {e["type"] for e in envelopes} == {"members.person.created"}
    assert {e["org_path"] for e in envelopes} == {"/1/2/"}
    assert envelopes[0]["data"]["full_member_since"] == "2020-07-01"
    assert len({e["id"] for e in envelopes}) == 5
    kept = outbox.repack(packs, lambda e: e["data"]["id"] != people[1])
    assert [e["data"]["id"] for p in kept for e in stored_envelopes(json.loads(p.json))] == people[:1] + people[2:]


def test_a_batch_refuses_data_its_catalog_schema_refuses(make_app):
    app = make_app("members")
    with app.app_context(), pytest.raises(Exception):
        outbox.EventBatch("members.person.created").add({"id": "not-a-uuid", "unit_id": "x"}, "/1/")


def test_an_idle_pool_is_shut_down_and_a_later_pipeline_starts_a_fresh_one():
    import os
    import time

    first = bulk.Pipeline(_square, 0, processes=3, idle_seconds=0.2)
    pool = first._pool
    assert first.submit(2) == []
    assert list(first.finish()) == [4]
    deadline = time.monotonic() + 10
    while (os.getpid(), 3) in bulk._POOLS and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (os.getpid(), 3) not in bulk._POOLS                    # its processes were let go
    second = bulk.Pipeline(_square, 1, processes=3, idle_seconds=0.2)
    assert second._pool is not pool
    assert list(second.finish()) == []
    assert second.submit(3) == []
    assert list(second.finish()) == [10]
