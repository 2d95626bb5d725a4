"""The gateway: ``/api/<service>/...`` to that service, after the token is verified.

A plain WSGI application, kept lean on purpose: the body is passed through
untouched (never re-parsed), upstream connections are pooled and kept alive,
and gunicorn runs it on threaded workers. It adds or keeps ``X-Request-Id`` (a
client's only when it is safe: ``shared.logs.accepted_request_id``),
rate-limits each client (token bucket, shared by every gateway process through
Redis when one is configured: ``limits.py``; 429 with ``Retry-After``), serves one
merged OpenAPI document and its docs page from local assets, and answers
``/healthz``, ``/readyz`` (every service's readiness) and ``/metrics``.

Every error it makes itself is problem+json (``shared.errors.problem_response``,
details from the catalog), never an HTML page: 404, 405, 413 (a body over
``ZHIBU_MAX_REQUEST_BYTES``, or ``ZHIBU_MAX_IMPORT_BYTES`` for ``POST .../imports``),
502 (a service that does not answer), 504 (one slower than the upstream timeout),
500 (the gateway's own failure). A path is forwarded percent-encoded again from
its decoded bytes, so a space, ``%00``, CRLF or bytes that are not UTF-8 reach the
service as the escapes the client sent, never raw. A chunked body is read
(within the limit) and forwarded with its length. Each request writes one JSON
access line (request id, subject, method, path, upstream, status, upstream and
total time in ms) through ``shared.logs``, redacted like every line.
"""
from __future__ import annotations

import http.client
import json
import logging
import mimetypes
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import urllib3
from prometheus_client import Counter, Histogram

from shared import metrics
from shared.auth import AuthError, TokenVerifier
from shared.config import DEFAULT_PORTS, SERVICES, Config, MiB, body_limit
from shared.context import request_id_var
from shared.errors import problem_response
from shared.logs import accepted_request_id, configure_logging
from shared.messages import msg

from .clients import ClientRegistry
from .limits import make_limiter
from .openapi import merge_documents
from .upstream import UpstreamError, Upstreams, UpstreamTimeout

log = logging.getLogger("zhibu.gateway")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length", "expect"}
#: what stays unescaped when a path is percent-encoded again for the service (RFC 3986 pchar and "/")
PATH_SAFE = "/:@!$&'()*+,;=~"
#: the same for a query string, whose escapes (``%``) are the client's and kept as sent
QUERY_SAFE = PATH_SAFE + "?%[]"
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics")
READ_METHODS = ("GET", "HEAD")
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
    #: the largest request body forwarded (413 beyond), and the larger one allowed to ``POST .../imports``
    max_request_bytes: int = 10 * MiB
    max_import_bytes: int = 512 * MiB
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
            max_request_bytes=int(env.get("ZHIBU_MAX_REQUEST_BYTES", str(10 * MiB))),
            max_import_bytes=int(env.get("ZHIBU_MAX_IMPORT_BYTES", str(512 * MiB))),
        )


@dataclass
class Exchange:
    """One request as the access line reports it."""

    request_id: str
    method: str
    path: str  # decoded as UTF-8 (bytes that are not become U+FFFD), for the log and the problem's instance
    started: float
    status: int | None = None
    subject: str | None = None
    upstream: str | None = None
    upstream_ms: float | None = None


def _json(start_response, status: str, payload, request_id: str, headers: list | None = None) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Request-Id", request_id), *(headers or [])])
    return [body]


class BodyTooLarge(Exception):
    pass


class BodyUnreadable(Exception):
    pass


