"""``create_service_app``: a service's Flask app, built the same way for every service.

It wires configuration, the database and its request-scoped session (committed
once, after the view succeeds, together with the outbox rows, the audit entries
and the idempotency record), token checks, problem+json errors, JSON logs,
``/healthz``, ``/readyz``, ``/metrics`` and the OpenAPI document.
"""
from __future__ import annotations

import inspect
import logging
import time
from dataclasses import dataclass, field
from types import ModuleType

from datetime import date, datetime

from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import metrics
from .audit_api import audit_blueprint
from .changes import PURGE_JOB as CHANGES_PURGE_JOB
from .changes import changes_blueprint
from .auth import AuthError, Principal, TokenVerifier
from .config import Config
from .consumer import Handlers
from .context import principal_var, request_id_var
from .db import Database
from .errors import (database_failure_response, from_http_exception, problem_response, register_error_handlers,
                     stale_write_response)
from .events import broker_connection
from .idempotency import PURGE_JOB
from .import_jobs import import_jobs_blueprint
from .logs import accepted_request_id, configure_logging
from .messages import msg
from .models import KitModels
from .openapi import ContractPlugin
from .orgview import org_view_handlers, resolve_view_path
from .outbox import BackgroundPublisher, Outbox, Relay

log = logging.getLogger("zhibu.http")

PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics")


@dataclass
class ServiceKit:
    name: str
    config: Config
    db: Database
    models: KitModels
    outbox: Outbox
    verifier: TokenVerifier
    handlers: Handlers
    scope_resolver: object
    relay: Relay
    publisher: BackgroundPublisher | None = None
    jobs: list = field(default_factory=list)  # worker.DailyJob: run by the service's worker process
    worker_threads: list = field(default_factory=list)  # start(app): a service's own loops in its worker
    extras: dict = field(default_factory=dict)


class ZhibuApi(Api):
    """flask-smorest's Api with the kit's problem+json in place of its own error bodies (its public hook:
    ``handle_http_exception``, which it registers for every HTTPException)."""

    def handle_http_exception(self, error):
        return from_http_exception(error)


def create_service_app(name: str, *, config: Config | None, description: str, models: ModuleType, api: ModuleType,
                       handlers: ModuleType, rules: ModuleType, declaring: tuple[ModuleType, ...] = ()) -> Flask:
    """A service's app from its modules, in the service shape every service has:

    - ``models``: ``Base`` (its tables) and ``kit`` (the kit's tables bound to it, ``KitModels``);
    - ``api``: ``BLUEPRINTS``;
    - ``handlers``: ``handlers``, the events it consumes;
    - ``rules``: ``DEFAULTS``, its rule configuration (``ZHIBU_RULES`` overrides it).

    Any of these modules, or one named in ``declaring``, may also declare:

    - ``JOBS``: daily jobs (``shared.worker.DailyJob``) its worker runs;
    - ``WORKER_THREADS``: functions ``start(app)`` its worker calls before it runs (a service's own loops);
    - ``ONE_OF``: ``{body schema: {kind: payload schema}}``, request bodies whose payload depends on their
      ``kind``, published as a ``oneOf`` with a ``kind`` discriminator;
    - ``SCOPE_RESOLVER``: ``(session, unit_id) -> path`` where the service owns the units tree (org); the
      others resolve a scope through their copy of it.
    """
    modules = (models, api, handlers, rules, *declaring)
    config = config or Config.from_env(name)
    configure_logging(name, config.log_level)
    app = _flask_app(name, config, title=f"Zhibu {name}", description=description,
                     rules={**rules.DEFAULTS, **config.rules})
    jobs = [job for module in modules for job in getattr(module, "JOBS", ())]
    scope_resolvers = [module.SCOPE_RESOLVER for module in modules if hasattr(module, "SCOPE_RESOLVER")]
    if len(scope_resolvers) > 1:
        raise ValueError(f"{name}: SCOPE_RESOLVER declared {len(scope_resolvers)} times")
    kit = _service_kit(name, config, models.kit, handlers.handlers, scope_resolvers[0] if scope_resolvers else None,
                       jobs)
    kit.worker_threads = [start for module in modules for start in getattr(module, "WORKER_THREADS", ())]
    kit.handlers.context = app.app_context
    app.extensions["zhibu"] = kit
    app.extensions["zhibu_base"] = models.Base

    smorest = ZhibuApi(app, spec_kwargs={"extra_plugins": [ContractPlugin(app)]})  # the document as the contract
    jobs_api = [import_jobs_blueprint(name)] if models.kit.ImportJob is not None else []
    for blp in [*api.BLUEPRINTS, audit_blueprint(name), changes_blueprint(name), *jobs_api]:
        smorest.register_blueprint(blp)
    for module in modules:
        for body, kinded in getattr(module, "ONE_OF", {}).items():
            _publish_one_of(smorest.spec, body, kinded)
    register_error_handlers(app)
    _install_request_cycle(app, kit)
    _install_probes(app, kit)
    return app


