"""The gateway: ``/api/<service>/...`` to that service, after the token is verified.

A plain WSGI application, kept lean on purpose: the body is passed through
untouched (never re-parsed), upstream connections are pooled and kept alive,
and gunicorn runs it on threaded workers. It adds or keeps ``X-Request-Id``,
rate-limits each client (token bucket, shared by every gateway process through
Redis when one is configured: ``limits.py``; 429 with ``Retry-After``), serves one
merged OpenAPI document and its docs page from local assets, and answers
``/healthz``, ``/readyz`` (every service's readiness) and ``/metrics``.
"""
from __future__ import annotations

import json
import logging
import mimetypes
import os
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
from prometheus_client import Counter, Histogram

from shared import metrics
from shared.auth import AuthError, TokenVerifier
from shared.config import DEFAULT_PORTS, SERVICES, Config
from shared.errors import problem_body
from shared.logs import configure_logging

from .clients import ClientRegistry
from .limits import make_limiter
from .openapi import merge_documents
from .upstream import UpstreamError, Upstreams

log = logging.getLogger("zhibu.gateway")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
PROXIED = Counter("zhibu_gateway_requests_total", "Requests answered by the gateway", ["service", "status"])
UPSTREAM_LATENCY = Histogram("zhibu_gateway_upstream_seconds", "Time waiting for a service", ["service"],
                             buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SWAGGER_DIST = Path(__import__("flask_swagger_ui").__file__).resolve().parent / "dist"


@dataclass
class GatewaySettings:
    upstreams: dict[str, str]
    rate_per_second: float = 50.0
    burst: int = 100
    pool_size: int = 32
    upstream_timeout: float = 60.0
    token_cache_size: int = 10000
    clients_file: str | None = None
    #: Redis keeping the rate-limit buckets shared by every gateway process; None: each process its own
    rate_limit_redis_url: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "GatewaySettings":
        env = os.environ
        upstreams = {s: env.get(f"{s.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[s]}").rstrip("/")
                     for s in SERVICES}
        return cls(
            upstreams=upstreams,
            rate_per_second=float(env.get("ZHIBU_RATE_LIMIT_PER_SECOND", "50")),
            burst=int(env.get("ZHIBU_RATE_LIMIT_BURST", "100")),
            pool_size=int(env.get("ZHIBU_GATEWAY_POOL_SIZE", "32")),
            upstream_timeout=float(env.get("ZHIBU_GATEWAY_UPSTREAM_TIMEOUT", "60")),
            clients_file=env.get("ZHIBU_GATEWAY_CLIENTS_FILE"),
            rate_limit_redis_url=env.get("ZHIBU_RATE_LIMIT_REDIS_URL") or None,
        )


class TokenCache:
    """Verified tokens, so that a client's next request skips the signature check until expiry."""

    def __init__(self, verifier: TokenVerifier, size: int):
        self.verifier = verifier
        self.size = size
        self._cache: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def claims(self, header_value: str | None) -> dict:
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
        claims = self.verifier.verify(token)
        with self._lock:
            self._cache[token] = claims
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return claims


def _problem(start_response, status: int, title: str, detail: str, request_id: str, *, kind: str | None = None,
             headers: list | None = None, path: str = "") -> list[bytes]:
    body = json.dumps(problem_body(status, title, detail, kind, instance=path, request_id=request_id),
                      ensure_ascii=False).encode()
    start_response(f"{status} {title}", [("Content-Type", "application/problem+json"),
                                         ("Content-Length", str(len(body))), ("X-Request-Id", request_id),
                                         *(headers or [])])
    return [body]


def _json(start_response, status: str, payload, request_id: str, headers: list | None = None) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Request-Id", request_id), *(headers or [])])
    return [body]


DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Zhibu API</title>
<link rel="stylesheet" href="/api/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/static/swagger-ui-bundle.js"></script>
<script src="/api/docs/static/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout",
  persistAuthorization: true});
