"""Rate limits: a token bucket per client, ``rate`` requests a second with bursts up to ``burst``.

``RateLimiter`` keeps the buckets in the process. That is right for the embedded default (one gateway
process), but each gunicorn worker and each gateway replica would keep its own buckets, so a client could
make N times the limit. With ``ZHIBU_RATE_LIMIT_REDIS_URL`` set, ``SharedRateLimiter`` keeps them in
Redis: one script reads, refills and takes from the bucket atomically on Redis's own clock, so every
gateway process draws on the same budget. Redis down or slow does not stop the gateway: each process
limits on its own buckets until Redis answers again (and says so in its log).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict

log = logging.getLogger("zhibu.gateway")


class RateLimiter:
    """The buckets in this process."""

    def __init__(self, rate: float, burst: int, max_clients: int = 100_000):
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else the seconds until the next request would be."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = [float(self.burst), now]
                self._buckets[client] = bucket
                if len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(client)
                bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
                bucket[1] = now
            if bucket[0] >= 1:
                bucket[0] -= 1
                return 0.0
            return (1 - bucket[0]) / self.rate


#: KEYS[1] the client's bucket; ARGV rate, burst, expiry (ms). Returns the wait in seconds, as text
#: (a Lua number comes back from Redis cut to an integer).
TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(bucket[1]), tonumber(bucket[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class SharedRateLimiter:
    """The buckets in Redis, shared by every gateway process; this process's own while Redis is away."""

    #: after a failure, Redis is tried again this many seconds later (not on every request)
    RETRY_SECONDS = 5.0

    def __init__(self, url: str, rate: float, burst: int, prefix: str = "zhibu:rate",
                 timeout_seconds: float = 0.25):
        import redis

        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                          socket_connect_timeout=timeout_seconds, health_check_interval=30)
        self._take = self.redis.register_script(TAKE)
        self._errors = (redis.RedisError, OSError)
        # a full bucket and an absent one are the same: the key goes once it would have refilled
        self._expiry_ms = math.ceil(burst / rate * 1000) + 1000
        self.local = RateLimiter(rate, burst)
        self._down_until = 0.0

    def take(self, client: str) -> float:
        if time.monotonic() < self._down_until:
            return self.local.take(client)
        try:
            wait = float(self._take(keys=[f"{self.prefix}:{client}"], args=[self.rate, self.burst, self._expiry_ms]))
        except self._errors as exc:
            if self._down_until == 0.0:
                log.warning("rate limits: Redis unavailable (%s); limiting in this process until it is back",
                            type(exc).__name__)
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            return self.local.take(client)
        if self._down_until:
            log.info("rate limits: Redis is back; the limits are shared again")
            self._down_until = 0.0
        return wait


def make_limiter(rate: float, burst: int, redis_url: str | None):
    return SharedRateLimiter(redis_url, rate, burst) if redis_url else RateLimiter(rate, burst)
