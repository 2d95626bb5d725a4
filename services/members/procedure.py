"""The development procedure (细则): record one of the 25 steps, reverse a mistaken one, show the timeline.

``record`` is the whole life of a step: the order is checked, the gates of that step's rules refuse
it (409, nothing written), the deadlines it meets are closed with any breach attached (never
refused), the person's fields move on, and the step, its deadlines, its events and its audit entry
are written in the request's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import select

from shared import dates
from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.dates import CalendarNotPublished
from shared.errors import Problem, not_found
from shared.http import paginate
from shared.violations import RuleViolation, Violation

from . import deadlines, rules, transfers
from .models import OrgUnitView, Person, StepRecord, TrainingCredit
from .people import emit_person, invalid, present

#: person fields holding dates (restored from a step's snapshot on reversal)
DATE_FIELDS = {"applied_on", "activist_since", "target_since", "probationary_since", "probation_ends_on",
               "full_member_since", "left_on"}


def jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


class History:
    """A person's step records, oldest first; ``effective`` leaves out reversed records and reversals."""

    def __init__(self, records: list[StepRecord]):
        self.records = records
        self.effective = [r for r in records if r.kind != "reversal" and r.reversed_by_id is None]

    @classmethod
    def load(cls, person_id: str) -> "History":
        return cls(db_session().scalars(select(StepRecord).where(StepRecord.person_id == person_id)
                                        .order_by(StepRecord.seq)).all())

    def last(self, kind: str) -> StepRecord | None:
        for record in reversed(self.effective):
            if record.kind == kind:
                return record
        return None

    def last_on(self, kind: str) -> date | None:
        record = self.last(kind)
        return record.occurred_on if record else None

    @property
    def next_seq(self) -> int:
        return (self.records[-1].seq + 1) if self.records else 1

    @property
    def latest(self) -> StepRecord | None:
        return self.effective[-1] if self.effective else None


@dataclass
class Context:
    person: Person
    step: dict
    on: date
    cfg: dict
    history: History


@dataclass
class Effect:
    """What a step does: the person's fields it changes, the deadlines it meets (with any breach),
    opens and cancels, facts it adds to the record, and a departure (cancellation)."""
    changes: dict = field(default_factory=dict)
    meets: list[tuple[str, Violation | None]] = field(default_factory=list)
    opens: list[tuple[str, date]] = field(default_factory=list)
    cancels: tuple[str, ...] = ()
    cancel_all: bool = False
    facts: dict = field(default_factory=dict)
    left_reason: str | None = None

    @property
    def breaches(self) -> list[Violation]:
        return [v for _, v in self.meets if v is not None]


def gate(*violations: Violation | None) -> None:
    """Refuse the step (409, nothing written) when any of its gates is broken."""
    broken = [v for v in violations if v is not None]
    if broken:
        raise RuleViolation(*broken)


RECORDERS: dict = {}


def recorder(*kinds: str):
    def register(fn):
        for kind in kinds:
            RECORDERS[kind] = fn
        return fn
    return register


# ----------------------------------------------------------------------------- recording a step

def record(person: Person, step: dict) -> dict:
    """Record one step for ``person`` (already loaded in scope, locked for update)."""
    kind, on = step["kind"], step.get("date") or step["starts_on"]
    spec = rules.STEP_BY_KIND[kind]
    _check_happened(step, on)
    gate(rules.step_order(kind, person.reached_step, person.status, person.stage))
    history = History.load(person.id)
    if spec.number is not None:
        _check_chronology(person, history, on)
    effect = _effect(Context(person, step, on, rule_config(), history), spec)
    from_stage, from_status = person.stage, person.status
    before = _apply(person, effect.changes)
    rec = _write(person, step, spec, on, effect, history, before)
    _move_deadlines(person, effect, on, rec)
    _announce(person, rec, effect, before, from_stage, from_status)
    return step_view(rec, person)