def iso_dates(value):
    """Flask's JSON fallback with dates as ISO 8601 (``2026-03-01``, ``2026-03-01T08:00:00+00:00``): a date
    a view answers outside a schema's field (a rule's figures, say) reads as every other date does."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


def _flask_app(name: str, config: Config, *, title: str, description: str, rules: dict) -> Flask:
    """The Flask app with flask-smorest's settings (OpenAPI 3.1 under ``/api/<name>/openapi.json``)."""
    app = Flask(name)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=f"/api/{name}",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                              "bearerFormat": "JWT"}}},
            "security": [{"bearerAuth": []}],
        },
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
        RULES=rules,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.json.default = iso_dates   # a date anywhere in an answer is ISO 8601, never Flask's HTTP date
    return app


def _service_kit(name: str, config: Config, models: KitModels, handlers: Handlers | None, scope_resolver,
                 jobs: list | None) -> ServiceKit:
    """The service's database, outbox, relay, token verifier, event handlers and daily jobs."""
    db = Database(config.database_url)
    all_handlers = Handlers()
    if models.OrgUnitView is not None:
        all_handlers.include(org_view_handlers(models.OrgUnitView))
    if handlers is not None:
        all_handlers.include(handlers)
    relay = Relay(db, models.OutboxEvent, config)
    kit = ServiceKit(
        name=name, config=config, db=db, models=models, outbox=Outbox(models.OutboxEvent, name),
        verifier=TokenVerifier(config), handlers=all_handlers,
        scope_resolver=scope_resolver or (lambda session, unit_id: resolve_view_path(
            session, models.OrgUnitView, unit_id)),
        relay=relay, jobs=[*(jobs or ()), PURGE_JOB, CHANGES_PURGE_JOB],
    )
    if config.publish_in_web:
        # its own relay, its own channel: in a worker the relay loop sweeps with ``kit.relay`` on another thread
        kit.publisher = BackgroundPublisher(Relay(db, models.OutboxEvent, config))
        db.on_outbox_commit(kit.publisher.notify)
    return kit


def _publish_one_of(spec, body, kinded: dict) -> None:
    """The body schema ``body`` published as one of ``kinded``'s schemas, told apart by ``kind``."""
    for schema in dict.fromkeys(kinded.values()):
        if schema.__name__ not in spec.components.schemas:
            spec.components.schema(schema.__name__, schema=schema)
    refs = {kind: f"#/components/schemas/{schema.__name__}" for kind, schema in kinded.items()}
    spec.components.schemas[body.__name__] = {
        "description": inspect.cleandoc(body.__doc__ or ""),
        "oneOf": [{"$ref": ref} for ref in dict.fromkeys(refs.values())],
        "discriminator": {"propertyName": "kind", "mapping": refs},
    }


def _install_request_cycle(app: Flask, kit: ServiceKit) -> None:
    """Each request: its id, its principal (401 without a valid token), one commit after the view, one
    access line and the metrics, and everything put back at the end."""
    unauthenticated = (*PUBLIC_PATHS, f"/api/{kit.name}/openapi.json")
    app.before_request(lambda: _begin(kit, unauthenticated))
    app.after_request(lambda response: _observe(kit, _commit(response)))
    app.teardown_request(_teardown)


