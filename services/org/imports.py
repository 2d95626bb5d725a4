"""Bulk import of units from an existing platform: CSV (UTF-8 or GBK), NDJSON or XLSX, through the kit's one
import pipeline (``shared.imports``: the encoding, the Chinese or English column names, typed cells, one report).

- idempotent by code: a line whose unit exists with the same fields changes nothing; one whose
  name, domain, external id, establishment date or joint-branch size differ updates the unit;
- a parent is named by its code: a unit already in the tree, or a line earlier in the same file;
- every line is checked (fields, parent, the nesting rule) and the report names the line and the
  field of each error; by default nothing is written when any line fails (``mode=valid_lines``
  writes the lines that pass, and their sub-units);
- set-wise: keys and paths are computed here, the units and their org.unit.created events go in
  with one COPY (ids from one batch of UUIDs, seqs from one array), in the request's transaction.
"""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy import String, any_, bindparam, func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql

from shared.request import audit, current_principal, db_session, emit_many
from shared.bulk import analyze_after, collector_paused, copy_rows, new_ids
from shared.catalog.org import UNIT_KINDS
from shared.db import utcnow
from shared.errors import Problem, not_found
from shared.imports import ImportField, ImportReport, ImportSpec, NotText, Upload, import_failed, text_problem, \
    typed_records
from shared.messages import Message, msg

from . import rules
from .models import ImportRun, Unit
from .schemas import CODE, DOMAINS
from .units import event_data, lock_tree, to_base36

DOMAIN_NAMES_ZH = {"village": "农村", "community": "城市社区", "state_owned_enterprise": "国有企业",
                   "private_enterprise": "非公有制企业", "social_organization": "社会组织",
                   "public_institution": "事业单位", "school": "学校", "hospital": "公立医院",
                   "government_agency": "机关", "other": "其他"}
CODE_PATTERN = CODE.regex.pattern

#: the columns of a units import: English name, Chinese header and aliases, kind of value
SPEC = ImportSpec("unit", (
    ImportField("code", "单位编码", "code", required=True, max_length=64, pattern=CODE_PATTERN,
                hint="import-code-pattern", aliases=("组织编码", "党组织编码", "编码"), example="T-01-B1",
                note_zh="必填，全省唯一；再次导入同一编码即更新该组织", note_en="required, unique in the province; "
                "importing a code again updates its unit"),
    ImportField("name", "单位名称", required=True, max_length=200, aliases=("组织名称", "党组织名称", "名称"),
                example="东村党支部", note_zh="必填", note_en="required"),
    ImportField("kind", "单位类型", "choice", required=True, aliases=("组织类别", "组织类型", "党组织类别"),
                choices=tuple((kind, rules.KIND_NAMES_ZH[kind]) for kind in UNIT_KINDS), example="党支部",
                note_zh="必填", note_en="required"),
    ImportField("parent_code", "上级单位编码", "code", max_length=64, pattern=CODE_PATTERN, hint="import-code-pattern",
                aliases=("上级组织编码", "上级党组织编码", "上级编码"), example="T-01",
                note_zh="已有组织的编码，或文件中前面某行的编码", note_en="a unit already in the tree, or one on an "
                "earlier line"),
    ImportField("domain", "所属领域", "choice", choices=tuple((d, DOMAIN_NAMES_ZH[d]) for d in DOMAINS),
                aliases=("领域", "单位性质"), example="农村"),
    ImportField("external_id", "外部编号", max_length=100, aliases=("原系统编号",), example="dt-2"),
    ImportField("established_on", "成立日期", "date", aliases=("建立日期",), example="2001-07-01"),
    ImportField("covered_units", "覆盖单位数", "integer", low=1, high=10_000, aliases=("联合单位数",),
                note_zh="联合党支部覆盖的单位数", note_en="a joint branch's number of member organizations"),
))

SIMPLE_FIELDS = ("name", "domain", "external_id", "established_on", "covered_units")
CHUNK = 5000


def import_units(request, args: dict, stream=None) -> ImportRun | dict:
    """Import the request's body (``stream``: a copy of it); ``args``: mode, dry_run, encoding, sheet."""
    with collector_paused():  # a province's records, rows and events: millions of objects and no cycles
        return _import_units(request, args, stream)