def _check_happened(step: dict, on: date) -> None:
    """A step is recorded once it has happened: 422 for a date after today."""
    today = dates.today()
    if on > today:
        raise invalid(**{"date" if "date" in step else "starts_on":
                         [f"a step is recorded once it has happened; {on} is after today ({today})"]})


def _effect(c: Context, spec: rules.StepKind) -> Effect:
    """What the step's recorder makes of it (its gates refuse it here), with the step reached and a
    departure's status; 422 when a notice's working days fall in a year whose holidays are not loaded."""
    try:
        effect: Effect = RECORDERS[spec.kind](c)
    except CalendarNotPublished as exc:
        raise Problem(422, "Unprocessable Content",
                      f"{exc}. 该年度法定节假日安排尚未载入，无法按工作日计算公示期。", kind="calendar-not-published",
                      errors={"json": {"starts_on" if "starts_on" in c.step else "date": [str(exc)]}}) from None
    if spec.number is not None:
        effect.changes.setdefault("reached_step", spec.number)
    if effect.left_reason:
        effect.changes.update(status="left", left_on=c.on, left_reason=effect.left_reason)
    return effect


def _apply(person: Person, changes: dict) -> dict:
    """Move the person's fields on (a new version); returns their values before, for the record."""
    before = {name: jsonable(getattr(person, name)) for name in changes}
    for name, value in changes.items():
        setattr(person, name, value)
    person.version += 1
    return before


def _write(person: Person, step: dict, spec: rules.StepKind, on: date, effect: Effect, history: History,
           before: dict) -> StepRecord:
    """The step record, with the facts the recorder added and any deadline breached."""
    payload = {k: v for k, v in step.items() if k not in ("kind", "date")}
    payload.update(effect.facts)
    rec = StepRecord(person_id=person.id, org_path=person.org_path, seq=history.next_seq, number=spec.number,
                     kind=spec.kind, occurred_on=on, payload=jsonable(payload),
                     breaches=[v.as_dict() for v in effect.breaches], before=before,
                     recorded_by=current_principal().subject)
    session = db_session()
    session.add(rec)
    session.flush()
    return rec


def _move_deadlines(person: Person, effect: Effect, on: date, rec: StepRecord) -> None:
    """Close the deadlines the step meets, cancel and open the others; a departure closes open transfers."""
    for due_kind, violation in effect.meets:
        deadlines.meet(person, due_kind, on, rec.id, breached=violation is not None)
    if effect.cancel_all or effect.cancels:
        deadlines.cancel(person, on, rec.id, None if effect.cancel_all else effect.cancels)
    for due_kind, due_on in effect.opens:
        deadlines.open_(person, due_kind, on, due_on, rec.id)
    if effect.left_reason:
        transfers.close_open(person, on)


def _announce(person: Person, rec: StepRecord, effect: Effect, before: dict, from_stage: str,
              from_status: str) -> None:
    """The audit entry and the events: the step recorded, and a stage changed or a member left."""
    codes = [v.code for v in effect.breaches]
    on = rec.occurred_on
    audit("person", person.id, f"step.{rec.kind}", {
        "step_id": rec.id, "number": rec.number, "occurred_on": on, "breaches": codes,
        "changes": {name: [before[name], jsonable(value)] for name, value in effect.changes.items()}})
    emit("members.step.recorded", {"step_id": rec.id, "person_id": person.id, "unit_id": person.unit_id,
                                   "number": rec.number, "kind": rec.kind, "occurred_on": on, "breaches": codes,
                                   "reverses_step_id": None, "person_version": person.version},
         org_path=person.org_path)
    if person.stage != from_stage:
        emit_person("members.stage.changed", person, from_stage=from_stage, changed_on=on, step=rec.kind)
    if person.status == "left" and from_status != "left":
        emit_person("members.member.left", person, reason=person.left_reason, left_on=on)


