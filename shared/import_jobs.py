"""Every import's view, the same way: synchronous, marked where it is wrong, or run as a job.

A service's import view parses its query (``shared.imports.ImportQuery`` and its own arguments) and calls::

    return import_answer(args, SPEC, lambda: imports.import_units(request, args), out=ImportOut, kind="units")

``import_answer`` decides how the import runs:

- **synchronously** (a small file): the service's function reads the body, writes in the request's one
  transaction and answers 201 (200 for ``?dry_run=true``) or 422 with the whole report;
- **marked** (``?errors=xlsx``): when the import answers 422 with a report, the answer is instead the file as
  sent, as XLSX, every bad cell filled red with its message and a column ``导入错误说明`` of each row's
  messages (``shared.import_files.marked_workbook``): the official corrects it in Excel and sends it back;
- **as a job** (``?async=true``, or a body of at least ``ZHIBU_IMPORT_ASYNC_BYTES``, 16 MiB by default, unless
  ``?async=false``): the body is copied to a file on the web process's disk, a row of ``import_jobs`` is
  written, and the answer is ``202 Accepted`` with ``Location: /api/<service>/v1/imports/jobs/<id>``. The
  import runs in a background thread of the web process that took the file (the file is on its disk, and the
  import's transaction is the same as the synchronous one's: all or nothing); any process of the service
  answers the poll from the database: status (queued, running, succeeded, failed), rows done, rows total,
  errors so far, and at the end the answer the synchronous import would have given (``result`` with
  ``result_status``: 201, 200 or 422 with the report).

The running thread writes a heartbeat with its progress every ``ZHIBU_IMPORT_JOB_HEARTBEAT_SECONDS`` (2 s);
when its process dies (killed, restarted, out of memory) the heartbeat stops, the import's transaction dies
with the process's connection (nothing of it is written), and the first poll after
``ZHIBU_IMPORT_JOB_LEASE_SECONDS`` (60 s) without a heartbeat marks the job failed, with a message to send the
file again: a job never stays "running" for ever.
"""
from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from datetime import timedelta

from flask import Response, current_app, g, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import update

from .context import principal_var
from .db import utcnow
from .errors import Problem, not_found, problem_body
from .import_files import TEMPLATE_FORMATS, marked_response, marked_workbook, template_response
from .imports import ImportCheckOut, ImportSpec, ReportEntry, count_rows, declared_encoding, format_of
from .messages import msg
from .parsing import Blueprint
from .request import current_kit, current_principal, db_session

log = logging.getLogger("zhibu.imports")

ACTIVE = ("queued", "running")
#: the errors a job's progress shows while it runs (the final report has them all, as the import's)
PROGRESS_ERRORS = 100


class ActiveImport:
    """What the kit hands the service's import function through ``g.zhibu_import``: the body to read
    (``stream``: a copy on disk or in memory, None for the request's own stream); the function's
    ``shared.imports.Upload`` registers itself (``upload``) so the kit sees its report as it grows."""

    def __init__(self, stream=None):
        self.stream = stream
        self.upload = None

    @property
    def rows_done(self) -> int:
        return self.upload.report.total if self.upload is not None else 0

    def errors(self) -> tuple[int, list]:
        if self.upload is None:
            return 0, []
        report = self.upload.report
        return len(report.errors), [report.entry(e) for e in report.errors[:PROGRESS_ERRORS]]


# ----------------------------------------------------------------------------------------------- the view

def import_answer(args: dict, spec: ImportSpec, run, *, out: type[Schema], kind: str):
    """Run an import as the request asks (see the module): ``run()`` is the service's import function over
    the request; ``out`` its answer's schema (for a job's result); ``kind`` names the import in ``import_jobs``."""
    config = current_kit().config
    wanted = args.get("async_")
    size = request.content_length
    if wanted or (wanted is None and size is not None and size >= config.import_async_bytes):
        return start_job(args, run, out=out, kind=kind)
    marking = args.get("errors") == "xlsx"
    active = ActiveImport(body_copy() if marking or request.headers.get("Idempotency-Key") else None)
    g.zhibu_import = active
    try:
        result = run()
    except Problem as exc:
        if marking and exc.kind == "import-errors" and active.upload is not None and "report" in exc.extra:
            body = marked_workbook(spec, active.stream, active.upload, active.upload.report)
            return marked_response(body, exc.extra["report"])
        raise
    return _checked(result) if _is_check(result) else result