def read_body(environ, limit: int) -> bytes | None:
    """The request body, whole: ``Content-Length`` bytes, or a chunked body to its end (the server has
    removed the chunking). ``BodyTooLarge`` past ``limit``, ``BodyUnreadable`` when it ends early."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.strip():
        try:
            length = int(declared)
        except ValueError:
            raise BodyUnreadable("Content-Length is not a number") from None
        if length < 0:
            raise BodyUnreadable("Content-Length is negative")
        if length > limit:
            raise BodyTooLarge(length)
        if length == 0:
            return None
        expected, ended = length, False
    elif environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        expected, ended = limit + 1, True
    else:
        return None
    parts, size = [], 0
    try:
        while size < expected:
            chunk = stream.read(min(65536, expected - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except Exception as exc:  # noqa: BLE001 - the client broke off or sent bad chunks: its fault, not ours
        raise BodyUnreadable(type(exc).__name__) from exc
    if size > limit:
        raise BodyTooLarge(size)
    if not ended and size < expected:
        raise BodyUnreadable(f"{size} of {expected} bytes")
    body = b"".join(parts)
    return body or None


def _raw_path(environ) -> bytes:
    """PATH_INFO as the bytes the client sent (PEP 3333 hands them over decoded as latin-1)."""
    path = environ.get("PATH_INFO", "")
    try:
        return path.encode("latin-1")
    except UnicodeEncodeError:  # a server that decoded UTF-8 itself
        return path.encode("utf-8", "surrogateescape")


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
        self.tokens = TokenVerifier(self.config, cache_size=self.settings.token_cache_size)
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
        raw_path = _raw_path(environ)
        exchange = Exchange(accepted_request_id(environ.get("HTTP_X_REQUEST_ID")),
                            str(environ.get("REQUEST_METHOD", "GET")), raw_path.decode("utf-8", "replace"),
                            time.perf_counter())

        def answer(status: str, headers, exc_info=None):
            exchange.status = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        token = request_id_var.set(exchange.request_id)
        try:
            try:
                return self.route(environ, answer, exchange, raw_path)
            except Exception:
                if exchange.status is not None:  # the head is out: nothing else can be said
                    raise
                log.exception("unhandled error on %s %s", exchange.method, exchange.path)
                return self.problem(environ, answer, exchange, 500, "Internal Server Error", msg("server-error"))
        finally:
            if exchange.path not in PUBLIC_PATHS:
                self.access_line(exchange)
            request_id_var.reset(token)

    def access_line(self, exchange: Exchange) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        log.info("%s %s %s", exchange.method, exchange.path, exchange.status, extra={
            "method": exchange.method, "path": exchange.path, "status": exchange.status,
            "subject": exchange.subject, "upstream": exchange.upstream, "upstream_ms": exchange.upstream_ms,
            "duration_ms": round((time.perf_counter() - exchange.started) * 1000, 2)})

    def problem(self, environ, start_response, exchange: Exchange, status: int, title: str, detail, *,
                kind: str | None = None, headers: dict | None = None):
        resp = problem_response(status, title, detail, kind=kind, instance=exchange.path,
                                headers={"X-Request-Id": exchange.request_id, **(headers or {})})
        return resp(environ, start_response)

    def route(self, environ, start_response, exchange: Exchange, raw_path: bytes):
        path = exchange.path
        if path.startswith("/api/") and not path.startswith(("/api/docs", "/api/openapi.json")):
            return self.proxy(environ, start_response, exchange, raw_path)
        if path == "/auth/token":
            return self.issue_token(environ, start_response, exchange)
        known = path in (*PUBLIC_PATHS, "/api/openapi.json", "/api/docs", "/api/docs/") or path.startswith(
            "/api/docs/static/")
        if not known:
            return self.problem(environ, start_response, exchange, 404, "Not Found", msg("gateway-no-route"),
                                kind="not-found")
        if exchange.method not in READ_METHODS:
            return self.problem(environ, start_response, exchange, 405, "Method Not Allowed",
                                msg("gateway-method", allow="GET"), headers={"Allow": ", ".join(READ_METHODS)})
        request_id = exchange.request_id
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
                document = self.openapi()
            except Exception as exc:  # noqa: BLE001
                log.warning("openapi merge failed: %s", exc)
                return self.problem(environ, start_response, exchange, 502, "Bad Gateway",
                                    msg("gateway-openapi-unavailable"), kind="upstream")
            return _json(start_response, "200 OK", document, request_id)
        if path in ("/api/docs", "/api/docs/"):
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(DOCS_PAGE)))])
            return [DOCS_PAGE]
        return self.static(environ, start_response, exchange, path.removeprefix("/api/docs/static/"))

    # ------------------------------------------------------------------ proxying
    def body_limit(self, method: str, path: str) -> int:
        return body_limit(method, path, max_request_bytes=self.settings.max_request_bytes,
                          max_import_bytes=self.settings.max_import_bytes)

    def proxy(self, environ, start_response, exchange: Exchange, raw_path: bytes):
        path = exchange.path
        service = path.split("/", 3)[2]
        if service not in self.settings.upstreams:
            return self.problem(environ, start_response, exchange, 404, "Not Found",
                                msg("gateway-no-service", service=service), kind="not-found")
        exchange.upstream = service
        try:
            claims = self.tokens.claims(environ.get("HTTP_AUTHORIZATION"))
        except AuthError as exc:
            PROXIED.labels(service, "401").inc()
            return self.problem(environ, start_response, exchange, 401, "Unauthorized", exc.reason,
                                kind="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="zhibu"'})
        exchange.subject = claims["sub"]
        wait = self.limiter.take(f"sub:{claims['sub']}")
        if wait:
            PROXIED.labels(service, "429").inc()
            return self.problem(environ, start_response, exchange, 429, "Too Many Requests",
                                msg("gateway-rate-limited", rate=f"{self.settings.rate_per_second:g}"),
                                kind="rate-limited", headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        limit = self.body_limit(exchange.method, path)
        try:
            body = read_body(environ, limit)
        except BodyTooLarge:
            PROXIED.labels(service, "413").inc()
            # the rest of the body stays unread: the connection cannot carry another request
            return self.problem(environ, start_response, exchange, 413, "Content Too Large",
                                msg("gateway-too-large", limit=limit), kind="too-large",
                                headers={"Connection": "close"})
        except BodyUnreadable as exc:
            log.info("unreadable request body: %s", exc)
            return self.problem(environ, start_response, exchange, 400, "Bad Request", msg("gateway-bad-body"),
                                kind="bad-request", headers={"Connection": "close"})
        headers = {"X-Request-Id": exchange.request_id}
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
        target = quote(raw_path, safe=PATH_SAFE)
        query = environ.get("QUERY_STRING")
        if query:
            target += "?" + quote(query.encode("latin-1", "replace"), safe=QUERY_SAFE)
        started = time.perf_counter()
        try:
            upstream_resp = self.upstreams.request(service, exchange.method, target, body, headers)
            small = upstream_resp.length is not None and upstream_resp.length <= MiB
            data = upstream_resp.read() if small else None
        except (UpstreamError, OSError, http.client.HTTPException) as exc:
            self.upstreams._drop(service)
            timed_out = isinstance(exc, (UpstreamTimeout, TimeoutError))
            status = 504 if timed_out else 502
            exchange.upstream_ms = round((time.perf_counter() - started) * 1000, 2)
            PROXIED.labels(service, str(status)).inc()
            log.warning("upstream %s failed: %s", service, type(exc).__name__ if not str(exc) else exc)
            if timed_out:
                return self.problem(environ, start_response, exchange, 504, "Gateway Timeout",
                                    msg("gateway-upstream-timeout", service=service,
                                        seconds=f"{self.settings.upstream_timeout:g}"), kind="upstream-timeout")
            return self.problem(environ, start_response, exchange, 502, "Bad Gateway",
                                msg("gateway-upstream-failed", service=service), kind="upstream")
        elapsed = time.perf_counter() - started
        exchange.upstream_ms = round(elapsed * 1000, 2)
        UPSTREAM_LATENCY.labels(service).observe(elapsed)
        PROXIED.labels(service, str(upstream_resp.status)).inc()
        out_headers = [(k, v) for k, v in upstream_resp.getheaders() if k.lower() not in HOP_BY_HOP
                       and k.lower() != "x-request-id"]
        out_headers.append(("X-Request-Id", exchange.request_id))
        status = f"{upstream_resp.status} {upstream_resp.reason or ''}".strip()
        if small:
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

    def static(self, environ, start_response, exchange: Exchange, name: str):
        try:
            target = (SWAGGER_DIST / name).resolve()
            found = target.parent == SWAGGER_DIST and target.is_file()
        except (OSError, ValueError):  # a NUL byte, a name too long
            found = False
        if not found:
            return self.problem(environ, start_response, exchange, 404, "Not Found", msg("gateway-no-asset"),
                                kind="not-found")
        data = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data))),
                                  ("Cache-Control", "public, max-age=86400")])
        return [data]

    # ------------------------------------------------------------------ tokens for registered platforms
    def issue_token(self, environ, start_response, exchange: Exchange):
        if exchange.method != "POST":
            return self.problem(environ, start_response, exchange, 405, "Method Not Allowed",
                                msg("gateway-method", allow="POST"), headers={"Allow": "POST"})
        try:
            raw = read_body(environ, 65536)
        except BodyTooLarge:
            return self.problem(environ, start_response, exchange, 413, "Content Too Large",
                                msg("gateway-too-large", limit=65536), kind="too-large",
                                headers={"Connection": "close"})
        except BodyUnreadable:
            return self.problem(environ, start_response, exchange, 400, "Bad Request", msg("gateway-bad-body"),
                                kind="bad-request", headers={"Connection": "close"})
        try:
            form = json.loads(raw or b"{}")
            if not isinstance(form, dict):
                raise ValueError
        except (ValueError, RecursionError):
            return self.problem(environ, start_response, exchange, 422, "Unprocessable Content",
                                msg("gateway-token-request"), kind="validation")
        wait = self.limiter.take(f"auth:{environ.get('REMOTE_ADDR', '')}")
        if wait:
            return self.problem(environ, start_response, exchange, 429, "Too Many Requests",
                                msg("gateway-token-rate-limited"), kind="rate-limited",
                                headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        issued = self.clients.issue(self.config, str(form.get("client_id", "")), str(form.get("client_secret", "")))
        if issued is None:
            return self.problem(environ, start_response, exchange, 401, "Unauthorized", msg("gateway-bad-client"),
                                kind="unauthorized")
        exchange.subject = f"client:{form.get('client_id')}"
        return _json(start_response, "200 OK", issued, exchange.request_id, headers=[("Cache-Control", "no-store")])


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