def _check_chronology(person: Person, history: History, on: date) -> None:
    previous = [r for r in history.effective if r.number is not None]
    known = [d for d in (person.applied_on, person.activist_since, person.target_since, person.probationary_since)
             if d]
    if previous:
        last = previous[-1]
        if on < last.occurred_on:
            raise invalid(date=[f"dated {on}, before the previous step ({rules.STEP_BY_KIND[last.kind].en}, "
                                f"{last.occurred_on})"])
    elif known and on < max(known):
        raise invalid(date=[f"dated {on}, before the person's last stage date ({max(known)})"])


def step_view(rec: StepRecord, person: Person | None = None) -> dict:
    spec = rules.STEP_BY_KIND.get(rec.kind)
    view = {"id": rec.id, "person_id": rec.person_id, "number": rec.number, "kind": rec.kind,
            "title_zh": spec.zh if spec else "撤销记录", "title_en": spec.en if spec else "reversal",
            "occurred_on": rec.occurred_on, "payload": rec.payload, "breaches": rec.breaches,
            "reverses_id": rec.reverses_id, "reversed_by_id": rec.reversed_by_id,
            "recorded_by": rec.recorded_by, "recorded_at": rec.recorded_at}
    if person is not None:
        view["person"] = {"id": person.id, "stage": person.stage, "status": person.status,
                          "reached_step": person.reached_step, "version": person.version}
    return view


# ----------------------------------------------------------------------------- one recorder per kind

def _members(ids) -> list[rules.MemberFacts]:
    """Facts on the members a step names, in the order named; one not visible to the caller is unknown."""
    ids = [str(i) for i in ids]
    found = {p.id: p for p in db_session().scalars(select(Person).where(Person.id.in_(ids))).all()}
    principal = current_principal()
    facts = []
    for pid in ids:
        p = found.get(pid)
        if p is None or not principal.sees(p.org_path):
            facts.append(rules.MemberFacts(pid, "", None, None))
        else:
            facts.append(rules.MemberFacts(p.id, p.name, p.stage, p.status, p.full_member_since,
                                           p.party_probation_since, p.rights_restored_on))
    return facts


def _move(cfg: dict) -> bool:
    return bool(cfg["deadlines_move_off_holidays"])


@recorder("application")
def _application(c: Context) -> Effect:
    gate(rules.min_age(c.person.birth_date, c.on, c.cfg["min_age"], c.cfg["feb29_birthday"]))
    return Effect(changes={"applied_on": c.on},
                  opens=[("talk", rules.talk_due(c.on, c.cfg["talk_months"], _move(c.cfg)))])


@recorder("talk")
def _talk(c: Context) -> Effect:
    applied_on = c.person.applied_on or c.history.last_on("application")
    return Effect(meets=[("talk", rules.talk_deadline(applied_on, c.on, c.cfg["talk_months"], _move(c.cfg)))])


@recorder("activist")
def _activist(c: Context) -> Effect:
    gate(rules.activist_source(c.step["source"], c.step["decided_by"], c.step["recommenders"]))
    return Effect(changes={"stage": "activist", "activist_since": c.on},
                  opens=[("assessment", rules.assessment_due(c.on, c.cfg["assessment_months"], _move(c.cfg)))])


@recorder("activist_filed", "target_filed", "application_form", "upper_talk", "approval_filed",
          "probation_assessment", "conversion_application", "committee_review")
def _plain(c: Context) -> Effect:
    return Effect()


@recorder("sponsors")
def _sponsors(c: Context) -> Effect:
    named = _members(c.step["sponsors"])
    gate(rules.sponsors(named, c.on, c.cfg["sponsors_min"], c.cfg["sponsors_max"]))
    return Effect(facts={"sponsor_names": [m.name for m in named]})


@recorder("assessment")
def _assessment(c: Context) -> Effect:
    last = c.history.last_on("assessment") or c.person.activist_since
    months, move = c.cfg["assessment_months"], _move(c.cfg)
    return Effect(meets=[("assessment", rules.assessment_deadline(last, c.on, months, move))],
                  opens=[("assessment", rules.assessment_due(c.on, months, move))])


