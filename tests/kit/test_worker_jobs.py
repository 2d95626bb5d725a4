"""Daily jobs in a service's worker: their time in Asia/Shanghai, moved or stopped by the environment, run in
the app's context, a failure logged and not fatal."""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from flask import current_app

from shared.dates import SHANGHAI
from shared.testing import kit_of
from shared.worker import DailyJob, JobLoop, job_time, next_run


def test_the_next_run_is_the_jobs_time_in_shanghai_strictly_after_now():
    at = time(2, 30)
    just_before = datetime(2026, 11, 28, 2, 29, 59, tzinfo=SHANGHAI)
    assert next_run(just_before, at) == datetime(2026, 11, 28, 2, 30, tzinfo=SHANGHAI)
    on_time = datetime(2026, 11, 28, 2, 30, tzinfo=SHANGHAI)
    assert next_run(on_time, at) == datetime(2026, 11, 29, 2, 30, tzinfo=SHANGHAI)
    # 18:30 UTC on Dec 31 is 02:30 on Jan 1 in Shanghai: the run after it is on Jan 2
    utc = datetime(2026, 12, 31, 18, 29, tzinfo=timezone.utc)
    assert next_run(utc, at) == datetime(2027, 1, 1, 2, 30, tzinfo=SHANGHAI)


def test_the_environment_moves_or_stops_a_job():
    job = DailyJob("nightly-recompute", time(2, 30), lambda app: None)
    assert job_time(job, {}) == time(2, 30)
    assert job_time(job, {"ZHIBU_JOB_NIGHTLY_RECOMPUTE_AT": "04:15"}) == time(4, 15)
    assert job_time(job, {"ZHIBU_JOB_NIGHTLY_RECOMPUTE_AT": "off"}) is None


def test_a_job_runs_in_the_apps_context_and_a_failure_is_only_logged(make_app, caplog):
    app = make_app("org")
    seen = []
    good = DailyJob("remember", time(1, 0), lambda a: seen.append(current_app.name) or "ok")
    bad = DailyJob("break", time(1, 0), lambda a: 1 / 0)
    loop = JobLoop(app, [good, bad])
    with caplog.at_level(logging.INFO, logger="zhibu.worker"):
        loop.run_job(good)
        loop.run_job(bad)
    assert seen == ["org"]
    assert any("job remember done" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR and "job break failed" in r.getMessage() for r in caplog.records)


def job_entries(app, name: str) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    kit = kit_of(app)
    Entry = kit.models.AuditEntry
    with kit.db.Session() as session:
        rows = session.execute(select(Entry.entity_id, Entry.action, Entry.actor)
                               .where(Entry.entity == "daily-job", Entry.entity_id.like(f"{name}:%"))
                               .order_by(Entry.id)).all()
    return [tuple(row) for row in rows]


def test_two_workers_of_a_service_run_a_daily_job_once_a_day(make_app, tmp_path):
    """Two replicas of a worker (two apps, two engines) on one database: the job runs once for a day, by the
    worker that claimed it, and again the next day; the audit log says who ran it and how it went."""
    first = make_app("org")
    second = make_app("org", database_url=kit_of(first).config.database_url)
    runs = []
    job = DailyJob("count", time(1, 0), lambda a: runs.append(a) or {"counted": len(runs)})
    day = datetime(2026, 12, 4).date()
    assert JobLoop(first, [job]).run_job(job, day) is True
    assert JobLoop(second, [job]).run_job(job, day) is False
    assert JobLoop(first, [job]).run_job(job, day) is False  # nor the same worker twice
    assert runs == [first]
    assert JobLoop(second, [job]).run_job(job, day.replace(day=5)) is True
    assert runs == [first, second]
    assert job_entries(first, "count") == [("count:2026-12-04", "started", "job:count"),
                                           ("count:2026-12-04", "done", "job:count"),
                                           ("count:2026-12-05", "started", "job:count"),
                                           ("count:2026-12-05", "done", "job:count")]