def body_copy():
    """A seekable copy of the request's body: the one already read (an Idempotency-Key hashes it), or the
    stream spooled to disk beyond 32 MiB."""
    if request.headers.get("Idempotency-Key"):
        return io.BytesIO(request.get_data())
    copy = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    shutil.copyfileobj(request.stream, copy, 1 << 20)
    copy.seek(0)
    return copy


def _is_check(result) -> bool:
    return isinstance(result, dict) and result.get("dry_run") is True


def _checked(report: dict) -> Response:
    return Response(json.dumps(ImportCheckOut().dump(report), ensure_ascii=False), 200, mimetype="application/json")


# ----------------------------------------------------------------------------------------------- jobs

def start_job(args: dict, run, *, out: type[Schema], kind: str) -> Response:
    """Copy the body to disk, record the job, start its thread; 202 with Location."""
    kit, principal = current_kit(), current_principal()
    Job = kit.models.ImportJob
    fmt = format_of(request.content_type)
    if fmt != "xlsx":
        declared_encoding(request.content_type, args.get("encoding"))   # an unknown one: 422 now, not later
    folder = kit.config.import_spool_dir or None
    if folder:
        os.makedirs(folder, exist_ok=True)
    handle, path = tempfile.mkstemp(prefix="zhibu-import-", dir=folder)
    with os.fdopen(handle, "wb") as copy:
        if request.headers.get("Idempotency-Key"):
            copy.write(request.get_data())
        else:
            shutil.copyfileobj(request.stream, copy, 1 << 20)
        size = copy.tell()
    now = utcnow()
    job = Job(id=str(uuid.uuid4()), kind=kind, status="queued", scope_path=principal.scope_path,
              actor=principal.subject, format=fmt, size_bytes=size, rows_done=0, error_count=0, errors=[],
              runner=f"{socket.gethostname()}:{os.getpid()}", created_at=now, heartbeat_at=now)
    session = db_session()   # committed with the request (its idempotency record too): the thread waits for it
    session.add(job)
    session.flush()
    body = ImportJobOut().dump(job)
    # the body's length in the environ itself: a header alone is dropped by the test request's builder, and the
    # import then took the file for a small one (its rows checked in this process, not the worker processes)
    context = {"path": request.path, "method": "POST", "query_string": request.query_string.decode("latin-1"),
               "headers": {"Content-Type": request.content_type or "", "X-Request-Id": g.get("request_id", "")},
               "environ_overrides": {"CONTENT_LENGTH": str(size)}}
    thread = threading.Thread(target=_run_job, name=f"import-job-{job.id[:8]}", daemon=True,
                              args=(current_app._get_current_object(), job.id, path, context, principal, run, out))
    thread.start()
    response = Response(json.dumps(body, ensure_ascii=False, default=str), 202, mimetype="application/json")
    response.headers["Location"] = f"/api/{kit.name}/v1/imports/jobs/{job.id}"
    return response


def _run_job(app, job_id: str, path: str, context: dict, principal, run, out: type[Schema]) -> None:
    """The job's thread: the service's import function over the file on disk, in a request context of its
    own (the caller's principal), with a heartbeat; the job's end written with the import's commit."""
    try:
        _run_in_context(app, job_id, path, context, principal, run, out)
    except Exception:  # noqa: BLE001 - whatever happened, the job ends failed, not "running" until the lease
        log.exception("import job %s could not run", job_id)
        try:
            with app.app_context():
                _update(current_kit(), job_id, status="failed", result_status=500, finished_at=utcnow(),
                        result=problem_body(500, "Internal Server Error", msg("server-error")))
        except Exception:  # noqa: BLE001 - the database is gone too: the lease fails the job
            log.exception("import job %s could not record its failure", job_id)
        try:
            os.unlink(path)
        except OSError:
            pass