@recorder("target_notice", "admission_notice")
def _notice(c: Context) -> Effect:
    days = c.cfg["notice_working_days"]
    ends_on = c.step.get("ends_on") or rules.notice_ends(c.step["starts_on"], days)
    gate(rules.public_notice_length(c.step["starts_on"], ends_on, days))
    return Effect(facts={"ends_on": ends_on, "working_days": days})


def _notice_gate(c: Context, kind: str, step_en: str, step_zh: str) -> Violation | None:
    notice = c.history.last(kind)
    ends_on = date.fromisoformat(notice.payload["ends_on"]) if notice else None
    return rules.notice_before(step_en, step_zh, ends_on, c.on,
                               objections=bool(notice is not None and notice.payload.get("objections")))


@recorder("target")
def _target(c: Context) -> Effect:
    gate(rules.cultivation_period(c.person.activist_since, c.on, c.cfg["cultivation_years"]),
         _notice_gate(c, "target_notice", "target decision", "确定发展对象"))
    return Effect(changes={"stage": "target", "target_since": c.on}, cancels=("assessment",))


@recorder("introducers")
def _introducers(c: Context) -> Effect:
    named = _members(c.step["introducers"])
    gate(rules.introducers(named, c.on, c.cfg["introducers"], c.person.id))
    return Effect(facts={"introducer_names": [m.name for m in named]})


@recorder("political_review")
def _political_review(c: Context) -> Effect:
    gate(rules.political_review(c.step["conclusion"], c.step["covers_person"], c.step["covers_relatives"]))
    return Effect()


def _leader_ids(record: StepRecord | None) -> set[str]:
    if record is None:
        return set()
    return {str(leader["person_id"]) for leader in record.payload.get("leaders", []) if leader.get("person_id")}


def _introducer_ids(c: Context) -> set[str]:
    record = c.history.last("introducers")
    return {str(i) for i in record.payload.get("introducers", [])} if record else set()


@recorder("relative_review")
def _relative_review(c: Context) -> Effect:
    leaders = {str(leader["person_id"]) for leader in c.step["leaders"] if leader.get("person_id")}
    gate(rules.relative_review(True, c.step["conclusion"], leaders, _introducer_ids(c), None, set()))
    return Effect()


@recorder("joint_review")
def _joint_review(c: Context) -> Effect:
    gate(rules.joint_review({d["department"]: d["conclusion"] for d in c.step["departments"]},
                            c.cfg["joint_review_departments"]))
    return Effect()


@recorder("training")
def _training(c: Context) -> Effect:
    days_min, hours_min = c.cfg["target_training_days"], c.cfg["target_training_hours"]
    if c.step["source"] == "manual":
        gate(rules.target_training(c.step.get("days"), c.step.get("hours"), days_min, hours_min,
                                   assessment=c.step.get("assessment")))
        return Effect()
    credit = db_session().scalar(
        select(TrainingCredit).where(TrainingCredit.person_id == c.person.id,
                                     TrainingCredit.requirement == "target_training",
                                     TrainingCredit.met_on <= c.on)
        .order_by(TrainingCredit.met_on.desc()).limit(1))
    if credit is None:
        gate(rules.no_training_known())
    # the training service reports a development target's training once its class was completed and
    # passed (结业), so a credit is a passed assessment on its completion date
    gate(rules.target_training(credit.days, credit.hours, days_min, hours_min, assessment="passed"))
    return Effect(facts={"days": credit.days, "hours": credit.hours, "met_on": credit.met_on,
                         "completed_on": credit.met_on, "assessment": "passed",
                         "training_event_id": credit.event_id})


@recorder("pre_review")
def _pre_review(c: Context) -> Effect:
    gate(rules.pre_review(c.step["passed"], c.on, c.step.get("leaving_on"), c.cfg["pre_review_leaving_months"]))
    return Effect()


def _vote(c: Context, code: str) -> Violation | None:
    s = c.step
    return rules.general_meeting_vote(code, s["entitled"], s["present"], s["yes"], s["written_yes"], s["candidates"])


