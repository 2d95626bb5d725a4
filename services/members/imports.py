"""Bulk import of people from an existing platform: CSV (UTF-8 or GBK), NDJSON or XLSX, through the kit's one
import pipeline (``shared.imports``: the encoding, the Chinese or English column names, typed cells, one report).

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
import re
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
from shared.imports import (Block, ImportField, ImportReport, ImportSpec, NotText, Reader, Upload, import_failed,
                            text_problem)
from shared.messages import Message, msg
from shared.pii import PiiCipher, valid_id_number

from .deadlines import KINDS
from .models import Deadline, ImportRun, OrgUnitView, Person, kit

from .registration import STAGE_DATES, age_violation, columns, opening_deadlines, registration_errors
from .schemas import PHONE_RE

STAGE_NAMES_ZH = {"applicant": "入党申请人", "activist": "入党积极分子", "target": "发展对象",
                  "probationary": "预备党员", "full": "正式党员"}
CLASS_NAMES_ZH = {"in_work": "在职", "retired": "离退休", "mobile": "流动"}
ETHNIC_GROUPS = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族")
EDUCATION = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中", "小学")
DATE_NAMES_ZH = {"applied_on": "申请入党日期", "activist_since": "确定为入党积极分子日期",
                 "target_since": "确定为发展对象日期", "probationary_since": "接收为预备党员日期",
                 "full_member_since": "转为正式党员日期"}


def _field(name, zh, kind="text", **options) -> ImportField:
    return ImportField(name, zh, kind, **options)


#: the columns of a people import: English name, Chinese header and aliases, kind of value
SPEC = ImportSpec("person", (
    _field("name", "姓名", required=True, max_length=100, example="张三", note_zh="必填", note_en="required"),
    _field("id_number", "身份证号码", "code", required=True, upper=True, max_length=40, pii="id_number",
           aliases=("身份证号", "公民身份号码", "证件号码", "身份证"), example="110101198001010037",
           note_zh="必填，18 位，末位可为 X；请设为文本格式，出生日期和性别由它得出",
           note_en="required, 18 characters (the last may be X), as text; birth date and gender follow from it"),
    _field("gender", "性别", "choice", choices=(("male", "男"), ("female", "女")), example="男",
           note_zh="可不填：由身份证号码得出", note_en="may be left out: the ID number gives it"),
    _field("ethnicity", "民族", max_length=40, suggestions=ETHNIC_GROUPS, example="汉族"),
    _field("birth_date", "出生日期", "date", aliases=("出生年月日",), note_zh="可不填：由身份证号码得出",
           note_en="may be left out: the ID number gives it"),
    _field("education", "学历", max_length=40, suggestions=EDUCATION, aliases=("文化程度",), example="大学本科"),
    _field("occupation", "职业", max_length=100, aliases=("工作岗位", "岗位"), example="农民"),
    _field("party_group", "党小组", max_length=100, aliases=("所在党小组",)),
    _field("phone", "联系电话", "code", max_length=40, pattern=PHONE_RE.pattern, hint="import-phone", pii="phone",
           aliases=("手机号码", "手机号", "电话", "手机"), example="13800000000"),
    _field("unit_code", "单位编码", "code", max_length=64, aliases=("组织编码", "所在党组织编码", "党组织编码"),
           example="C001", note_zh="所在党组织的编码（或填单位ID）", note_en="the code of the person's unit (or unit_id)"),
    _field("unit_id", "单位ID", "code", max_length=64, aliases=("组织ID", "单位id", "党组织ID")),
    _field("stage", "人员类别", "choice", required=True, aliases=("发展阶段", "类别"),
           choices=tuple(STAGE_NAMES_ZH.items()), example="正式党员",
           note_zh="必填", note_en="required"),
    _field("classification", "党员分类", "choice", choices=tuple(CLASS_NAMES_ZH.items()), aliases=("人员分类",),
           example="在职"),
    _field("reached_step", "已完成步骤", "integer", low=0, high=25, aliases=("步骤",),
           note_zh="25 个发展步骤中已完成的最后一步，可不填", note_en="the last of the 25 steps done; may be left out"),
    _field("applied_on", DATE_NAMES_ZH["applied_on"], "date", aliases=("申请日期", "入党申请日期"),
           example="2000-01-01"),
    _field("activist_since", DATE_NAMES_ZH["activist_since"], "date", aliases=("积极分子日期",), example="2000-06-01"),
    _field("target_since", DATE_NAMES_ZH["target_since"], "date", aliases=("发展对象日期",), example="2001-07-01"),
    _field("probationary_since", DATE_NAMES_ZH["probationary_since"], "date", aliases=("入党日期", "预备党员日期"),
           example="2001-08-01"),
    _field("full_member_since", DATE_NAMES_ZH["full_member_since"], "date", aliases=("转正日期",),
           example="2002-08-01"),
))

#: the columns of the people rows an import writes: those that differ by row, then those all rows share
PEOPLE_VARYING = ("id", "unit_id", "org_path", "name", "gender", "ethnicity", "birth_date", "id_number_enc",
                  "id_number_hash", "id_number_masked", "phone_enc", "phone_masked", "education", "occupation",
                  "party_group", "stage", "classification", "reached_step", *STAGE_DATES, "probation_ends_on")
PEOPLE_SHARED = ("status", "extensions", "version", "import_id", "created_at", "updated_at")
PEOPLE_COLUMNS = PEOPLE_VARYING + PEOPLE_SHARED
PEOPLE_ROW = operator.itemgetter(*PEOPLE_VARYING)
DEADLINE_COLUMNS = ("person_id", "org_path", "kind", "code", "opened_on", "due_on", "breached")


#: the file goes to the worker processes in blocks of about this many bytes (some thousands of rows), or of
#: this many rows of a sheet
BLOCK_BYTES = 1 << 20
BLOCK_ROWS = 5000

#: registration's messages (``registration.registration_errors``) in both languages
_REGISTRATION = (
    (re.compile(r"^does not match the birth date in the ID number$"), "import-id-birth-differs"),
    (re.compile(r"^does not match the gender in the ID number$"), "import-id-gender-differs"),
    (re.compile(r"^required unless the ID number is given$"), "import-birth-needed"),
    (re.compile(r"^is in the future$"), "import-in-future"),
    (re.compile(r"^a person registered as (?P<stage>\w+) needs this date$"), "import-stage-needs-date"),
    (re.compile(r"^belongs to a later stage than (?P<stage>\w+)$"), "import-later-stage"),
    (re.compile(r"^is before (?P<previous>\w+) \((?P<day>[^)]*)\)$"), "import-before-previous"),
    (re.compile(r"^is before the birth date$"), "import-before-birth"),
    (re.compile(r"^is before the probation ended \((?P<day>[^)]*)\)$"), "import-before-probation-end"),
    (re.compile(r"^a person registered as (?P<stage>\w+) has reached a step from (?P<low>\d+) to (?P<high>\d+)$"),
     "import-step-range"),
    (re.compile(r"^the application is done: give its date$"), "import-application-date"),
)


def bilingual(message: str) -> Message:
    """A registration check's message as the catalog has it (Chinese and English)."""
    for pattern, key in _REGISTRATION:
        found = pattern.match(message)
        if found:
            params = found.groupdict()
            if "stage" in params:
                params["stage_zh"] = STAGE_NAMES_ZH.get(params["stage"], params["stage"])
            if "previous" in params:
                params["previous_zh"] = DATE_NAMES_ZH.get(params["previous"], params["previous"])
            return msg(key, **params)
    return Message("import-invalid", f"取值无效：{message}", message)