def _import_units(request, args: dict, stream) -> ImportRun | dict:
    session = db_session()
    principal = current_principal()
    mode, dry_run = args["mode"], args.get("dry_run", False)
    report = ImportReport(SPEC)
    upload = Upload.of_request(request, args, SPEC, report, stream=stream)
    try:
        records = list(typed_records(upload))
    except NotText as exc:
        raise text_problem(exc.key, exc.params) from None
    fmt = upload.fmt
    lock_tree()  # the parents and codes read next stay as read until this import commits
    existing = _existing(session, {r["code"] for _, r in records} | {r["parent_code"] for _, r in records
                                                                     if r.get("parent_code")})
    code_of = {unit.id: unit.code for unit in existing.values()}
    creates: list[dict] = []
    updates: list[tuple] = []
    unchanged = 0
    planned: dict[str, dict] = {}   # code -> the new unit (kind, line) for lines after it
    first_line: dict[str, int] = {}
    failed_codes: dict[str, int] = {}
    for line, record in records:
        code = record["code"]
        error = _check(record, line, principal, existing, code_of, planned, first_line, failed_codes)
        first_line.setdefault(code, line)
        if error:
            field_name, message = error
            report.add(line, field_name, message, record.get(field_name))
            failed_codes.setdefault(code, line)
            continue
        unit = existing.get(code)
        if unit is None:
            planned[code] = {"kind": record["kind"], "line": line}
            creates.append(record)
        else:
            change = {f: record.get(f) for f in SIMPLE_FIELDS if record.get(f) != getattr(unit, f)}
            if change:
                updates.append((unit, change))
            else:
                unchanged += 1
    report.errors.sort(key=lambda e: e["line"])
    if report.errors and (mode == "all_or_nothing" or dry_run):
        raise import_failed(report)
    if report.total == 0:
        raise Problem(422, "Unprocessable Content", msg("import-no-rows"), kind="import-errors",
                      report=report.as_dict())
    if dry_run:
        return {"dry_run": True, "format": fmt, "encoding": upload.encoding, **report.as_dict()}

    created = _insert(session, creates, existing)
    _update(session, updates)
    analyze_after(session, Unit.__table__, len(created) + len(updates))  # the reports plan for the new tree
    run = ImportRun(scope_path=principal.scope_path, actor=principal.subject, format=fmt, mode=mode,
                    total=report.total, created=len(created), updated=len(updates), unchanged=unchanged,
                    error_count=len(report.errors), errors=report.as_dict()["errors"])
    session.add(run)
    session.flush()
    audit("import", run.id, "imported", {"format": fmt, "mode": mode, "total": report.total,
                                         "created": len(created), "updated": len(updates), "unchanged": unchanged,
                                         "errors": len(report.errors)})
    return run


EXISTING_COLUMNS = (Unit.seq, Unit.id, Unit.key, Unit.path, Unit.parent_id, Unit.kind, Unit.domain, Unit.name,
                    Unit.code, Unit.external_id, Unit.established_on, Unit.covered_units, Unit.status, Unit.version)


def _existing(session, codes: set[str]) -> dict:
    """The units already in the tree with these codes (plain rows: a re-import reads a province's worth)."""
    found = {}
    codes = sorted(codes)
    postgres = session.get_bind().dialect.name == "postgresql"
    for i in range(0, len(codes), CHUNK):
        chunk = codes[i:i + CHUNK]
        # PostgreSQL: one array parameter, probed through the unique index (a long IN list of
        # parameters is compared row by row instead)
        where = (Unit.code == any_(bindparam("codes", chunk, type_=postgresql.ARRAY(String)))) if postgres \
            else Unit.code.in_(chunk)
        for row in session.execute(select(*EXISTING_COLUMNS).where(where)):
            found[row.code] = row
    return found


def _check(record: dict, line: int, principal, existing: dict, code_of: dict, planned: dict, first_line: dict,
           failed_codes: dict) -> tuple[str, Message] | None:
    """The first thing wrong with a line that passed its field checks, as (field, message)."""
    code = record["code"]
    if code in first_line:
        return "code", msg("import-code-again", first=first_line[code])
    parent_code = record.get("parent_code")
    parent_kind = None
    if parent_code:
        if parent_code in failed_codes:
            return "parent_code", msg("import-parent-failed", line=failed_codes[parent_code])
        if parent_code in planned:
            parent_kind = planned[parent_code]["kind"]
        elif parent_code in existing and principal.sees(existing[parent_code].path):
            parent = existing[parent_code]
            if parent.status != "active":
                return "parent_code", msg("import-parent-dissolved")
            parent_kind = parent.kind
        else:
            return "parent_code", msg("import-parent-unknown")
    elif not principal.province_wide:
        return "parent_code", msg("import-root-needs-province")
    violation = rules.unit_nesting(record["kind"], parent_kind)
    if violation:
        return "kind", msg("import-rule", code=violation.code, zh=violation.zh, en=violation.en)
    unit = existing.get(code)
    if unit is not None:
        if not principal.sees(unit.path):
            return "code", msg("import-code-taken")
        if unit.status != "active":
            return "code", msg("import-unit-dissolved")
        if unit.kind != record["kind"]:
            return "kind", msg("import-unit-kind-differs", kind=unit.kind, kind_zh=rules.KIND_NAMES_ZH.get(unit.kind, unit.kind),
                               id=unit.id)
        parent_now = _parent_code(unit, code_of)
        if parent_now != parent_code:
            return "parent_code", msg("import-unit-elsewhere", id=unit.id)
    return None