@recorder("admission_vote")
def _admission_vote(c: Context) -> Effect:
    political = c.history.last("political_review")
    relative = c.history.last("relative_review")
    needed = bool(political and political.payload.get("leader_relative"))
    leaders = _leader_ids(relative)
    voting_leaders = set()
    if leaders:
        voting_leaders = set(db_session().scalars(select(Person.id).where(
            Person.id.in_(leaders), Person.unit_id == c.person.unit_id, Person.status == "active")).all())
    joint = c.history.last("joint_review")
    conclusions = {d["department"]: d["conclusion"] for d in joint.payload["departments"]} if joint else {}
    gate(_notice_gate(c, "admission_notice", "admission vote", "支部党员大会讨论接收预备党员"),
         rules.relative_review(needed, relative.payload["conclusion"] if relative else None, leaders,
                               _introducer_ids(c), {str(r) for r in c.step["recused"]}, voting_leaders),
         rules.joint_review(conclusions, c.cfg["joint_review_departments"]) if c.cfg["joint_review_departments"]
         else None,
         _vote(c, "MEMBERS.ADMISSION_VOTE"))
    return Effect(opens=[("approval", rules.approval_due(c.on, c.cfg["approval_months"], _move(c.cfg)))])


def _approving_unit(c: Context) -> Violation | None:
    session = db_session()
    unit = session.get(OrgUnitView, str(c.step["approving_unit_id"]))
    if unit is None:
        return rules.approving_level(None, None, False, c.cfg["approving_unit_kinds"])
    parent = session.get(OrgUnitView, unit.parent_id) if unit.parent_id else None
    is_upper = c.person.org_path.startswith(unit.path) and c.person.org_path != unit.path
    return rules.approving_level(unit.kind, parent.kind if parent else None, is_upper,
                                 c.cfg["approving_unit_kinds"])


@recorder("approval")
def _approval(c: Context) -> Effect:
    gate(_approving_unit(c))
    voted_on = c.history.last_on("admission_vote")
    cfg, move = c.cfg, _move(c.cfg)
    late = rules.approval_deadline(voted_on, c.on, c.step["special_case"], cfg["approval_months"],
                                   cfg["approval_special_months"], move)
    if c.step["decision"] == "not_approved":
        # 不批准: the decision is taken (the clock is met, late or not); the person stays a development
        # target, and the next step is a new general meeting vote
        return Effect(changes={"reached_step": rules.STEP_BY_KIND["admission_vote"].number - 1},
                      meets=[("approval", late)])
    ends = rules.probation_ends(voted_on, cfg["probation_years"])
    return Effect(changes={"stage": "probationary", "probationary_since": voted_on, "probation_ends_on": ends},
                  meets=[("approval", late)],
                  opens=[("oath", rules.oath_due(c.on, cfg["oath_months"], move)), ("probation_end", ends)])


@recorder("placement")
def _placement(c: Context) -> Effect:
    return Effect(changes={"party_group": c.step.get("party_group")} if c.step.get("party_group") else {})


@recorder("oath")
def _oath(c: Context) -> Effect:
    approved_on = c.history.last_on("approval")
    if approved_on is None:  # registered mid-way without the approval on record: no clock to check
        return Effect()
    return Effect(meets=[("oath", rules.oath_deadline(approved_on, c.on, c.cfg["oath_months"], _move(c.cfg)))])


@recorder("conversion_vote")
def _conversion_vote(c: Context) -> Effect:
    cfg = c.cfg
    violations = [rules.probation(c.person.probation_ends_on, c.on), _vote(c, "MEMBERS.CONVERSION")]
    if c.step["outcome"] == "extend":
        violations.append(rules.extension(c.step["extension_months"], c.person.extensions,
                                          cfg["extension_min_months"], cfg["extension_max_months"],
                                          cfg["extensions_allowed"]))
    gate(*violations)
    return Effect(meets=[("probation_end", None)],
                  opens=[("conversion_approval", rules.conversion_approval_due(
                      c.on, cfg["conversion_approval_months"], _move(cfg)))])


