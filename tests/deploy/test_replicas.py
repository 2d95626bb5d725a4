"""Replicas are safe: two of every process at once (the web and the worker of every service, and two gateways in
front), on one PostgreSQL database per service, one RabbitMQ whose queues are quorum queues (as a province runs
them) and one Redis, under a write load through both gateways (bench/replicas.py runs it; ``python -m bench
--only replicas`` runs it larger and writes the figures to docs/benchmarks.md).

- steady: every event of every service reaches the exchange exactly once (the relays and background publishers
  skip each other's locked outbox rows) and is applied by every service whose queue is bound to its type, once
  (competing consumers on one queue, the inbox);
- one client's rate limit is shared by the two gateway processes (and their gunicorn workers) through Redis;
- every process restarted mid-load (SIGTERM, then started again), replica 0's all at once, then replica 1's, as
  draining a node does (one pod of each Deployment, what the PodDisruptionBudgets allow; the bench restarts them
  one by one, as ``kubectl rollout restart`` does): no acknowledged write lost, none doubled (a client retries on the other gateway with the same
  Idempotency-Key), no event lost (a duplicate publish is allowed, and dropped by the inbox);
- the daily job, due in both workers of every service at the same minute, runs once per service.

The counts are printed (``-s``).
"""
from __future__ import annotations

import pytest

from bench.replicas import BURST, scenario, summary
from shared.config import SERVICES

pytestmark = pytest.mark.infra

BASE_PORT = 18760
STEADY = 200
#: writes answered before, between and after the two drains
BETWEEN = 40


def test_two_replicas_of_every_process_publish_apply_share_limits_and_survive_a_rolling_restart(
        tmp_path, pg_url, amqp_url, redis_url, capsys):
    urls = {s: pg_url(s) for s in SERVICES}
    out = scenario(tmp_path, urls, amqp_url, redis_url, steady=STEADY, rolling_between=BETWEEN, base_port=BASE_PORT,
                   restart="drains")
    with capsys.disabled():
        print(f"\nreplicas: {summary(out)}")

    assert out["processes"] == 2 * (2 * len(SERVICES) + 1)
    assert out["queue_types"], out["queue_types"]
    assert set(out["queue_types"].values()) == {"quorum"}, out["queue_types"]

    # the burst is spent across both gateways, then both refuse
    assert out["rate_limit"] == {"allowed": BURST, "refused": 4, "other": 0, "last_four": [429] * 4}

    steady = out["steady"]
    assert steady["failures"] == []
    assert steady["acknowledged"] == STEADY
    assert steady["lost"] == {"units_missing": 0, "people_missing": 0, "people_doubled": 0, "units_unacknowledged": 0}
    assert steady["events"] > STEADY
    assert steady["events_lost"] == 0
    assert steady["published_twice"] == 0, "an event published twice in steady state"
    assert set(steady["consumers"]) >= {"members", "training", "evaluation"}
    assert set(steady["not_applied"].values()) == {0}

    rolling = out["rolling"]
    assert rolling["restarted"] == out["processes"]
    assert rolling["failures"] == []
    assert rolling["acknowledged"] >= BETWEEN * (rolling["steps"] + 1)
    assert rolling["lost"] == {"units_missing": 0, "people_missing": 0, "people_doubled": 0, "units_unacknowledged": 0}
    assert rolling["events"] >= rolling["acknowledged"]
    assert rolling["events_lost"] == 0
    assert set(rolling["not_applied"].values()) == {0}  # a duplicate publish, if any, applied once

    for service in SERVICES:
        assert out["daily_job"][service] == out["daily_job_expected"], service