</script></body></html>
""".encode()


class Gateway:
    def __init__(self, config: Config | None = None, settings: GatewaySettings | None = None):
        self.config = config or Config.from_env("gateway")
        self.settings = settings or GatewaySettings.from_env()
        configure_logging("gateway", self.config.log_level)
        self.tokens = TokenCache(TokenVerifier(self.config), self.settings.token_cache_size)
        self.limiter = make_limiter(self.settings.rate_per_second, self.settings.burst,
                                    self.settings.rate_limit_redis_url)
        self.clients = ClientRegistry.from_file(self.settings.clients_file)
        self.upstreams = Upstreams(self.settings.upstreams, self.settings.upstream_timeout)
        self.pool = urllib3.PoolManager(
            num_pools=len(SERVICES) + 2, maxsize=self.settings.pool_size, block=False, retries=False,
            timeout=urllib3.Timeout(connect=3.0, read=self.settings.upstream_timeout),
        )
        self._openapi: tuple[float, dict] | None = None
        self._openapi_lock = threading.Lock()

    # ------------------------------------------------------------------ WSGI entry
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        request_id = (environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex)[:100]
        if path.startswith("/api/") and not path.startswith(("/api/docs", "/api/openapi.json")):
            return self.proxy(environ, start_response, path, request_id)
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "ok", "service": "gateway"}, request_id)
        if path == "/readyz":
            return self.readyz(start_response, request_id)
        if path == "/metrics":
            body, content_type = metrics.render()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/api/openapi.json":
            try:
                return _json(start_response, "200 OK", self.openapi(), request_id)
            except Exception as exc:  # noqa: BLE001
                log.warning("openapi merge failed: %s", exc)
                return _problem(start_response, 502, "Bad Gateway", "a service's API document is unavailable",
                                request_id, path=path)
        if path in ("/api/docs", "/api/docs/"):
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(DOCS_PAGE)))])
            return [DOCS_PAGE]
        if path.startswith("/api/docs/static/"):
            return self.static(start_response, path.removeprefix("/api/docs/static/"), request_id)
        if path == "/auth/token":
            return self.issue_token(environ, start_response, request_id)
        return _problem(start_response, 404, "Not Found", "no such route; APIs live under /api/<service>/v1",
                        request_id, path=path)

    # ------------------------------------------------------------------ proxying
    def proxy(self, environ, start_response, path: str, request_id: str):
        service = path.split("/", 3)[2]
        upstream = self.settings.upstreams.get(service)
        if upstream is None:
            return _problem(start_response, 404, "Not Found", f"there is no service named {service!r}",
                            request_id, path=path)
        try:
            claims = self.tokens.claims(environ.get("HTTP_AUTHORIZATION"))
        except AuthError as exc:
            PROXIED.labels(service, "401").inc()
            return _problem(start_response, 401, "Unauthorized", exc.reason, request_id, kind="unauthorized",
                            headers=[("WWW-Authenticate", 'Bearer realm="zhibu"')], path=path)
        client = f"sub:{claims['sub']}"
        wait = self.limiter.take(client)
        if wait:
            PROXIED.labels(service, "429").inc()
            return _problem(start_response, 429, "Too Many Requests",
                            f"slow down: at most {self.settings.rate_per_second:g} requests a second",
                            request_id, kind="rate-limited", headers=[("Retry-After", str(max(1, int(wait + 0.999))))],
                            path=path)
        headers = {"X-Request-Id": request_id}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
                if name.lower() not in HOP_BY_HOP and name != "X-Request-Id":
                    headers[name] = value
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        remote = environ.get("REMOTE_ADDR", "")
        forwarded = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {remote}" if forwarded else remote
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        target = path + (("?" + environ["QUERY_STRING"]) if environ.get("QUERY_STRING") else "")
        started = time.perf_counter()
        try:
            upstream_resp = self.upstreams.request(service, environ["REQUEST_METHOD"], target, body, headers)
        except UpstreamError as exc:
            PROXIED.labels(service, "502").inc()
            log.warning("upstream %s failed: %s", service, exc)
            return _problem(start_response, 502, "Bad Gateway", f"the {service} service did not answer",
                            request_id, path=path)
        UPSTREAM_LATENCY.labels(service).observe(time.perf_counter() - started)
        PROXIED.labels(service, str(upstream_resp.status)).inc()
        out_headers = [(k, v) for k, v in upstream_resp.getheaders() if k.lower() not in HOP_BY_HOP
                       and k.lower() != "x-request-id"]
        out_headers.append(("X-Request-Id", request_id))
        status = f"{upstream_resp.status} {upstream_resp.reason or ''}".strip()
        if upstream_resp.length is not None and upstream_resp.length <= 1 << 20:
            data = upstream_resp.read()
            self.upstreams.done(service, upstream_resp)
            out_headers.append(("Content-Length", str(len(data))))
            start_response(status, out_headers)
            return [data]
        if upstream_resp.length is not None:
            out_headers.append(("Content-Length", str(upstream_resp.length)))
        start_response(status, out_headers)
        return _Streamed(self.upstreams, service, upstream_resp)

    # ------------------------------------------------------------------ health
    def readyz(self, start_response, request_id: str):
        def check(item):
            service, url = item
            try:
                resp = self.pool.request("GET", url + "/readyz", timeout=urllib3.Timeout(total=3.0))
                return service, {"ok": resp.status == 200, "status": resp.status}
            except urllib3.exceptions.HTTPError as exc:
                return service, {"ok": False, "error": type(exc).__name__}

        with ThreadPoolExecutor(max_workers=len(self.settings.upstreams)) as pool:
            services = dict(pool.map(check, self.settings.upstreams.items()))
        ok = all(s["ok"] for s in services.values())
        return _json(start_response, "200 OK" if ok else "503 Service Unavailable",
                     {"status": "ready" if ok else "unavailable", "services": services}, request_id)

    # ------------------------------------------------------------------ documentation
    def openapi(self) -> dict:
        with self._openapi_lock:
            if self._openapi and time.monotonic() - self._openapi[0] < 60:
                return self._openapi[1]
            documents = {}
            for service, url in self.settings.upstreams.items():
                resp = self.pool.request("GET", f"{url}/api/{service}/openapi.json",
                                         timeout=urllib3.Timeout(total=5.0))
                if resp.status != 200:
                    raise RuntimeError(f"{service} answered {resp.status} for its API document")
                documents[service] = json.loads(resp.data)
            merged = merge_documents(documents)
            self._openapi = (time.monotonic(), merged)
            return merged

    def static(self, start_response, name: str, request_id: str):
        target = (SWAGGER_DIST / name).resolve()
        if target.parent != SWAGGER_DIST or not target.is_file():
            return _problem(start_response, 404, "Not Found", "no such asset", request_id)
        data = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data))),
                                  ("Cache-Control", "public, max-age=86400")])
        return [data]

    # ------------------------------------------------------------------ tokens for registered platforms
    def issue_token(self, environ, start_response, request_id: str):
        if environ.get("REQUEST_METHOD") != "POST":
            return _problem(start_response, 405, "Method Not Allowed", "POST client_id and client_secret",
                            request_id, headers=[("Allow", "POST")], path="/auth/token")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(min(length, 65536)) if length else b""
        try:
            form = json.loads(raw or b"{}")
            if not isinstance(form, dict):
                raise ValueError
        except ValueError:
            return _problem(start_response, 422, "Unprocessable Content",
                            "send JSON {\"client_id\": ..., \"client_secret\": ...}", request_id,
                            kind="validation", path="/auth/token")
        wait = self.limiter.take(f"auth:{environ.get('REMOTE_ADDR', '')}")
        if wait:
            return _problem(start_response, 429, "Too Many Requests", "too many token requests", request_id,
                            kind="rate-limited", headers=[("Retry-After", str(max(1, int(wait + 0.999))))])
        issued = self.clients.issue(self.config, str(form.get("client_id", "")), str(form.get("client_secret", "")))
        if issued is None:
            return _problem(start_response, 401, "Unauthorized", "unknown client or wrong secret", request_id,
                            kind="unauthorized", path="/auth/token")
        return _json(start_response, "200 OK", issued, request_id, headers=[("Cache-Control", "no-store")])


class _Streamed:
    """A large (or unsized) upstream body, passed on in chunks; the connection is kept for reuse after it."""

    def __init__(self, upstreams, service: str, resp):
        self.upstreams = upstreams
        self.service = service
        self.resp = resp

    def __iter__(self):
        while True:
            chunk = self.resp.read(65536)
            if not chunk:
                return
            yield chunk

    def close(self):
        if not self.resp.isclosed():
            self.resp.close()
            self.upstreams._drop(self.service)
        else:
            self.upstreams.done(self.service, self.resp)


def create_app() -> Gateway:
    return Gateway()