@recorder("conversion_approval")
def _conversion_approval(c: Context) -> Effect:
    gate(_approving_unit(c))
    vote = c.history.last("conversion_vote")
    late = rules.conversion_approval_deadline(vote.occurred_on, c.on, c.cfg["conversion_approval_months"],
                                              _move(c.cfg))
    outcome = vote.payload["outcome"]
    effect = Effect(meets=[("conversion_approval", late)], facts={"outcome": outcome})
    if outcome == "convert":
        effect.changes = {"stage": "full", "full_member_since": c.person.probation_ends_on}
    elif outcome == "extend":
        months = vote.payload["extension_months"]
        ends = dates.add_months(c.person.probation_ends_on, months)
        effect.changes = {"probation_ends_on": ends, "extensions": c.person.extensions + 1, "reached_step": 20}
        effect.opens = [("probation_end", ends)]
        effect.facts["extension_months"] = months
    else:
        effect.left_reason = "cancelled"
        effect.cancel_all = True
    return effect


@recorder("archive")
def _archive(c: Context) -> Effect:
    return Effect()


# ----------------------------------------------------------------------------- reversal

def reverse(person: Person, step_id, body: dict) -> dict:
    """Undo a mistaken record by a new record; the history keeps both."""
    session = db_session()
    history = History.load(person.id)
    target = next((r for r in history.records if r.id == str(step_id)), None)
    if target is None:
        raise not_found("step")
    if target.kind == "reversal" or target.reversed_by_id is not None:
        raise Problem(409, "Conflict", "this record is already a reversal or already reversed", kind="conflict")
    gate(rules.reversal_order(history.latest is not None and history.latest.id == target.id, target.kind))
    on = body.get("date") or dates.today()
    from_stage, from_status = person.stage, person.status
    for name, value in target.before.items():
        setattr(person, name, date.fromisoformat(value) if name in DATE_FIELDS and value else value)
    person.version += 1
    rec = StepRecord(person_id=person.id, org_path=person.org_path, seq=history.next_seq, number=None,
                     kind="reversal", occurred_on=on,
                     payload={"reason": body["reason"], "reversed_kind": target.kind,
                              "reversed_on": target.occurred_on.isoformat()},
                     breaches=[], before={}, reverses_id=target.id, recorded_by=current_principal().subject)
    session.add(rec)
    session.flush()
    target.reversed_by_id = rec.id
    deadlines.undo(target.id, on, rec.id)
    audit("person", person.id, "step.reversed", {"step_id": target.id, "kind": target.kind, "reason": body["reason"],
                                                 "restored": target.before})
    emit("members.step.recorded", {"step_id": rec.id, "person_id": person.id, "unit_id": person.unit_id,
                                   "number": None, "kind": "reversal", "occurred_on": on, "breaches": [],
                                   "reverses_step_id": target.id, "person_version": person.version},
         org_path=person.org_path)
    if person.stage != from_stage:
        emit_person("members.stage.changed", person, from_stage=from_stage, changed_on=on, step="reversal")
    elif person.status != from_status:
        emit_person("members.person.updated", person)
    return step_view(rec, person)


def list_steps(person: Person, args: dict) -> dict:
    stmt = select(StepRecord).where(StepRecord.person_id == person.id)
    page = paginate(db_session(), stmt, [StepRecord.seq], cursor=args.get("cursor"), limit=args["limit"])
    page["items"] = [step_view(r) for r in page["items"]]
    return page


# ----------------------------------------------------------------------------- timeline

#: the order a timeline shows: each side record after the step it follows
TIMELINE_ORDER = []
for _spec in rules.STEPS:
    if _spec.number:
        TIMELINE_ORDER.append(_spec.kind)
        TIMELINE_ORDER.extend(k for k, after in rules.SIDE_SHOWN_AFTER.items() if after == _spec.number)