def parse(raw: dict) -> tuple[dict, list[tuple[str, Message]]]:
    """One record's values, typed (``SPEC``), and the field errors found on the way: the ID number's check
    digit, the gender it gives when none is, the unit by id or code."""
    v, errors = SPEC.parse(raw)
    id_number = v.get("id_number")
    if id_number is not None and not valid_id_number(id_number):
        errors.append(("id_number", msg("import-bad-id-number")))
        del v["id_number"]
        id_number = None
    if "gender" not in v and id_number is not None:
        v["gender"] = "male" if int(id_number[16]) % 2 else "female"
    unit_id, unit_code = v.pop("unit_id", None), v.pop("unit_code", None)
    if unit_id:
        v["unit_ref"] = ("id", unit_id)
    elif unit_code:
        v["unit_ref"] = ("code", unit_code)
    elif not any(name in ("unit_id", "unit_code") for name, _ in errors):
        errors.append(("unit_id", msg("import-unit-required")))
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
    reader: Reader  # the file's format, its encoding chosen once (``encoding``), the field of each column

    @property
    def encoding(self) -> str | None:
        return self.reader.encoding


@dataclass
class Prepared:
    """One block's rows checked and ready to write. ``lines`` and ``hashes`` follow the people prepared, in
    order (a duplicate ID number across blocks is found by the caller)."""

    total: int = 0
    errors: list[tuple[int, str, Message, object]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    people: bytes | list[tuple] = b""
    deadlines: bytes | list[tuple] = b""
    events: list[outbox.Pack] = field(default_factory=list)
    not_text: tuple[str, dict] | None = None   # the block is not text in the file's encoding: catalog key, params


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
        for line, raw in ctx.reader.records(block, report):
            v, errors = parse(raw)
            if not errors:
                errors = [(name, bilingual(text)) for name, text in registration_errors(v, ctx.today, ctx.cfg)]
            if not errors:
                violation = age_violation(v, ctx.cfg)
                if violation:
                    first = next(name for name in STAGE_DATES if v.get(name))
                    errors = [(first, msg("import-rule", code=violation.code, zh=violation.zh, en=violation.en))]
            if errors:
                for name, message in errors:
                    report.add(line, name, message, raw.get(name))
            else:
                checked.append((line, v))
    except NotText as exc:
        out.not_text = (exc.key, exc.params)
        return out
    found = (units or _worker_units(ctx))({v["unit_ref"] for _, v in checked})
    people, due, events = [], [], outbox.EventBatch("members.person.created", ctx.event_head)
    ids = iter(bulk.new_ids(len(checked)) if write else ())
    for line, v in checked:
        ref = v["unit_ref"]
        unit = found.get(ref)
        field_name = "unit_id" if ref[0] == "id" else "unit_code"
        if unit is None or not ctx.principal.sees(unit[1]):
            report.add(line, field_name, msg("import-unit-unknown"), ref[1])
            continue
        if unit[2] != "active":
            report.add(line, field_name, msg("import-unit-dissolved"), ref[1])
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
    out.errors = [(e["line"], e["field"], e["message"], e["value"]) for e in report.errors]
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
    with COPY, in the request's one transaction. A ``dry_run`` checks every row and writes nothing."""

    def __init__(self, upload: Upload, body_bytes: int | None, dry_run: bool = False):
        kit = current_kit()
        self.session = db_session()
        self.principal = current_principal()
        self.upload = upload
        self.fmt = upload.fmt
        self.report = upload.report
        self.dry_run = dry_run
        self.run_id = str(uuid.uuid4())
        self.postgres = self.session.get_bind().dialect.name == "postgresql"
        self.base = dict(today=dates.today(), cfg=dict(rule_config()), pii_key=kit.config.pii_key,
                         database_url=kit.config.database_url, copy_lines=self.postgres,
                         principal=self.principal, run_id=self.run_id,
                         now=datetime.now(timezone.utc), event_head=envelope_head("members.person.created"),
                         fmt=upload.fmt)
        parallel = body_bytes is not None and body_bytes >= kit.config.import_parallel_bytes
        self.processes = kit.config.import_processes if parallel else 0
        self.max_rows = kit.config.import_max_rows
        self.pool_idle_seconds = kit.config.import_pool_idle_seconds
        self.pipeline: bulk.Pipeline | None = None
        self.seen: dict[str, int] = {}
        self.created = self.existing = 0
        self.optimistic = True
        self.not_text: tuple[str, dict] | None = None

    def add(self, reader: Reader, block: Block) -> None:
        if self.pipeline is None:
            ctx = Context(reader=reader, **self.base)
            self.pipeline = bulk.Pipeline(prepare, ctx, self.processes,
                                          inline=functools.partial(prepare, units=unit_lookup(self.session)),
                                          idle_seconds=self.pool_idle_seconds)
        for prepared in self.pipeline.submit((block, self._writing())):
            self._take(prepared)

    def _writing(self) -> bool:
        return not self.dry_run and not self.report.errors and self.not_text is None

    def _take(self, prepared: Prepared) -> None:
        """Merge a block's report; find ID numbers seen earlier in the file; write the block if all is well."""
        self.not_text = self.not_text or prepared.not_text
        self.report.total += prepared.total
        if self.report.total > self.max_rows:
            raise Problem(422, "Unprocessable Content", msg("import-too-many-rows", most=f"{self.max_rows:,}"),
                          kind="import-too-large", report={"total": self.report.total, "max_rows": self.max_rows})
        for line, name, message, value in prepared.errors:
            self.report.add(line, name, message, value)
        seen = self.seen
        for line, key in zip(prepared.lines, prepared.hashes):
            first = seen.setdefault(key, line)
            if first != line:
                self.report.add(line, "id_number", msg("import-same-id-number", first=first))
        if self._writing():
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

    def finish(self) -> ImportRun | dict:
        """The import done (its run), or the 422 with the whole report; a dry run's report when it passes."""
        if self.pipeline is not None:
            for prepared in self.pipeline.finish():
                self._take(prepared)
        if self.not_text is not None:
            raise text_problem(*self.not_text)
        if self.report.errors:
            self.report.errors.sort(key=lambda e: e["line"])
            raise import_failed(self.report)
        if self.report.total == 0:
            raise Problem(422, "Unprocessable Content", msg("import-no-rows"), kind="import-errors",
                          report=self.report.as_dict())
        if self.dry_run:
            return {"dry_run": True, "format": self.fmt, "encoding": self.upload.encoding, **self.report.as_dict()}
        run = ImportRun(id=self.run_id, org_path=self.principal.scope_path, format=self.fmt, total=self.report.total,
                        created=self.created, existing=self.existing, actor=self.principal.subject)
        self.session.add(run)
        audit("import", run.id, "completed", {"format": self.fmt, "total": run.total, "created": run.created,
                                              "existing": run.existing})
        return run


def _rows(rows: bytes | list[tuple]) -> list:
    """Rows as tuples (text-COPY lines split into their values, as far as the first is needed)."""
    if isinstance(rows, bytes):
        return [line.decode().split("\t", 1) for line in rows.splitlines()]
    return rows


def _kept(rows: bytes | list[tuple], keep: list[bool]):
    if isinstance(rows, bytes):
        return b"".join(line + b"\n" for line, wanted in zip(rows.splitlines(), keep) if wanted)
    return [row for row, wanted in zip(rows, keep) if wanted]


def run(request, args: dict) -> ImportRun | dict:
    """Import the request's body (any format the kit reads); 422 with the whole report when any row fails."""
    upload = Upload.of_request(request, args, SPEC, ImportReport(SPEC))
    importer = Importer(upload, request.content_length, dry_run=args.get("dry_run", False))
    try:
        for block in upload.blocks(BLOCK_BYTES, BLOCK_ROWS):
            importer.add(upload.reader, block)
        return importer.finish()
    except BaseException as exc:
        importer.abandon()  # the blocks still in the worker processes are dropped
        if isinstance(exc, NotText):
            raise text_problem(exc.key, exc.params) from None
        raise


def list_runs(args: dict) -> dict:
    principal = current_principal()
    path = subtree_path(principal, None)
    stmt = select(ImportRun).where(under_clause(ImportRun.org_path, path))
    return paginate(db_session(), stmt, [ImportRun.id], cursor=args.get("cursor"), limit=args["limit"])