def _run_in_context(app, job_id: str, path: str, context: dict, principal, run, out: type[Schema]) -> None:
    with app.test_request_context(**context):
        kit = current_kit()
        Job = kit.models.ImportJob
        if not _committed(kit, job_id):
            log.warning("import job %s was never recorded (its request failed): not run", job_id)
            os.unlink(path)
            return
        g.principal = principal
        token = principal_var.set(principal)
        stream = open(path, "rb")
        active = g.zhibu_import = ActiveImport(stream)
        beat = Heartbeat(kit, job_id, active)
        try:
            _update(kit, job_id, status="running", started_at=utcnow(), heartbeat_at=utcnow(),
                    rows_total=_rows_total(path, context))
            beat.start()
            try:
                result = run()
                if _is_check(result):
                    answer, status = ImportCheckOut().dump(result), 200
                else:
                    answer, status = out().dump(result), 201
                final = dict(status="succeeded", result_status=status)
            except Problem as exc:
                db_session().rollback()
                answer, status = problem_body(exc.status, exc.title, exc.detail, exc.kind, **exc.extra), exc.status
                final = dict(status="failed", result_status=status)
            except Exception:  # noqa: BLE001 - the job's end is recorded, the error logged
                log.exception("import job %s failed", job_id)
                db_session().rollback()
                answer = problem_body(500, "Internal Server Error", msg("server-error"))
                final = dict(status="failed", result_status=500)
            beat.stop()
            count, errors = active.errors()
            session = db_session()
            session.execute(update(Job).where(Job.id == job_id).values(
                **final, result=json.loads(json.dumps(answer, ensure_ascii=False, default=str)),
                rows_done=active.rows_done, error_count=count, errors=errors, finished_at=utcnow(),
                heartbeat_at=utcnow()))
            session.commit()
        except Exception:  # noqa: BLE001 - the database itself failed: the lease will fail the job
            log.exception("import job %s could not record its end", job_id)
        finally:
            beat.stop()
            session = g.pop("db_session", None)
            if session is not None:
                session.close()
            stream.close()
            principal_var.reset(token)
            try:
                os.unlink(path)
            except OSError:
                pass


def _committed(kit, job_id: str, seconds: float = 60.0) -> bool:
    """Wait for the request that accepted the job to commit its row (the thread starts before the commit)."""
    Job = kit.models.ImportJob
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with kit.db.Session() as session:
                if session.get(Job, job_id) is not None:
                    return True
        except Exception:  # noqa: BLE001 - SQLite busy with the accepting request's write: look again
            pass
        time.sleep(0.05)
    return False


def _rows_total(path: str, context: dict) -> int | None:
    from urllib.parse import parse_qs

    query = parse_qs(context["query_string"])
    try:
        return count_rows(path, format_of(context["headers"]["Content-Type"]), (query.get("sheet") or [None])[0])
    except Exception as exc:  # noqa: BLE001 - the total is a courtesy: the import reports what is wrong
        log.info("rows of %s not counted: %r", path, exc)
        return None


def _update(kit, job_id: str, **values) -> None:
    Job = kit.models.ImportJob
    with kit.db.Session() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE)).values(**values))
        session.commit()


class Heartbeat:
    """Writes the job's progress and the time every few seconds, in short transactions of its own."""

    def __init__(self, kit, job_id: str, active: ActiveImport):
        self.kit = kit
        self.job_id = job_id
        self.active = active
        self.every = kit.config.import_job_heartbeat_seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"import-beat-{job_id[:8]}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join()

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            count, errors = self.active.errors()
            try:
                _update(self.kit, self.job_id, heartbeat_at=utcnow(), rows_done=self.active.rows_done,
                        error_count=count, errors=errors)
            except Exception as exc:  # noqa: BLE001 - SQLite busy with the import's own write: next time
                log.debug("import job %s heartbeat skipped: %s", self.job_id, type(exc).__name__)


