"""RFC 9457 problem+json for every error a service or the gateway answers."""
from __future__ import annotations

import json
import logging

from flask import Response, request
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .context import current_request_id
from .db import database_unavailable, transaction_conflict
from .messages import CATALOG, Message, bilingual, msg, translate
from .violations import RuleViolation

log = logging.getLogger("zhibu.errors")

PROBLEM_TYPE = "https://zhibu.example/problems/"


class Problem(Exception):
    """An error the domain raises on purpose: status, title, detail and any extra members."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, kind: str | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra


def not_found(what: str = "resource") -> Problem:
    """Outside the caller's scope and truly absent look the same: 404."""
    return Problem(404, "Not Found", msg("not-found", what=what), kind="not-found")


def invalid(field: str, *messages: str, location: str = "json") -> Problem:
    """422 with one field's errors, in the shape flask-smorest gives schema errors (nothing is written)."""
    return invalid_fields({field: list(messages)}, location)


def invalid_fields(errors: dict, location: str = "json") -> Problem:
    """422 with several fields' errors: ``{"field": ["message", ...]}``."""
    return Problem(422, "Unprocessable Content", msg("invalid-fields"), kind="validation",
                   errors={location: errors})


def problem_body(status: int, title: str, detail: str | Message | None = None, kind: str | None = None,
                 **extra) -> dict:
    body = {
        "type": PROBLEM_TYPE + (kind or str(status)),
        "title": TITLES.get(status, title),
        "status": status,
    }
    if detail and not isinstance(detail, Message):
        detail = translate(str(detail)) or detail   # English raised as it is: the catalog's entry for it
    if isinstance(detail, Message):  # the catalog's message: "中文 / English", and each language on its own
        body["detail"] = str(detail)
        body["detail_zh"] = detail.zh
        body["detail_en"] = detail.en
    elif detail:
        body["detail"] = detail
    try:
        body["instance"] = request.path
    except RuntimeError:
        pass
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    body.update({k: v for k, v in extra.items() if v is not None})
    if isinstance(body.get("errors"), (dict, list)):
        body["errors"] = _bilingual_errors(body["errors"])
    return body


def _leaves(errors):
    if isinstance(errors, dict):
        for value in errors.values():
            yield from _leaves(value)
    elif isinstance(errors, list):
        for value in errors:
            yield from _leaves(value)
    else:
        yield errors


#: one title per status, whoever raised it (werkzeug's "Unprocessable Entity" is RFC 9110's Unprocessable Content)
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def _bilingual_errors(errors):
    """Field errors as flask-smorest shapes them (``{"json": {"name": ["..."]}}``, nested for nested fields):
    each message ``中文 / English`` from the catalog."""
    if isinstance(errors, dict):
        return {key: _bilingual_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_bilingual_errors(value) for value in errors]
    if isinstance(errors, (str, Message)):
        return bilingual(errors)
    return errors


def problem_response(status: int, title: str, detail: str | None = None, *, kind: str | None = None,
                     headers: dict | None = None, **extra) -> Response:
    resp = Response(json.dumps(problem_body(status, title, detail, kind, **extra), ensure_ascii=False,
                               default=str),
                    status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    extra = {}
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        # webargs: {"json": {"field": ["msg"]}, "query": {...}}
        extra["errors"] = messages
        first = next(_leaves(messages), None)
        # a 400 (the body is not JSON, or not sent as JSON) says what is wrong in its detail
        detail = first if status == 400 and isinstance(first, Message) else msg("invalid-fields")
        kind = "bad-request" if status == 400 else "validation"
    elif status == 413:
        detail, kind = msg("request-too-large", limit=_body_limit()), "too-large"
    else:
        detail = exc.description if status != 500 else None
        if detail == type(exc).description and f"http-{status}" in CATALOG:   # werkzeug's own English text
            detail = msg(f"http-{status}")
        kind = None
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem_response(status, exc.name, detail, kind=kind, headers=headers, **extra)


def _body_limit():
    try:
        return request.max_content_length
    except RuntimeError:
        return None


def from_violation(exc: RuleViolation) -> Response:
    first = exc.violations[0]
    return problem_response(
        409, f"Rule {first.code} forbids this", Message(first.code, first.zh, first.en), kind="rule",
        code=first.code, violations=[v.as_dict() for v in exc.violations],
    )


def stale_write_response() -> Response:
    """Another request changed the row between this one's read and its write (the version compared in the
    UPDATE did not match): nothing of this request is kept, as for a stale If-Match."""
    log.info("stale write on %s", request.path)
    return problem_response(412, "Precondition Failed", msg("precondition-failed"), kind="precondition-failed")


def database_failure_response(exc: BaseException) -> Response | None:
    """The 503 for a failure of the service's database that is neither the request's fault nor a bug: its
    transaction rolled back by PostgreSQL for a concurrent one's sake (a deadlock; ``Retry-After: 1``), or the
    database not answering (``Retry-After: 5``). None for any other error."""
    if transaction_conflict(exc):
        log.info("transaction conflict on %s %s: %s", request.method, request.path,
                 type(getattr(exc, "orig", exc)).__name__)
        return problem_response(503, "Service Unavailable", msg("transaction-conflict"), kind="unavailable",
                                headers={"Retry-After": "1"})
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        return problem_response(503, "Service Unavailable", msg("unavailable"), kind="unavailable",
                                headers={"Retry-After": "5"})
    return None


def register_error_handlers(app) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, kind=exc.kind, headers=exc.headers,
                                **exc.extra)

    @app.errorhandler(RuleViolation)
    def _violation(exc: RuleViolation):
        return from_violation(exc)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        log.info("integrity conflict on %s", request.path)
        return problem_response(409, "Conflict", msg("conflict"), kind="conflict")

    @app.errorhandler(DataError)
    def _data(exc: DataError):
        # the database refused a value the schema let through (a bound missing from a schema): nothing written
        log.warning("database refused a value on %s %s: %s", request.method, request.path,
                    str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
        return problem_response(422, "Unprocessable Content", msg("value-does-not-fit"), kind="validation")

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError):
        return stale_write_response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return from_http_exception(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        response = database_failure_response(exc)
        if response is not None:
            return response
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "Internal Server Error", msg("server-error"))
