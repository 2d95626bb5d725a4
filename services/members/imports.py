"""Bulk import of people from an existing platform (CSV with a header row, or NDJSON).

Every row is checked as a registration by the API is (``registration.registration_errors``: the ID
number's check digit, birth date and gender, the stage dates in order, 18 on the application date)
and its unit must exist in the caller's subtree. The report names the line and the field of each
error. Nothing is written when any row fails: the rows go out in batches inside the request's one
transaction (COPY on PostgreSQL), which rolls back. A person whose ID number (by its keyed hash) is
already registered is left as it is, so importing the same file again changes nothing.
"""
from __future__ import annotations

import operator
import uuid
from datetime import date, datetime, timezone

from sqlalchemy import or_, select

from shared import dates
from shared.app import audit, current_principal, db_session
from shared.errors import Problem
from shared.http import paginate, subtree_path, under_clause
from shared.imports import ImportReport, body_stream, format_of, read_records
from shared.pii import valid_id_number

from shared import bulk
from .deadlines import KINDS
from .models import Deadline, ImportRun, OrgUnitView, Person, kit
from .people import cipher, config
from .registration import STAGE_DATES, age_violation, columns, opening_deadlines, registration_errors
from .schemas import BAD_ID, CLASSIFICATIONS, PHONE_RE

BATCH = 5000
STAGES = {"applicant": "applicant", "activist": "activist", "target": "target", "probationary": "probationary",
          "full": "full", "入党申请人": "applicant", "入党积极分子": "activist", "发展对象": "target",
          "预备党员": "probationary", "正式党员": "full"}
GENDERS = {"male": "male", "female": "female", "男": "male", "女": "female"}
CLASSES = {**{c: c for c in CLASSIFICATIONS}, "在职": "in_work", "离退休": "retired", "流动": "mobile"}
TEXTS = {"name": 100, "ethnicity": 40, "education": 40, "occupation": 100, "party_group": 100}

PEOPLE_COLUMNS = ("id", "unit_id", "org_path", "name", "gender", "ethnicity", "birth_date", "id_number_enc",
                  "id_number_hash", "id_number_masked", "phone_enc", "phone_masked", "education", "occupation",
                  "party_group", "stage", "status", "classification", "reached_step", "extensions", "version",
                  *STAGE_DATES, "probation_ends_on", "import_id", "created_at", "updated_at")
PEOPLE_ROW = operator.itemgetter(*PEOPLE_COLUMNS)
DEADLINE_COLUMNS = ("person_id", "org_path", "kind", "code", "opened_on", "due_on", "breached")


def parse(raw: dict) -> tuple[dict, list[tuple[str, str]]]:
    """One record's values, typed, and the field errors found on the way."""
    v: dict = {}
    errors: list[tuple[str, str]] = []
    id_number = raw.get("id_number")
    if id_number is None or id_number == "":
        errors.append(("id_number", "required"))
    else:
        id_number = str(id_number).strip().upper()
        if valid_id_number(id_number):
            v["id_number"] = id_number
        else:
            errors.append(("id_number", BAD_ID))
    for name, most in TEXTS.items():
        value = raw.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > most:
            errors.append((name, f"text of at most {most} characters"))
        else:
            v[name] = value
    if "name" not in v and not any(e[0] == "name" for e in errors):
        errors.append(("name", "required"))
    for name, table in (("gender", GENDERS), ("stage", STAGES), ("classification", CLASSES)):
        value = raw.get(name)
        if value is None or value == "":
            continue
        if value not in table:
            errors.append((name, f"one of: {', '.join(k for k in table if k.isascii())}"))
        else:
            v[name] = table[value]
    if "stage" not in v and not any(e[0] == "stage" for e in errors):
        errors.append(("stage", "required"))
    if "gender" not in v and "id_number" in v:
        v["gender"] = "male" if int(v["id_number"][16]) % 2 else "female"
    for name in ("birth_date", *STAGE_DATES):
        value = raw.get(name)
        if value is None or value == "":
            continue
        try:
            v[name] = date.fromisoformat(value)
        except (TypeError, ValueError):
            errors.append((name, "a date as YYYY-MM-DD"))
    phone = raw.get("phone")
    if phone:
        phone = str(phone).strip()
        if PHONE_RE.match(phone):
            v["phone"] = phone
        else:
            errors.append(("phone", "not a phone number"))
    reached = raw.get("reached_step")
    if reached not in (None, ""):
        try:
            v["reached_step"] = int(reached)
        except (TypeError, ValueError):
            errors.append(("reached_step", "a whole number from 0 to 25"))
    unit_id, unit_code = raw.get("unit_id"), raw.get("unit_code")
    if unit_id:
        v["unit_ref"] = ("id", str(unit_id).strip())
    elif unit_code:
        v["unit_ref"] = ("code", str(unit_code).strip())
    else:
        errors.append(("unit_id", "unit_id or unit_code is required"))
    return v, errors