def test_a_failed_run_is_recorded_and_not_run_again_that_day(make_app, caplog):
    app = make_app("org")
    calls = []

    def broken(a):
        calls.append(1)
        raise RuntimeError("boom")

    job = DailyJob("fragile", time(1, 0), broken)
    day = datetime(2026, 12, 4).date()
    with caplog.at_level(logging.ERROR, logger="zhibu.worker"):
        assert JobLoop(app, [job]).run_job(job, day) is True
    assert JobLoop(app, [job]).run_job(job, day) is False
    assert calls == [1]
    assert [action for _, action, _ in job_entries(app, "fragile")] == ["started", "failed"]


def test_a_job_whose_database_does_not_answer_is_skipped_and_the_loop_lives_on(make_app, tmp_path, caplog):
    app = make_app("org", database_url=f"sqlite:///{tmp_path / 'missing' / 'org.db'}")  # no such folder
    runs = []
    job = DailyJob("needs-db", time(1, 0), lambda a: runs.append(1))
    with caplog.at_level(logging.ERROR, logger="zhibu.worker"):
        assert JobLoop(app, [job]).run_job(job, datetime(2026, 12, 4).date()) is False
    assert runs == []
    assert any("could not be claimed" in r.getMessage() for r in caplog.records)


@pytest.mark.infra
def test_replicas_starting_a_job_at_the_same_moment_on_postgresql_run_it_once(make_app, pg_url):
    """Four workers of one service wake at the job's time together (a barrier), on one PostgreSQL database,
    for 25 days in a row: each day's job runs exactly once."""
    url = pg_url("org")
    apps = [make_app("org", database_url=url) for _ in range(4)]
    runs: list[tuple] = []
    lock = threading.Lock()

    def work(a):
        with lock:
            runs.append((kit_of(a), day_of[0]))

    job = DailyJob("together", time(1, 0), work)
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(25)]
    day_of = [None]
    for day in days:
        day_of[0] = day
        barrier = threading.Barrier(len(apps))
        ran = []

        def replica(a):
            barrier.wait()
            ran.append(JobLoop(a, [job]).run_job(job, day))

        threads = [threading.Thread(target=replica, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(ran) == [False, False, False, True], day
    assert [d for _, d in runs] == days
    started = [e for e in job_entries(apps[0], "together") if e[1] == "started"]
    assert len(started) == len(days)


def test_the_relay_beats_between_rounds_of_a_long_drain_and_stops_between_them(make_app, auth_headers, tmp_path,
                                                                               monkeypatch):
    """A worker's liveness probe reads the heartbeat's age: a drain of many rows refreshes it between rounds
    of SWEEP_ROWS rows (a province import's backlog took one round of minutes before), and a stop is seen
    between rounds."""
    from sqlalchemy import func, select

    from shared.worker import SWEEP_ROWS, RelayLoop

    app = make_app("org")
    client = app.test_client()
    headers = auth_headers(app, "admin")
    root = client.post("/api/org/v1/units", json={"kind": "province", "name": "省", "code": "P"}, headers=headers)
    for n in range(2 * SWEEP_ROWS + 4):
        resp = client.post("/api/org/v1/units", headers=headers,
                           json={"kind": "city", "name": f"市{n}", "code": f"C{n}", "parent_id": root.get_json()["id"]})
        assert resp.status_code == 201
    kit = kit_of(app)
    Outbox = kit.models.OutboxEvent

    def unsent() -> int:
        with kit.db.Session() as session:
            return session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None)))

    heartbeat = tmp_path / "alive"
    monkeypatch.setenv("ZHIBU_WORKER_HEARTBEAT", str(heartbeat))
    stopped = RelayLoop(kit)
    stopped.stopping.set()
    assert stopped.drain() == 0
    assert unsent() == 2 * SWEEP_ROWS + 5  # asked to stop: not one more round
    loop = RelayLoop(kit)
    assert loop.drain() == 2 * SWEEP_ROWS + 5
    assert unsent() == 0
    assert loop.beats == 4
    assert heartbeat.exists()  # rounds of 20, 20, 5, then the empty one
