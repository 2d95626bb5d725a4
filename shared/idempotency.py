"""Idempotency-Key on creating POSTs: a repeated request gets the first answer and writes nothing.

What a client may rely on (docs/architecture.md, Guarantees):

- the record belongs to the principal that made it (subject, roles and scope together) and to the
  request (method, path, body): another role or another scope with the same key is a new request and
  passes its own role and scope checks; the same key on another request is refused (422);
- duplicates sent at the same time wait for the first to finish and get its answer (on PostgreSQL a
  transaction lock on the key; on SQLite the writer already holds the database);
- the stored answer is encrypted with the PII key (it may hold an ID number or a phone), and is replayed
  for ``idempotency_ttl_hours`` (24 h by default); after that the key may be used afresh.
"""
from __future__ import annotations

import functools
import hashlib
import re
from datetime import time as clock
from datetime import timedelta

from flask import Response, make_response, request
from sqlalchemy import delete

from .request import current_kit, current_principal, db_session, pii_cipher
from .worker import DailyJob
from .db import advisory_lock, utcnow
from .errors import Problem

#: printable ASCII without spaces, as a client's UUID or ULID is
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
#: headers a replay repeats
REPLAYED_HEADERS = ("content-type", "location", "etag")


def owner_of(principal) -> str:
    """The record's owner: subject, roles and scope together, so that a token with the same subject but
    another role or scope never sees this principal's answers."""
    material = "\0".join([principal.subject, ",".join(sorted(principal.roles)), str(principal.scope or "")])
    return hashlib.sha256(material.encode()).hexdigest()


def request_digest() -> str:
    # the query too: the same key sent with another query (?dry_run=, ?async=) is another request
    return hashlib.sha256(request.method.encode() + b"\0" + request.path.encode() + b"\0" + request.query_string
                          + b"\0" + request.get_data()).hexdigest()


def _key_from_header() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise Problem(422, "Unprocessable Content",
                      "Idempotency-Key is 1 to 200 printable ASCII characters without spaces",
                      kind="validation", errors={"headers": {"Idempotency-Key": ["invalid key"]}})
    return key


def _replay(found) -> Response:
    body = pii_cipher().decrypt(found.body)
    replay = Response(body, status=found.status, headers=found.headers)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def idempotent(view):
    """Decorate a creating POST (outermost, above flask-smorest's decorators)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = _key_from_header()
        if key is None:
            return view(*args, **kwargs)
        kit = current_kit()
        Record = kit.models.IdempotencyRecord
        session = db_session()
        owner = owner_of(current_principal())
        digest = request_digest()
        advisory_lock(session, f"idempotency:{owner}:{key}")  # a duplicate sent at once waits for the first
        found = session.get(Record, (owner, key))
        if found is not None and found.created_at < utcnow() - timedelta(hours=kit.config.idempotency_ttl_hours):
            session.delete(found)
            session.flush()
            found = None
        if found is not None:
            if found.request_hash != digest:
                raise Problem(422, "Unprocessable Content",
                              "this Idempotency-Key was used for a different request",
                              kind="idempotency-mismatch")
            return _replay(found)
        response = view(*args, **kwargs)
        if not isinstance(response, Response):
            response = make_response(response)
        if response.status_code < 400:
            headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
            session.add(Record(subject=owner, key=key, request_hash=digest, status=response.status_code,
                               body=pii_cipher().encrypt(response.get_data(as_text=True)), headers=headers))
        return response

    wrapper.__zhibu_idempotent__ = True
    return wrapper


def purge_expired(app) -> dict:
    """The daily job (worker): the records older than the replay window are deleted."""
    kit = app.extensions["zhibu"]
    Record = kit.models.IdempotencyRecord
    cutoff = utcnow() - timedelta(hours=kit.config.idempotency_ttl_hours)
    with kit.db.transaction() as session:
        return {"deleted": session.execute(delete(Record).where(Record.created_at < cutoff)).rowcount or 0}


PURGE_JOB = DailyJob("idempotency-purge", clock(3, 40), purge_expired)