class Importer:
    """Checks rows as they stream in; a background writer writes them set-wise, a batch at a time, while the
    next batch is being checked (the request's session is the writer's alone until ``finish``)."""

    def __init__(self, fmt: str):
        self.session = db_session()
        self.principal = current_principal()
        self.cfg = config()
        self.today = dates.today()
        self.pii = cipher()
        self.fmt = fmt
        self.report = ImportReport()
        self.run_id = str(uuid.uuid4())
        self.now = datetime.now(timezone.utc)
        self.units: dict[tuple[str, str], OrgUnitView | None] = {}
        self.seen: dict[str, int] = {}
        self.pending: list[tuple[int, dict, dict]] = []
        self.created = self.existing = 0
        self.ids: list[str] = []
        self.optimistic = True
        self.session.flush()
        self.writer = bulk.BackgroundWriter(self._write)

    def add(self, line: int, raw: dict) -> None:
        """Check one row (no database needed) and prepare its people row: PII encrypted, masked, hashed."""
        v, errors = parse(raw)
        if not errors:
            errors = registration_errors(v, self.today, self.cfg)
        if not errors:
            violation = age_violation(v, self.cfg)
            if violation:
                first = next(name for name in STAGE_DATES if v.get(name))
                errors = [(first, f"{violation.code}: {violation.en}")]
        if not errors:
            v["_hash"] = self.pii.keyed_hash(v["id_number"])
            if v["_hash"] in self.seen:
                errors = [("id_number", f"the same ID number as line {self.seen[v['_hash']]}")]
            else:
                self.seen[v["_hash"]] = line
        if errors:
            for name, message in errors:
                self.report.add(line, name, message)
            return
        row = None
        if not self.report.errors:  # once a row failed nothing will be written: only the checks go on
            if not self.ids:
                self.ids = bulk.new_ids(BATCH)
            row = columns(v, self.pii, self.cfg)
            row.update(id=self.ids.pop(), import_id=self.run_id, created_at=self.now, updated_at=self.now)
        self.pending.append((line, v["unit_ref"], row))
        if len(self.pending) >= BATCH:
            self.writer.put(self.pending)
            self.pending = []

    def _resolve_units(self, refs: set) -> None:
        wanted = refs - set(self.units)
        if not wanted:
            return
        ids = [ref for kind, ref in wanted if kind == "id"]
        codes = [ref for kind, ref in wanted if kind == "code"]
        found = self.session.scalars(select(OrgUnitView).where(
            or_(OrgUnitView.id.in_(ids), OrgUnitView.code.in_(codes)))).all()
        for unit in found:
            self.units[("id", unit.id)] = unit
            self.units[("code", unit.code)] = unit
        for ref in wanted:
            self.units.setdefault(ref, None)

    def _write(self, batch: list[tuple[int, tuple, dict]]) -> None:
        """In the writer: check the batch's units (one query), skip the people already registered, then COPY the
        people, their running deadlines and their ``members.person.created`` events."""
        self._resolve_units({ref for _, ref, _ in batch})
        ready = []
        for line, ref, row in batch:
            unit = self.units[ref]
            if unit is None or not self.principal.sees(unit.path):
                self.report.add(line, "unit_id" if ref[0] == "id" else "unit_code", "no such unit in your scope")
            elif unit.status != "active":
                self.report.add(line, "unit_id" if ref[0] == "id" else "unit_code", "the unit is dissolved")
            else:
                ready.append((row, unit))
        if self.report.errors:
            return
        if self.optimistic:
            # a first import meets nobody already registered: write at once, and only when the unique index
            # says otherwise go back (to the savepoint) and look each batch up from then on
            try:
                with self.session.begin_nested():
                    self._copy(ready, set())
                return
            except Exception as exc:  # noqa: BLE001 - only a unique violation is expected here
                if not bulk.unique_violation(exc):
                    raise
                self.optimistic = False
        self._copy(ready, bulk.existing(self.session, Person.id_number_hash,
                                        [row["id_number_hash"] for row, _ in ready]))

    def _copy(self, ready: list, known: set) -> None:
        people, due, events = [], [], bulk.EventBatch("members.person.created")
        existing = 0
        for row, unit in ready:
            if row["id_number_hash"] in known:
                existing += 1
                continue
            row["unit_id"], row["org_path"] = unit.id, unit.path
            people.append(PEOPLE_ROW(row))
            for kind, opened_on, due_on in opening_deadlines(row, self.today, self.cfg):
                due.append((row["id"], unit.path, kind, KINDS[kind][0], opened_on, due_on, False))
            events.add({"id": row["id"], "unit_id": unit.id, "name": row["name"], "stage": row["stage"],
                        "status": "active", "full_member_since": row["full_member_since"],
                        "probationary_since": row["probationary_since"], "classification": row["classification"],
                        "person_version": 1}, unit.path)
        bulk.copy_rows(self.session, Person.__table__, PEOPLE_COLUMNS, people)
        bulk.copy_rows(self.session, Deadline.__table__, DEADLINE_COLUMNS, due)
        bulk.write_events(self.session, kit.OutboxEvent, events)
        self.created += len(people)
        self.existing += existing

    def abandon(self) -> None:
        """Stop the writer without writing more (the request fails and its transaction rolls back)."""
        self.pending = []
        self.report.add(0, "*", "the import was abandoned")
        try:
            self.writer.close()
        except BaseException:  # noqa: BLE001 - the original error is the one reported
            pass

    def finish(self) -> ImportRun:
        if self.pending:
            self.writer.put(self.pending)
            self.pending = []
        self.writer.close()
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


def run(request) -> ImportRun:
    """Import the request's body; 422 with the line-and-field report when any row fails."""
    fmt = format_of(request.content_type)
    importer = Importer(fmt)
    try:
        for line, raw in read_records(body_stream(request), fmt, importer.report):
            importer.add(line, raw)
    except BaseException as exc:
        importer.abandon()
        if isinstance(exc, UnicodeDecodeError):
            raise Problem(422, "Unprocessable Content", "the file is not UTF-8 text", kind="validation",
                          errors={"body": ["not UTF-8"]}) from None
        raise
    return importer.finish()


def list_runs(args: dict) -> dict:
    principal = current_principal()
    path = subtree_path(principal, None)
    stmt = select(ImportRun).where(under_clause(ImportRun.org_path, path))
    return paginate(db_session(), stmt, [ImportRun.id], cursor=args.get("cursor"), limit=args["limit"])
