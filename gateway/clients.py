"""Registered external platforms (the e-branch systems) that obtain tokens from ``POST /auth/token``.

The registry is a JSON file named by ``ZHIBU_GATEWAY_CLIENTS_FILE``::

    {"dengta": {"secret_sha256": "<hex>", "roles": ["integration"], "scope": "<org unit id>",
                "ttl_seconds": 3600}}

Only the SHA-256 of each secret is stored. With RS256 (a provincial single
sign-on issues the tokens) the gateway cannot sign, and the endpoint answers 401.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from shared.auth import mint_token
from shared.config import Config


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_sha256: str
    roles: tuple[str, ...]
    scope: str | None
    ttl_seconds: int


class ClientRegistry:
    def __init__(self, clients: dict[str, Client]):
        self.clients = clients

    @classmethod
    def from_file(cls, path: str | None) -> "ClientRegistry":
        if not path:
            return cls({})
        raw = json.loads(Path(path).read_text())
        return cls({cid: Client(cid, c["secret_sha256"], tuple(c.get("roles", ["integration"])), c.get("scope"),
                                int(c.get("ttl_seconds", 3600))) for cid, c in raw.items()})

    def issue(self, config: Config, client_id: str, secret: str) -> dict | None:
        client = self.clients.get(client_id)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if client is None or not hmac.compare_digest(digest, client.secret_sha256):
            return None
        if config.jwt_algorithm != "HS256":
            return None
        token = mint_token(config, subject=f"client:{client_id}", roles=list(client.roles), scope=client.scope,
                           ttl_seconds=client.ttl_seconds)
        return {"access_token": token, "token_type": "Bearer", "expires_in": client.ttl_seconds}
