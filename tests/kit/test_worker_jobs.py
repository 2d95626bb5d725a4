"""Daily jobs in a service's worker: their time in Asia/Shanghai, moved or stopped by the environment, run in
the app's context, a failure logged and not fatal."""
from __future__ import annotations

import logging
from datetime import datetime, time, timezone

from flask import current_app

from shared.dates import SHANGHAI
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