def get_job(job_id) -> object:
    """A job in the caller's subtree (else 404); one whose heartbeat stopped longer than the lease ago is
    failed first (its process died: nothing of it was written)."""
    kit = current_kit()
    Job = kit.models.ImportJob
    lease = kit.config.import_job_lease_seconds
    now = utcnow()
    with kit.db.Session() as session:
        lost = session.execute(update(Job).where(
            Job.id == str(job_id), Job.status.in_(ACTIVE), Job.heartbeat_at < now - timedelta(seconds=lease))
            .values(status="failed", result_status=503, finished_at=now,
                    result=problem_body(503, "Service Unavailable", msg("import-job-lost", seconds=int(lease)),
                                        "import-job-lost"))).rowcount
        if lost:
            log.warning("import job %s lost its process (no heartbeat for %s s): failed", job_id, lease)
        session.commit()
    job = db_session().get(Job, str(job_id))
    if job is None or not current_principal().sees(job.scope_path):
        raise not_found("import_job")
    return job


# ----------------------------------------------------------------------------------------------- schemas

class ImportJobOut(Schema):
    """An import running as a job: poll its Location until ``status`` is succeeded or failed."""

    id = fields.String()
    kind = fields.String(metadata={"description": "which import: units, people, dues_payments"})
    status = fields.String(metadata={"description": "queued, running, succeeded or failed"})
    format = fields.String()
    size_bytes = fields.Integer()
    rows_total = fields.Integer(allow_none=True, metadata={
        "description": "the rows the file holds, as counted before the import (lines of a CSV, the sheet's size)"})
    rows_done = fields.Integer(metadata={"description": "the rows read and checked so far"})
    error_count = fields.Integer(metadata={"description": "errors found so far"})
    errors = fields.List(fields.Nested(ReportEntry), metadata={"description": f"the first {PROGRESS_ERRORS} errors"})
    result_status = fields.Integer(allow_none=True, metadata={
        "description": "the status the synchronous import would have answered: 201, 200 (dry run), 422, ..."})
    result = fields.Dict(allow_none=True, metadata={
        "description": "the answer the synchronous import would have given: the import's record, the dry run's "
                       "report, or the problem (422 with the whole report)"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    heartbeat_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class TemplateArgs(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(TEMPLATE_FORMATS), metadata={
        "description": "xlsx (default: drop-down lists, a sheet of rules) or csv (UTF-8 with BOM)"})


def import_jobs_blueprint(service: str) -> Blueprint:
    """``GET /api/<service>/v1/imports/jobs/<id>``: a job's progress and end (a service with imports)."""
    blp = Blueprint("import_jobs", __name__, url_prefix=f"/api/{service}/v1",
                    description="Large imports running as jobs: progress and result")

    @blp.route("/imports/jobs/<uuid:job_id>")
    class ImportJobItem(MethodView):
        @blp.doc(operationId=f"get{service.title()}ImportJob")  # unique in the gateway's merged document
        @blp.response(200, ImportJobOut)
        def get(self, job_id):
            """A large import's progress (rows done of rows total, errors so far) and, once it ended, its
            result: poll the Location the import answered (202) until status is succeeded or failed."""
            return get_job(job_id)

    return blp


def template_route(blp: Blueprint, path: str, spec: ImportSpec, filename: str, operation_id: str) -> None:
    """Register ``GET <path>?format=xlsx|csv`` on ``blp``: the template of ``spec``'s import (see
    ``shared.import_files``). One line per import in a service's api.py."""

    class ImportTemplate(MethodView):
        @blp.doc(operationId=operation_id, responses={200: {
            "description": "the template to fill",
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "contentEncoding": "binary"}},
                "text/csv": {"schema": {"type": "string"}}}}})
        @blp.arguments(TemplateArgs, location="query")
        def get(self, args):
            """The file to fill for this import: Chinese headers, the English field names in the second row,
            an example row, drop-down lists of the enumerated columns and a sheet of rules (XLSX), or the
            three rows as CSV."""
            return template_response(spec, args["format"], filename)

    ImportTemplate.__name__ = f"ImportTemplate{operation_id[0].upper()}{operation_id[1:]}"
    blp.route(path)(ImportTemplate)