def timeline(person: Person, as_of: date | None = None) -> dict:
    """Each step done, each step open, and the date each is due by or can happen from."""
    cfg = rule_config()
    as_of = as_of or dates.today()
    history = History.load(person.id)
    rows = deadlines.for_person(person.id)
    open_due = {d.kind: d.due_on for d in rows if d.met_on is None and d.cancelled_on is None}
    reached = person.reached_step
    allowed = set(rules.allowed_next(reached)) if person.status == "active" else set()
    by_kind: dict[str, list[StepRecord]] = {}
    for r in history.records:
        if r.kind != "reversal":
            by_kind.setdefault(r.kind, []).append(r)
    hints = _hints(person, history, open_due, cfg)
    steps = []
    for kind in TIMELINE_ORDER:
        spec = rules.STEP_BY_KIND[kind]
        records = by_kind.get(kind, [])
        effective = [r for r in records if r.reversed_by_id is None]
        # a spine step is done up to the last step reached: after a refusal or an extended probation, the
        # steps after it are to be done again (their earlier records stay listed)
        done = bool(effective) if spec.number is None else spec.number <= reached
        if spec.number is None:
            low, high = rules.SIDE_WINDOWS[kind]
            is_open = not done and person.status == "active" and low <= reached <= high
        else:
            is_open = kind in allowed
        status = "open" if is_open else "done" if done else "pending"
        due_by, can_from, rule = hints.get(kind, (None, None, None))
        steps.append({
            "number": spec.number, "kind": kind, "title_zh": spec.zh, "title_en": spec.en, "status": status,
            "done_on": effective[-1].occurred_on if effective and done else None,
            "due_by": due_by if status != "done" else None,
            "can_happen_from": can_from if status != "done" else None, "rule": rule,
            "records": [{"id": r.id, "occurred_on": r.occurred_on, "breaches": r.breaches,
                         "reversed": r.reversed_by_id is not None} for r in records],
            "breaches": [b for r in effective for b in r.breaches],
        })
    next_kinds = [s["kind"] for s in steps if s["status"] == "open"]
    return {"person": present(person, as_of), "as_of": as_of, "reached_step": reached, "next": next_kinds,
            "steps": steps, "deadlines": rows,
            "breaches": [b for r in history.effective for b in r.breaches]}


def _hints(person: Person, history: History, open_due: dict, cfg: dict) -> dict:
    """kind -> (due_by, can_happen_from, rule code) for the steps still ahead."""
    hints = {}
    if "talk" in open_due:
        hints["talk"] = (open_due["talk"], None, "MEMBERS.TALK_DEADLINE")
    if "assessment" in open_due:
        hints["assessment"] = (open_due["assessment"], None, "MEMBERS.SPONSORS")
    if person.activist_since:
        can = rules.cultivation_ends(person.activist_since, cfg["cultivation_years"])
        notice = history.last("target_notice")
        if notice:
            can = max(can, date.fromisoformat(notice.payload["ends_on"]) + timedelta(days=1))
        hints["target"] = (None, can, "MEMBERS.CULTIVATION_PERIOD")
    notice = history.last("admission_notice")
    if notice:
        hints["admission_vote"] = (None, date.fromisoformat(notice.payload["ends_on"]) + timedelta(days=1),
                                   "MEMBERS.PUBLIC_NOTICE")
    if "approval" in open_due:
        hints["approval"] = (open_due["approval"], None, "MEMBERS.APPROVAL_DEADLINE")
    if "oath" in open_due:
        hints["oath"] = (open_due["oath"], None, "MEMBERS.OATH")
    if person.probation_ends_on and person.stage == "probationary":
        hints["conversion_vote"] = (None, person.probation_ends_on, "MEMBERS.PROBATION")
    if "conversion_approval" in open_due:
        hints["conversion_approval"] = (open_due["conversion_approval"], None, "MEMBERS.CONVERSION")
    return hints