def _begin(kit: ServiceKit, unauthenticated: tuple):
    g.started = time.perf_counter()
    g.request_id = accepted_request_id(request.headers.get("X-Request-Id"))
    g.rid_token = request_id_var.set(g.request_id)
    refused = _refused_input(kit)
    if refused is not None:
        return refused
    if request.path in unauthenticated or not request.path.startswith("/api/"):
        return None
    try:
        principal = kit.verifier.principal(request.headers.get("Authorization"))
    except AuthError as exc:
        return problem_response(401, "Unauthorized", exc.reason, kind="unauthorized",
                                headers={"WWW-Authenticate": 'Bearer realm="zhibu"'})
    if principal.scope is None:
        scope_path = "/"
    else:
        # a short session of its own, which only reads (no SQLite write lock)
        with kit.db.ReadSession() as session:
            scope_path = kit.scope_resolver(session, principal.scope)
    g.principal = Principal(principal.subject, principal.roles, principal.scope, scope_path)
    g.principal_token = principal_var.set(g.principal)
    return None


def _refused_input(kit: ServiceKit) -> Response | None:
    """What no view sees: a NUL in the path (no route holds one: 404) or the query string (422), and a
    body over the service's limit (413; a body without a length stops being read at the limit)."""
    if "\x00" in request.path:
        return problem_response(404, "Not Found", msg("not-found", what="resource"), kind="not-found")
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            return problem_response(422, "Unprocessable Content", msg("invalid-fields"), kind="validation",
                                    errors={"query": {key.replace("\x00", ""): [str(msg("nul-character"))]}})
    limit = kit.config.body_limit(request.method, request.path)
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return problem_response(413, "Content Too Large", msg("request-too-large", limit=limit),
                                kind="too-large")
    return None


def _commit(response: Response) -> Response:
    """The request's one commit: change, events, audit entries and idempotency record, or none of them."""
    session = g.pop("db_session", None)
    if session is None:
        return response
    try:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    except IntegrityError:
        session.rollback()
        response = problem_response(409, "Conflict", "the change conflicts with an existing record",
                                    kind="conflict")
    except StaleDataError:
        session.rollback()
        response = stale_write_response()
    except DataError:
        session.rollback()
        response = problem_response(422, "Unprocessable Content", msg("value-does-not-fit"), kind="validation")
    except Exception as exc:
        session.rollback()
        response = database_failure_response(exc)  # the commit met a deadlock, or a database gone: a 503
        if response is None:
            raise
    finally:
        session.close()
    return response


def _observe(kit: ServiceKit, response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    metrics.REQUESTS.labels(kit.name, request.method, endpoint, str(response.status_code)).inc()
    metrics.LATENCY.labels(kit.name, request.method, endpoint).observe(elapsed)
    if request.path not in PUBLIC_PATHS:
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"method": request.method, "path": request.path, "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 2)})
    return response


def _teardown(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    token = g.pop("principal_token", None)
    if token is not None:
        principal_var.reset(token)
    token = g.pop("rid_token", None)
    if token is not None:
        request_id_var.reset(token)


def _install_probes(app: Flask, kit: ServiceKit) -> None:
    broker_state = {"checked": 0.0, "ok": False, "error": None}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "service": kit.name}

    @app.get("/readyz")
    def readyz():
        checks = {}
        try:
            with kit.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        now = time.monotonic()
        if now - broker_state["checked"] > 5:
            try:
                with broker_connection(kit.config) as conn:
                    conn.ensure_connection(max_retries=1, timeout=2)
                broker_state.update(ok=True, error=None)
            except Exception as exc:  # noqa: BLE001
                broker_state.update(ok=False, error=type(exc).__name__)
            broker_state["checked"] = now
        checks["broker"] = {"ok": broker_state["ok"]} | ({"error": broker_state["error"]}
                                                         if broker_state["error"] else {})
        ok = all(c["ok"] for c in checks.values())
        return {"status": "ready" if ok else "unavailable", "service": kit.name, "checks": checks}, (
            200 if ok else 503)

    @app.get("/metrics")
    def metrics_view():
        body, content_type = metrics.render()
        return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)
