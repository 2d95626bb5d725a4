"""The webhooks service's rules as pure functions: which targets may be called, which events a subscription
gets, when a failed delivery is tried again and when the subscription gives up.

No regulation governs them; their source is the suite's security and delivery conventions (DESIGN.md,
"Security"; issue 14). No database, no request, no clock: the caller passes "now", the addresses a host
resolved to, a random draw, and the *config* values (``DEFAULTS``, overridable through the ``webhooks``
section of ``ZHIBU_RULES_FILE``).
"""
from __future__ import annotations

import fnmatch
import hmac
import hashlib
import ipaddress
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from shared.rulebook import Rulebook
from shared.violations import Violation

DEFAULTS = {
    #: networks (CIDR) a target may lie in although they are private or loopback; http is allowed only to a
    #: loopback address in this list (development: ["127.0.0.0/8", "::1/128"])
    "allowed_networks": [],
    #: the first retry after this many seconds, doubling each time (with jitter), at most retry_max_seconds
    "retry_base_seconds": 30.0,
    "retry_max_seconds": 3600.0,
    #: a delivery failing this long pauses its subscription and flags it
    "retry_window_hours": 24.0,
    #: the delivery log and delivered events are kept this many days (manual redelivery reaches back as far)
    "retention_days": 30,
    #: a receiver must accept the connection and answer within these (seconds)
    "connect_timeout_seconds": 5.0,
    "timeout_seconds": 10.0,
    #: deliveries in flight at once per worker (one per subscription at a time)
    "delivery_threads": 8,
    #: how often the delivery loop looks for due deliveries (seconds)
    "poll_seconds": 0.25,
    #: deliveries one subscription sends in a row before another gets its turn on that thread
    "batch": 50,
    #: a delivery loop holds a subscription this long per delivery; a dead worker's lease then runs out
    "lease_seconds": 120.0,
}

#: the rules webhooks declares (docs/rules.md is generated from it: ``zhibu rules``)
RULEBOOK = Rulebook("webhooks", DEFAULTS)
RULEBOOK.declare("WEBHOOKS.TARGET", "gate", "-",
                 "A target is https, or http to a loopback address the allow-list names; never a private, "
                 "loopback, link-local or otherwise non-public address unless the allow-list names its network.",
                 config=("allowed_networks",))
RULEBOOK.declare("WEBHOOKS.RETRY_WINDOW", "deadline", "-",
                 "A delivery failing for the whole window pauses its subscription and flags it; retries back off "
                 "from the base, doubling, to the maximum.",
                 config=("retry_window_hours", "retry_base_seconds", "retry_max_seconds"))

SIGNATURE_VERSION = "v1"


# ----------------------------------------------------------------------------- targets

def target_violation(url: str, addresses: list[str], allowed_networks: list[str]) -> Violation | None:
    """WEBHOOKS.TARGET: https, or http to a loopback address the allow-list names; never a private,
    loopback, link-local or otherwise non-public address unless the allow-list names its network (no
    request may be aimed inside the suite's own network: DESIGN.md, Security)."""
    parts = urlsplit(url)
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    if not ips:
        return Violation("WEBHOOKS.TARGET", en=f"the host {parts.hostname} does not resolve",
                         zh=f"目标主机 {parts.hostname} 无法解析", facts={"host": parts.hostname})
    allowed = [ip for ip in ips if any(ip in n for n in networks)]
    if parts.scheme == "http" and not (len(allowed) == len(ips) and all(ip.is_loopback for ip in ips)):
        return Violation("WEBHOOKS.TARGET", en="the target must be https (http only to an allowed loopback address)",
                         zh="目标地址必须使用 https（仅允许名单内的本机回环地址使用 http）", facts={"url": url})
    refused = [str(ip) for ip in ips if not ip.is_global and ip not in allowed]
    if refused:
        return Violation("WEBHOOKS.TARGET", en=f"the target resolves to a non-public address ({refused[0]})",
                         zh=f"目标地址解析为非公网地址（{refused[0]}），未获允许", facts={"address": refused[0]})
    return None


# ----------------------------------------------------------------------------- matching

def pattern_matches(pattern: str, event_type: str) -> bool:
    """``members.stage.*`` matches ``members.stage.changed``; ``*`` matches every type."""
    return fnmatch.fnmatchcase(event_type, pattern)


def wants(patterns: list[str], event_type: str) -> bool:
    return any(pattern_matches(p, event_type) for p in patterns)


def unknown_patterns(patterns: list[str], catalog_types) -> list[str]:
    """The globs that match no type of the catalog (a typo would never deliver anything)."""
    return [p for p in patterns if not any(pattern_matches(p, t) for t in catalog_types)]


def covers(subscription_path: str, scope_path: str | None, event_path: str | None) -> bool:
    """The event lies in the subscription's subtree and in its creator's scope; an event of no unit goes
    only to a province-wide subscription."""
    if scope_path is None or not subscription_path.startswith(scope_path):
        return False
    if event_path is None:
        return subscription_path == "/"
    return event_path.startswith(subscription_path)


# ----------------------------------------------------------------------------- retries

def retry_delay(attempt: int, draw: float, config: dict) -> timedelta:
    """After failed attempt ``attempt`` (1, 2, ...): base x 2^(attempt-1), at most the maximum, with "full
    jitter" in its upper half (``draw`` in [0, 1)) so that receivers coming back are not hit all at once."""
    ceiling = min(config["retry_base_seconds"] * 2 ** min(attempt - 1, 40), config["retry_max_seconds"])
    return timedelta(seconds=ceiling * (0.5 + draw / 2))


def gives_up(first_failed_at: datetime, now: datetime, config: dict) -> bool:
    """WEBHOOKS.RETRY_WINDOW: the head delivery has failed for the whole window: pause and flag."""
    return now - first_failed_at >= timedelta(hours=config["retry_window_hours"])


def delivered(status_code: int | None) -> bool:
    """Any 2xx is a delivery; redirects are not followed, and every other answer is retried."""
    return status_code is not None and 200 <= status_code < 300


# ----------------------------------------------------------------------------- signature

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` HMAC-SHA256 (hex) of ``<timestamp>.<body>`` under the subscription's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"
