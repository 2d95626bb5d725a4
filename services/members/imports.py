"""Bulk import of people from an existing platform (CSV with a header row, or NDJSON).

Every row is checked as a registration by the API is (``registration.registration_errors``: the ID
number's check digit, birth date and gender, the stage dates in order, 18 on the application date)
and its unit must exist in the caller's subtree. The report names the line and the field of each
error. Nothing is written when any row fails: the rows go out in batches inside the request's one
transaction (COPY on PostgreSQL), which rolls back. A person whose ID number (by its keyed hash) is
already registered is left as it is, so importing the same file again changes nothing.
"""
from __future__ import annotations

import functools
import operator
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from sqlalchemy import or_, select

from shared import bulk, dates, outbox
from shared.request import audit, current_kit, current_principal, db_session, rule_config
from shared.auth import Principal
from shared.db import make_engine
from shared.errors import Problem
from shared.events import envelope_head
from shared.http import paginate, subtree_path, under_clause
from shared.imports import Block, ImportReport, body_stream, format_of, read_blocks, records_of
from shared.pii import PiiCipher, valid_id_number

from .deadlines import KINDS
from .models import Deadline, ImportRun, OrgUnitView, Person, kit

from .registration import STAGE_DATES, age_violation, columns, opening_deadlines, registration_errors
from .schemas import BAD_ID, CLASSIFICATIONS, PHONE_RE

STAGES = {"applicant": "applicant", "activist": "activist", "target": "target", "probationary": "probationary",
          "full": "full", "入党申请人": "applicant", "入党积极分子": "activist", "发展对象": "target",
          "预备党员": "probationary", "正式党员": "full"}
GENDERS = {"male": "male", "female": "female", "男": "male", "女": "female"}
CLASSES = {**{c: c for c in CLASSIFICATIONS}, "在职": "in_work", "离退休": "retired", "流动": "mobile"}
TEXTS = {"name": 100, "ethnicity": 40, "education": 40, "occupation": 100, "party_group": 100}

#: the columns of the people rows an import writes: those that differ by row, then those all rows share
PEOPLE_VARYING = ("id", "unit_id", "org_path", "name", "gender", "ethnicity", "birth_date", "id_number_enc",
                  "id_number_hash", "id_number_masked", "phone_enc", "phone_masked", "education", "occupation",
                  "party_group", "stage", "classification", "reached_step", *STAGE_DATES, "probation_ends_on")
PEOPLE_SHARED = ("status", "extensions", "version", "import_id", "created_at", "updated_at")
PEOPLE_COLUMNS = PEOPLE_VARYING + PEOPLE_SHARED
PEOPLE_ROW = operator.itemgetter(*PEOPLE_VARYING)
DEADLINE_COLUMNS = ("person_id", "org_path", "kind", "code", "opened_on", "due_on", "breached")


#: the file goes to the worker processes in blocks of about this many bytes (some thousands of rows)
BLOCK_BYTES = 1 << 20
CHOICES = (("gender", GENDERS), ("stage", STAGES), ("classification", CLASSES))
DATES = ("birth_date", *STAGE_DATES)


def parse(raw: dict) -> tuple[dict, list[tuple[str, str]]]:
    """One record's values, typed, and the field errors found on the way. Blank values count as absent and
    text is stripped (a record from a CSV file comes as it was read)."""
    v: dict = {}
    errors: list[tuple[str, str]] = []
    get = raw.get
    id_number = get("id_number")
    id_number = str(id_number).strip().upper() if id_number is not None else ""
    if not id_number:
        errors.append(("id_number", "required"))
    elif valid_id_number(id_number):
        v["id_number"] = id_number
    else:
        errors.append(("id_number", BAD_ID))
    for name, most in TEXTS.items():
        value = get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append((name, f"text of at most {most} characters"))
            continue
        value = value.strip()
        if len(value) > most:
            errors.append((name, f"text of at most {most} characters"))
        elif value:
            v[name] = value
    for name, table in CHOICES:
        value = get(name)
        if value is None or value == "":
            continue
        choice = table.get(value.strip() if isinstance(value, str) else value)
        if choice is None:
            errors.append((name, f"one of: {', '.join(k for k in table if k.isascii())}"))
        else:
            v[name] = choice
    if "gender" not in v and "id_number" in v:
        v["gender"] = "male" if int(id_number[16]) % 2 else "female"
    for name in DATES:
        value = get(name)
        if value is None or value == "":
            continue
        try:
            v[name] = date.fromisoformat(value.strip())
        except (AttributeError, TypeError, ValueError):
            errors.append((name, "a date as YYYY-MM-DD"))
    phone = get("phone")
    if phone:
        phone = str(phone).strip()
        if PHONE_RE.match(phone):
            v["phone"] = phone
        else:
            errors.append(("phone", "not a phone number"))
    reached = get("reached_step")
    if reached is not None and reached != "":
        try:
            v["reached_step"] = int(reached)
        except (TypeError, ValueError):
            errors.append(("reached_step", "a whole number from 0 to 25"))
    unit_id = get("unit_id")
    unit_id = str(unit_id).strip() if unit_id is not None else ""
    if unit_id:
        v["unit_ref"] = ("id", unit_id)
    else:
        unit_code = get("unit_code")
        unit_code = str(unit_code).strip() if unit_code is not None else ""
        if unit_code:
            v["unit_ref"] = ("code", unit_code)
        else:
            errors.append(("unit_id", "unit_id or unit_code is required"))
    if "name" not in v or "stage" not in v:
        failed = {e[0] for e in errors}
        for name in ("name", "stage"):
            if name not in v and name not in failed:
                errors.append((name, "required"))
    return v, errors


