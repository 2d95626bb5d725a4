"""Tokens and principals.

A token is a JWT: HS256 with a configured secret by default, or RS256 verified
with the public key of a provincial single sign-on. Its claims: ``sub``,
``roles`` (admin, organizer, secretary, viewer, integration), ``scope`` (the id
of the org unit whose subtree the principal may read and write; an admin
without one sees the whole province), ``iss``, ``iat``, ``exp``.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import jwt

from .config import Config

ROLES = ("admin", "organizer", "secretary", "viewer", "integration")
#: roles that may read an unmasked national ID number or phone
PII_ROLES = frozenset({"admin", "organizer"})


class AuthError(Exception):
    """The token is missing or not acceptable; ``reason`` says why (never the token itself)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    scope: str | None = None  # org unit id, or None for province-wide
    #: the scope unit's materialized path, resolved by the service from its own read-model;
    #: "/" for province-wide; None while the unit is unknown here (then nothing is visible)
    scope_path: str | None = field(default=None, compare=False)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def may_see_pii(self) -> bool:
        return bool(self.roles & PII_ROLES)

    @property
    def province_wide(self) -> bool:
        return self.scope is None and "admin" in self.roles

    def sees(self, path: str | None) -> bool:
        """Whether a record at org path ``path`` lies inside this principal's subtree."""
        if self.scope_path is None or path is None:
            return False
        return path.startswith(self.scope_path)


class TokenVerifier:
    """Verifies tokens; ``claims`` and ``principal`` keep the last ``cache_size`` tokens verified until they
    expire, so that a client's next request skips the signature check (the gateway and every service)."""

    def __init__(self, config: Config, cache_size: int = 10000):
        self.cache_size = cache_size
        self._cache: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self.algorithm = config.jwt_algorithm
        self.issuer = config.jwt_issuer
        self.leeway = config.jwt_leeway_seconds
        if self.algorithm == "HS256":
            if not config.jwt_secret:
                raise ValueError("ZHIBU_JWT_SECRET is required for HS256")
            self.key = config.jwt_secret
        elif self.algorithm == "RS256":
            if not config.jwt_public_key:
                raise ValueError("ZHIBU_JWT_PUBLIC_KEY is required for RS256")
            self.key = config.jwt_public_key
        else:
            raise ValueError(f"unsupported JWT algorithm {self.algorithm}")

    def verify(self, token: str) -> dict:
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[self.algorithm], issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token was issued by an unknown issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature does not verify") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token lacks the claim {exc.claim}") from None
        except jwt.InvalidTokenError:
            raise AuthError("the token is malformed or not acceptable") from None
        for name in ("exp", "iat", "nbf"):  # PyJWT takes "1796390657" (a string) for a time: we do not
            value = claims.get(name)
            if name in claims and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                       and math.isfinite(value)):
                raise AuthError(f"the token's claim {name} is not a number of seconds")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise AuthError("the token's claim sub is not a string")
        roles = claims.get("roles")
        if (not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles)
                or not set(roles) <= set(ROLES)):
            raise AuthError("the token's roles are missing or unknown")
        scope = claims.get("scope")
        if scope is not None and not (isinstance(scope, str) and 0 < len(scope) <= 100 and scope.isprintable()):
            raise AuthError("the token's claim scope is not an org unit id")
        if scope is None and "admin" not in roles:
            raise AuthError("only an admin token may be province-wide; this one has no scope")
        return claims

    def claims(self, header_value: str | None) -> dict:
        """The claims of an ``Authorization: Bearer <token>`` header, verified (or found verified and not yet
        expired); ``AuthError`` otherwise."""
        if not header_value:
            raise AuthError("an Authorization: Bearer token is required")
        scheme, _, token = header_value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        with self._lock:
            claims = self._cache.get(token)
        if claims is not None and claims["exp"] > time.time():
            return claims
        claims = self.verify(token)
        with self._lock:
            self._cache[token] = claims
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return claims

    def principal(self, header_value: str | None) -> Principal:
        claims = self.claims(header_value)
        return Principal(subject=str(claims["sub"]), roles=frozenset(claims["roles"]),
                         scope=claims.get("scope"))


def mint_token(config: Config, *, subject: str, roles: list[str], scope: str | None = None,
               ttl_seconds: int = 8 * 3600, issuer: str | None = None) -> str:
    """A token for development and tests (HS256 with the configured secret, or RS256 with a private key)."""
    now = int(time.time())
    claims = {"sub": subject, "roles": list(roles), "iss": issuer or config.jwt_issuer,
              "iat": now, "exp": now + ttl_seconds}
    if scope is not None:
        claims["scope"] = scope
    if config.jwt_algorithm == "RS256":
        return jwt.encode(claims, config.jwt_private_key, algorithm="RS256")
    return jwt.encode(claims, config.jwt_secret, algorithm="HS256")