def _parent_code(unit, code_of: dict) -> str | None:
    if unit.parent_id is None:
        return None
    if unit.parent_id not in code_of:
        code_of[unit.parent_id] = db_session().scalar(select(Unit.code).where(Unit.id == unit.parent_id))
    return code_of[unit.parent_id]


def _next_seqs(session, n: int) -> list[int]:
    """``n`` fresh values of ``units.seq``: the keys and paths are computed before the INSERT."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":  # one array, not n rows, to read
        return session.scalar(text("SELECT array_agg(nextval(pg_get_serial_sequence('units', 'seq'))) "
                                   "FROM generate_series(1, :n)"), {"n": n})
    start = (session.scalar(select(func.max(Unit.seq))) or 0) + 1  # SQLite: the write lock is held already
    return list(range(start, start + n))


#: a new unit's row as COPY writes it; ``units.event_data`` reads the same names
NewUnit = namedtuple("NewUnit", ("seq", "id", "key", "path", "parent_id", "kind", "domain", "name", "code",
                                 "external_id", "established_on", "covered_units", "status", "dissolved_on",
                                 "full_members", "probationary_members", "version", "created_at", "updated_at"))


def _insert(session, creates: list[dict], existing: dict) -> list[NewUnit]:
    paths = {code: unit.path for code, unit in existing.items()}
    ids = {code: unit.id for code, unit in existing.items()}
    now = utcnow()
    rows = []
    for seq, unit_id, record in zip(_next_seqs(session, len(creates)), new_ids(len(creates)), creates):
        key = to_base36(seq)
        parent_code = record.get("parent_code")
        code = record["code"]
        path = paths[code] = (paths[parent_code] if parent_code else "/") + key + "/"
        ids[code] = unit_id
        rows.append(NewUnit(seq, unit_id, key, path, ids[parent_code] if parent_code else None, record["kind"],
                            record.get("domain"), record["name"], code, record.get("external_id"),
                            record.get("established_on"), record.get("covered_units"), "active", None, 0, 0, 1,
                            now, now))
    copy_rows(session, Unit.__table__, NewUnit._fields, rows)
    emit_many("org.unit.created", [(event_data(row), row.path) for row in rows])
    return rows


def _update(session, updates: list[tuple]) -> None:
    """Changed units: one executemany UPDATE by id and the version read (a unit changed since, by a PATCH that
    does not wait for the tree lock, is not overwritten: 409, nothing imported), one org.unit.updated each."""
    if not updates:
        return
    rows = [{**row._asdict(), **change, "version": row.version + 1} for row, change in updates]
    table = Unit.__table__
    statement = (sql_update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_read"))
                 .values({name: bindparam(f"b_{name}") for name in (*SIMPLE_FIELDS, "version", "updated_at")}))
    now = utcnow()
    changed_meanwhile = 0
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i:i + CHUNK]
        written = session.execute(statement, [{"b_id": r["id"], "b_read": r["version"] - 1, "b_updated_at": now,
                                               **{f"b_{name}": r[name] for name in (*SIMPLE_FIELDS, "version")}}
                                              for r in chunk]).rowcount
        changed_meanwhile += len(chunk) - written
    if changed_meanwhile:
        raise Problem(409, "Conflict", msg("import-changed-meanwhile", n=changed_meanwhile), kind="conflict")
    _emit_many(rows, "org.unit.updated")


def _emit_many(units: list[dict], type_: str) -> None:
    """One event per unit (a row as a dict) into the outbox, set-wise, in this transaction."""
    emit_many(type_, [(event_data(_Row(unit)), unit["path"]) for unit in units])


class _Row:
    """A unit's row as attributes, for ``units.event_data``."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


def get_run(run_id) -> ImportRun:
    run = db_session().get(ImportRun, str(run_id))
    if run is None or not current_principal().sees(run.scope_path):
        raise not_found("import")
    return run

