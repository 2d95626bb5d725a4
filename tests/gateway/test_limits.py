"""Rate limits shared by every gateway process (Redis), and what happens while Redis is away."""
from __future__ import annotations

import logging
import time
import uuid

import pytest

from gateway.limits import RateLimiter, SharedRateLimiter
from tests.gateway.conftest import bearer, gateway_for, token


def test_the_in_process_bucket_refills_at_its_rate():
    limiter = RateLimiter(rate=10, burst=2)
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    wait = limiter.take("a")
    assert 0 < wait <= 0.1
    time.sleep(wait + 0.01)
    assert limiter.take("a") == 0.0
    assert limiter.take("b") == 0.0  # another client has its own bucket


def test_without_redis_each_process_still_limits_on_its_own(caplog):
    limiter = SharedRateLimiter("redis://127.0.0.1:1/0", rate=1, burst=2, prefix=f"t{uuid.uuid4().hex}")
    with caplog.at_level(logging.WARNING, logger="zhibu.gateway"):
        waits = [limiter.take("sub:u1") for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert all(w > 0 for w in waits[2:])
    assert [r.getMessage() for r in caplog.records if "Redis unavailable" in r.getMessage()] != []
    assert len([r for r in caplog.records if "Redis unavailable" in r.getMessage()]) == 1  # said once, not per call


@pytest.mark.infra
def test_two_gateway_processes_share_one_budget(redis_url):
    prefix = f"t{uuid.uuid4().hex}"
    first, second = (SharedRateLimiter(redis_url, rate=1, burst=3, prefix=prefix) for _ in range(2))
    waits = [first.take("sub:u1"), second.take("sub:u1"), first.take("sub:u1"), second.take("sub:u1")]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0.9 < waits[3] <= 1.0  # the fourth waits for a token, whichever process it reaches
    assert second.take("sub:other") == 0.0
    time.sleep(1.05)
    assert first.take("sub:u1") == 0.0
    assert second.take("sub:u1") > 0  # one token came back, for both
    key = f"{prefix}:sub:u1"
    assert 0 < first.redis.pttl(key) <= 4000  # the bucket leaves Redis once it would be full again


@pytest.mark.infra
def test_through_two_gateways_the_fourth_request_is_refused(tmp_path, upstream_org, redis_url):
    _, url = upstream_org
    gateways = [gateway_for(tmp_path, {"org": url}, rate_per_second=1, burst=3, rate_limit_redis_url=redis_url)
                for _ in range(2)]
    headers = bearer(token(sub=f"platform-{uuid.uuid4().hex[:8]}"))
    statuses = [gateways[i % 2].get("/api/org/v1/units", headers=headers).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