@dataclass(frozen=True)
class Context:
    """What preparing rows needs, as plain data: it travels to the import's worker processes."""

    today: date
    cfg: dict
    pii_key: str
    database_url: str
    copy_lines: bool  # PostgreSQL: rows go back as ready text-COPY lines
    principal: Principal  # whose subtree the units must lie in
    run_id: str
    now: datetime
    event_head: dict
    fmt: str
    header: tuple[str, ...] | None


@dataclass
class Prepared:
    """One block's rows checked and ready to write. ``lines`` and ``hashes`` follow the people prepared, in
    order (a duplicate ID number across blocks is found by the caller)."""

    total: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    people: bytes | list[tuple] = b""
    deadlines: bytes | list[tuple] = b""
    events: list[outbox.Pack] = field(default_factory=list)
    not_utf8: bool = False


def prepare(chunk: tuple[Block, bool], ctx: Context, units: Callable | None = None) -> Prepared:
    """Check a block's rows (as a registration by the API is checked, and their units in scope) and, when
    ``write``, prepare their people rows (PII encrypted, masked, hashed), running deadlines and
    ``members.person.created`` events. Pure but for the unit lookup: it runs in a worker process."""
    block, write = chunk
    report = ImportReport()
    out = Prepared()
    pii = _cipher(ctx.pii_key)
    checked = []
    try:
        for line, raw in records_of(block, ctx.header, ctx.fmt, report, as_read=True):
            v, errors = parse(raw)
            if not errors:
                errors = registration_errors(v, ctx.today, ctx.cfg)
            if not errors:
                violation = age_violation(v, ctx.cfg)
                if violation:
                    first = next(name for name in STAGE_DATES if v.get(name))
                    errors = [(first, f"{violation.code}: {violation.en}")]
            if errors:
                for name, message in errors:
                    report.add(line, name, message)
            else:
                checked.append((line, v))
    except UnicodeDecodeError:
        out.not_utf8 = True
        return out
    found = (units or _worker_units(ctx))({v["unit_ref"] for _, v in checked})
    people, due, events = [], [], outbox.EventBatch("members.person.created", ctx.event_head)
    ids = iter(bulk.new_ids(len(checked)) if write else ())
    for line, v in checked:
        ref = v["unit_ref"]
        unit = found.get(ref)
        field_name = "unit_id" if ref[0] == "id" else "unit_code"
        if unit is None or not ctx.principal.sees(unit[1]):
            report.add(line, field_name, "no such unit in your scope")
            continue
        if unit[2] != "active":
            report.add(line, field_name, "the unit is dissolved")
            continue
        v["_hash"] = pii.keyed_hash(v["id_number"])
        out.lines.append(line)
        out.hashes.append(v["_hash"])
        if not write or report.errors:
            continue
        unit_id, path = unit[0], unit[1]
        row = columns(v, pii, ctx.cfg)
        person_id = next(ids)
        row.update(id=person_id, unit_id=unit_id, org_path=path)
        people.append(PEOPLE_ROW(row))
        for kind, opened_on, due_on in opening_deadlines(row, ctx.today, ctx.cfg):
            due.append((person_id, path, kind, KINDS[kind][0], opened_on, due_on, False))
        events.add({"id": person_id, "unit_id": unit_id, "name": row["name"], "stage": row["stage"],
                    "status": "active", "full_member_since": row["full_member_since"],
                    "probationary_since": row["probationary_since"], "classification": row["classification"],
                    "person_version": 1}, path)
    out.total = report.total
    out.errors = [(e["line"], e["field"], e["message"]) for e in report.errors]
    if not out.errors and write:
        # PEOPLE_SHARED: what ``columns`` gives every new person, and this run's id and time
        shared = ("active", 0, 1, ctx.run_id, ctx.now, ctx.now)
        out.people = bulk.copy_text_lines(people, shared) if ctx.copy_lines else [row + shared for row in people]
        out.deadlines = bulk.copy_text_lines(due) if ctx.copy_lines else due
        out.events = events.packs()
    return out


