"""Test helpers (nameko's spirit: call a handler with an event, or run the real thing).

- ``deliver(producers, consumers)`` moves every unsent outbox event of the
  producing apps into the consuming apps through the same inbox path the worker
  uses, without a broker: fast unit tests of handlers.
- ``token(...)`` mints a token for an app's configuration.
- ``kit_of(app)``: the app's ``ServiceKit`` (its database, models, relay, configuration): the one way a
  test reaches the kit.
"""
from __future__ import annotations

from sqlalchemy import select

from .auth import mint_token
from .consumer import RunFailed, apply_events
from .db import utcnow
from .events import Envelope, stored_envelopes


def kit_of(app):
    """The service's kit behind ``app`` (``create_service_app`` keeps it in ``app.extensions["zhibu"]``)."""
    return app.extensions["zhibu"]


def token(app_or_config, *roles: str, scope: str | None = None, subject: str = "tester", **kwargs) -> str:
    config = kit_of(app_or_config).config if hasattr(app_or_config, "extensions") else app_or_config
    return mint_token(config, subject=subject, roles=list(roles or ("admin",)), scope=scope, **kwargs)


def auth(app_or_config, *roles: str, scope: str | None = None, **kwargs) -> dict:
    return {"Authorization": f"Bearer {token(app_or_config, *roles, scope=scope, **kwargs)}"}


def _unsent(session, Outbox) -> tuple[list, list[Envelope]]:
    """The unsent outbox rows, oldest first, and their envelopes (a packed row's unpacked)."""
    rows = session.scalars(select(Outbox).where(Outbox.sent_at.is_(None)).order_by(Outbox.id)).all()
    return rows, [Envelope.from_dict(e) for r in rows for e in stored_envelopes(r.envelope)]


def pending_events(app) -> list[Envelope]:
    kit = kit_of(app)
    with kit.db.Session() as session:
        return _unsent(session, kit.models.OutboxEvent)[1]


def deliver(producers, consumers) -> int:
    """Apply every unsent event of ``producers`` to each of ``consumers`` as the worker does (in runs of the
    consumer's ``consume_batch``, one transaction each: ``apply_events``); mark them sent. Returns the count.
    A handler's failure is raised as it is."""
    delivered = 0
    for producer in producers:
        kit = kit_of(producer)
        with kit.db.Session() as session:
            rows, envelopes = _unsent(session, kit.models.OutboxEvent)
            for consumer in consumers:
                ckit = kit_of(consumer)
                size = max(1, ckit.config.consume_batch)
                for start in range(0, len(envelopes), size):
                    try:
                        apply_events(ckit.db, ckit.handlers, ckit.models.InboxEvent, envelopes[start:start + size])
                    except RunFailed as failed:
                        raise failed.error
            delivered += len(envelopes)
            for row in rows:
                row.sent_at = utcnow()
            session.commit()
    return delivered


def at_once(app, *calls) -> list:
    """Run each ``call(client)`` in its own thread with its own test client, all released together by a
    barrier: real concurrent requests against the app's database. Returns their responses, in order."""
    import threading

    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)
    failures: list = []

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        try:
            responses[index] = call(client)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return responses


def reminders_on(app, sources, day, rule: str | None = None) -> list[Envelope]:
    """Run the deadline reminders of ``sources`` as of ``day`` (``shared.reminders``, what the daily job
    does); the reminder events it wrote (of ``rule`` only, if given)."""
    from .reminders import send_reminders

    before = {e.id for e in pending_events(app)}
    with app.app_context():
        send_reminders(kit_of(app), sources, app.config["RULES"], day)
    kind = f"{kit_of(app).name}.deadline."
    return [e for e in pending_events(app) if e.id not in before and e.type.startswith(kind)
            and (rule is None or e.data["rule"] == rule)]


def filled_template(template: bytes, rows: list[dict]) -> bytes:
    """An import's XLSX template (``shared.import_files``) as an official fills it in Excel: ``rows`` by Chinese
    header (without the ``*`` of a required one) from row 4, the rows above left as they are."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [cell.value.rstrip("*") for cell in sheet[1]]
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
