"""Which targets may be called: the subscription's URL is checked when it is made or changed, and again
before every POST (a name may resolve elsewhere since)."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

from shared.errors import invalid
from shared.violations import RuleViolation

from . import rules


def resolve_host(host: str) -> list[str]:
    """The addresses ``host`` resolves to (none when it does not resolve)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError, ValueError):
        return []


def check_target(url: str, config: dict) -> None:
    """WEBHOOKS.TARGET (409) for a target outside the allowed ones; 422 for a port out of range."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise invalid("url", "the port is not a number from 1 to 65535") from None
    violation = rules.target_violation(url, resolve_host(host), config["allowed_networks"])
    if violation is not None:
        raise RuleViolation(violation)