def unit_lookup(connection) -> Callable:
    """``refs -> {ref: (id, path, status)}`` for ``("id", ...)`` and ``("code", ...)`` references, one query."""
    table = OrgUnitView.__table__

    def lookup(refs: set) -> dict:
        ids = [ref for kind, ref in refs if kind == "id"]
        codes = [ref for kind, ref in refs if kind == "code"]
        found = {}
        if ids or codes:
            for unit_id, code, path, status in connection.execute(
                    select(table.c.id, table.c.code, table.c.path, table.c.status)
                    .where(or_(table.c.id.in_(ids), table.c.code.in_(codes)))):
                found[("id", unit_id)] = found[("code", code)] = (unit_id, path, status)
        return found
    return lookup


_WORKER: dict = {}


def _cipher(key: str):
    if _WORKER.get("pii_key") != key:
        _WORKER.update(pii_key=key, pii=PiiCipher(key))
    return _WORKER["pii"]


def _worker_units(ctx: Context) -> Callable:
    """In a worker process: its own connection to the service's database (the org read-model is only read),
    and what it found kept for the rest of the same import."""
    if _WORKER.get("url") != ctx.database_url:
        if _WORKER.get("engine") is not None:
            _WORKER["engine"].dispose()
        _WORKER.update(url=ctx.database_url, engine=make_engine(ctx.database_url, reader=True), run=None)
    if _WORKER.get("run") != ctx.run_id:
        _WORKER.update(run=ctx.run_id, units={})
    cache = _WORKER["units"]

    def lookup(refs: set) -> dict:
        wanted = refs - cache.keys()
        if wanted:
            with _WORKER["engine"].connect() as connection:
                found = unit_lookup(connection)(wanted)
            for ref in wanted:
                cache[ref] = found.get(ref)
        return {ref: cache[ref] for ref in refs if cache[ref] is not None}
    return lookup


class Importer:
    """Reads the file in blocks; each block's rows are checked and prepared (in worker processes for a large
    file, see ``Config.import_processes``) while this process writes the blocks already prepared, in order,
    with COPY, in the request's one transaction."""

    def __init__(self, fmt: str, body_bytes: int | None):
        kit = current_kit()
        self.session = db_session()
        self.principal = current_principal()
        self.fmt = fmt
        self.report = ImportReport()
        self.run_id = str(uuid.uuid4())
        self.postgres = self.session.get_bind().dialect.name == "postgresql"
        self.base = dict(today=dates.today(), cfg=dict(rule_config()), pii_key=kit.config.pii_key,
                         database_url=kit.config.database_url, copy_lines=self.postgres,
                         principal=self.principal, run_id=self.run_id,
                         now=datetime.now(timezone.utc), event_head=envelope_head("members.person.created"),
                         fmt=fmt)
        parallel = body_bytes is not None and body_bytes >= kit.config.import_parallel_bytes
        self.processes = kit.config.import_processes if parallel else 0
        self.max_rows = kit.config.import_max_rows
        self.pool_idle_seconds = kit.config.import_pool_idle_seconds
        self.pipeline: bulk.Pipeline | None = None
        self.seen: dict[str, int] = {}
        self.created = self.existing = 0
        self.optimistic = True
        self.not_utf8 = False

    def add(self, header, block: Block) -> None:
        if self.pipeline is None:
            ctx = Context(header=tuple(header) if header is not None else None, **self.base)
            self.pipeline = bulk.Pipeline(prepare, ctx, self.processes,
                                          inline=functools.partial(prepare, units=unit_lookup(self.session)),
                                          idle_seconds=self.pool_idle_seconds)
        for prepared in self.pipeline.submit((block, not self.report.errors)):
            self._take(prepared)

    def _take(self, prepared: Prepared) -> None:
        """Merge a block's report; find ID numbers seen earlier in the file; write the block if all is well."""
        self.not_utf8 = self.not_utf8 or prepared.not_utf8
        self.report.total += prepared.total
        if self.report.total > self.max_rows:
            raise Problem(422, "Unprocessable Content",
                          f"the file has more than {self.max_rows:,} rows; import it in parts (a county at a time)",
                          kind="import-too-large", report={"total": self.report.total, "max_rows": self.max_rows})
        for line, name, message in prepared.errors:
            self.report.add(line, name, message)
        seen = self.seen
        for line, key in zip(prepared.lines, prepared.hashes):
            first = seen.setdefault(key, line)
            if first != line:
                self.report.add(line, "id_number", f"the same ID number as line {first}")
        if not self.report.errors and not self.not_utf8:
            self._write(prepared)

    def _write(self, prepared: Prepared) -> None:
        if self.optimistic:
            # a first import meets nobody already registered: write at once, and only when the unique index
            # says otherwise go back (to the savepoint) and look each block up from then on
            try:
                with self.session.begin_nested():
                    self._copy(prepared, set())
                return
            except Exception as exc:  # noqa: BLE001 - only a unique violation is expected here
                if not bulk.unique_violation(exc):
                    raise
                self.optimistic = False
        self._copy(prepared, bulk.existing(self.session, Person.id_number_hash, prepared.hashes))

    def _copy(self, prepared: Prepared, known: set) -> None:
        people, due, events = prepared.people, prepared.deadlines, prepared.events
        count = len(prepared.hashes)
        if known:
            keep = [key not in known for key in prepared.hashes]
            people = _kept(people, keep)
            ids = {row[0] for row in _rows(people)}
            due = _kept(due, [row[0] in ids for row in _rows(due)])
            events = outbox.repack(events, lambda envelope: envelope["data"]["id"] in ids)
        bulk.copy_rows(self.session, Person.__table__, PEOPLE_COLUMNS, people)
        bulk.copy_rows(self.session, Deadline.__table__, DEADLINE_COLUMNS, due)
        outbox.write_packs(self.session, kit.OutboxEvent, "members.person.created", events)
        existing = sum(1 for key in prepared.hashes if key in known)
        self.created += count - existing
        self.existing += existing

    def abandon(self) -> None:
        """Stop the workers' remaining blocks (the request fails and its transaction rolls back)."""
        if self.pipeline is not None:
            self.pipeline.abandon()

    def finish(self) -> ImportRun:
        if self.pipeline is not None:
            for prepared in self.pipeline.finish():
                self._take(prepared)
        if self.not_utf8:
            raise not_utf8_problem()
        if self.report.errors:
            self.report.errors.sort(key=lambda e: e["line"])
            raise Problem(422, "Unprocessable Content",
                          f"{len({e['line'] for e in self.report.errors})} of {self.report.total} rows have errors; "
                          "nothing was imported", kind="import-errors", report=self.report.as_dict())
        if self.report.total == 0:
            raise Problem(422, "Unprocessable Content", "the file has no rows", kind="import-errors",
                          report=self.report.as_dict())
        run = ImportRun(id=self.run_id, org_path=self.principal.scope_path, format=self.fmt, total=self.report.total,
                        created=self.created, existing=self.existing, actor=self.principal.subject)
        self.session.add(run)
        audit("import", run.id, "completed", {"format": self.fmt, "total": run.total, "created": run.created,
                                              "existing": run.existing})
        return run


def not_utf8_problem() -> Problem:
    return Problem(422, "Unprocessable Content", "the file is not UTF-8 text", kind="validation",
                   errors={"body": ["not UTF-8"]})


def _rows(rows: bytes | list[tuple]) -> list:
    """Rows as tuples (text-COPY lines split into their values, as far as the first is needed)."""
    if isinstance(rows, bytes):
        return [line.decode().split("\t", 1) for line in rows.splitlines()]
    return rows


def _kept(rows: bytes | list[tuple], keep: list[bool]):
    if isinstance(rows, bytes):
        return b"".join(line + b"\n" for line, wanted in zip(rows.splitlines(), keep) if wanted)
    return [row for row, wanted in zip(rows, keep) if wanted]


def run(request) -> ImportRun:
    """Import the request's body; 422 with the line-and-field report when any row fails."""
    fmt = format_of(request.content_type)
    importer = Importer(fmt, request.content_length)
    try:
        for header, block in read_blocks(body_stream(request), fmt, BLOCK_BYTES):
            importer.add(header, block)
        return importer.finish()
    except BaseException as exc:
        importer.abandon()  # the blocks still in the worker processes are dropped
        if isinstance(exc, UnicodeDecodeError):
            raise not_utf8_problem() from None
        raise


def list_runs(args: dict) -> dict:
    principal = current_principal()
    path = subtree_path(principal, None)
    stmt = select(ImportRun).where(under_clause(ImportRun.org_path, path))
    return paginate(db_session(), stmt, [ImportRun.id], cursor=args.get("cursor"), limit=args["limit"])
