"""Registering a person (one by the API, many by an import) and changing their details.

The checks on a registration are the same for both paths: the ID number agrees with the birth date
and gender, the stage has its date, the stage dates are in order, and the applicant was 18 on the
application date (MEMBERS.MIN_AGE).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared import dates
from shared.request import audit, current_principal, db_session, rule_config, unit_in_scope
from shared.errors import Problem
from shared.http import if_match
from shared.pii import PiiCipher, birth_date_of, mask_id_number, mask_phone
from shared.violations import RuleViolation, Violation

from . import deadlines, procedure, rules
from .models import Person
from .people import cipher, emit_person, invalid, present

STAGE_DATES = ("applied_on", "activist_since", "target_since", "probationary_since", "full_member_since")
#: the date each stage needs
STAGE_DATE = {"applicant": None, "activist": "activist_since", "target": "target_since",
              "probationary": "probationary_since", "full": "full_member_since"}
STAGE_ORDER = ("applicant", "activist", "target", "probationary", "full")


def registration_errors(v: dict, today: date, cfg: dict) -> list[tuple[str, str]]:
    """Field errors of a registration (``v`` is completed in place: the birth date from the ID number)."""
    errors = []
    id_number = v.get("id_number")
    if id_number:
        born = birth_date_of(id_number)
        if v.get("birth_date") is None:
            v["birth_date"] = born
        elif v["birth_date"] != born:
            errors.append(("birth_date", "does not match the birth date in the ID number"))
        gender = "male" if int(id_number[16]) % 2 else "female"
        if v.get("gender") and v["gender"] != gender:
            errors.append(("gender", "does not match the gender in the ID number"))
        elif not v.get("gender"):
            v["gender"] = gender   # 性别 from the ID number's 17th digit, as birth date from its 7th-14th
    elif not v.get("gender"):
        errors.append(("gender", "required unless the ID number is given"))
    if v.get("birth_date") is None:
        errors.append(("birth_date", "required unless the ID number is given"))
    elif v["birth_date"] > today:
        errors.append(("birth_date", "is in the future"))
    stage = v.get("stage") or "applicant"
    needed = STAGE_DATE[stage]
    if needed and v.get(needed) is None:
        errors.append((needed, f"a person registered as {stage} needs this date"))
    later = STAGE_DATES[STAGE_ORDER.index(stage) + 1:] if stage != "applicant" else STAGE_DATES[1:]
    for name in later:
        if v.get(name) is not None:
            errors.append((name, f"belongs to a later stage than {stage}"))
    previous = None
    for name in STAGE_DATES:
        value = v.get(name)
        if value is None:
            continue
        if value > today:
            errors.append((name, "is in the future"))
        elif previous and value < previous[1]:
            errors.append((name, f"is before {previous[0]} ({previous[1]})"))
        if v.get("birth_date") and value <= v["birth_date"]:
            errors.append((name, "is before the birth date"))
        previous = (name, value)
    if v.get("probationary_since") and v.get("full_member_since"):
        ends = rules.probation_ends(v["probationary_since"], cfg["probation_years"])
        if v["full_member_since"] < ends:
            errors.append(("full_member_since", f"is before the probation ended ({ends})"))
    reached = v.get("reached_step")
    if reached is not None:
        low, high = rules.STAGE_STEP_RANGE[stage]
        if not low <= reached <= high:
            errors.append(("reached_step", f"a person registered as {stage} has reached a step from {low} to {high}"))
        elif stage == "applicant" and reached >= 1 and v.get("applied_on") is None:
            errors.append(("applied_on", "the application is done: give its date"))
    return errors


def age_violation(v: dict, cfg: dict) -> Violation | None:
    """MEMBERS.MIN_AGE on the application date (or, without it, the earliest stage date known)."""
    first = next((v[name] for name in STAGE_DATES if v.get(name)), None)
    if first is None or v.get("birth_date") is None:
        return None
    return rules.min_age(v["birth_date"], first, cfg["min_age"], cfg["feb29_birthday"])


def columns(v: dict, pii: PiiCipher, cfg: dict) -> dict:
    """The people row for a validated registration (PII encrypted, masked and hashed); the caller places it
    in its unit (``unit_id``, ``org_path``)."""
    stage = v.get("stage") or "applicant"
    reached = v.get("reached_step")
    if reached is None:
        reached = rules.STAGE_DEFAULT_REACHED[stage] if (stage != "applicant" or v.get("applied_on")) else 0
    id_number, phone = v.get("id_number"), v.get("phone")
    row = {
        "name": v["name"], "gender": v["gender"],
        "ethnicity": v.get("ethnicity"), "birth_date": v["birth_date"],
        "id_number_enc": pii.encrypt(id_number) if id_number else None,
        "id_number_hash": v.get("_hash") or (pii.keyed_hash(id_number) if id_number else None),
        "id_number_masked": mask_id_number(id_number), "phone_enc": pii.encrypt(phone) if phone else None,
        "phone_masked": mask_phone(phone), "education": v.get("education"), "occupation": v.get("occupation"),
        "party_group": v.get("party_group"), "stage": stage, "status": "active",
        "classification": v.get("classification"), "reached_step": reached, "extensions": 0, "version": 1,
    }
    for name in STAGE_DATES:
        row[name] = v.get(name)
    if v.get("probationary_since"):
        row["probation_ends_on"] = rules.probation_ends(v["probationary_since"], cfg["probation_years"])
    else:
        row["probation_ends_on"] = None
    return row


def opening_deadlines(row: dict, today: date, cfg: dict) -> list[tuple[str, date, date]]:
    """The clocks already running for someone registered mid-way: (kind, opened_on, due_on)."""
    move = bool(cfg["deadlines_move_off_holidays"])
    reached = row["reached_step"]
    out = []
    if row["stage"] == "applicant" and reached == 1 and row.get("applied_on"):
        out.append(("talk", row["applied_on"], rules.talk_due(row["applied_on"], cfg["talk_months"], move)))
    if row["stage"] == "activist" and row.get("activist_since"):
        # the next six-monthly assessment from today: the earlier ones are not on record here
        since, months = row["activist_since"], cfg["assessment_months"]
        periods = max(0, ((today.year - since.year) * 12 + today.month - since.month) // months)
        due_on = dates.add_months(since, periods * months)
        if due_on < today:
            due_on = dates.add_months(since, (periods + 1) * months)
        out.append(("assessment", today, rules.due(due_on, move)))
    if row["stage"] == "probationary" and row.get("probation_ends_on"):
        out.append(("probation_end", row["probationary_since"], row["probation_ends_on"]))
    return out


def id_taken(pii: PiiCipher, id_number: str) -> bool:
    return db_session().scalar(select(Person.id).where(Person.id_number_hash == pii.keyed_hash(id_number))) is not None


def already_registered() -> Problem:
    return Problem(409, "Conflict", "a person with this national ID number is already registered "
                   "(该身份证号码已登记)", kind="conflict")


def create(fields: dict) -> dict:
    """Register one person; a new applicant with ``applied_on`` has step 1 recorded at once."""
    session = db_session()
    cfg = rule_config()
    today = dates.today()
    unit = unit_in_scope(fields["unit_id"])
    if unit.status != "active":
        raise invalid(unit_id=["the unit is dissolved"])
    errors = registration_errors(fields, today, cfg)
    if errors:
        raise invalid(**{name: [message for n, message in errors if n == name] for name, _ in errors})
    violation = age_violation(fields, cfg)
    if violation:
        raise RuleViolation(violation)
    pii = cipher()
    if fields.get("id_number") and id_taken(pii, fields["id_number"]):
        raise already_registered()
    applicant_application = fields.get("stage", "applicant") == "applicant" and fields.get("applied_on")
    values = dict(fields)
    if applicant_application:
        values["applied_on"], values["reached_step"] = None, 0  # step 1 is recorded below, with its clock
    row = columns(values, pii, cfg)
    row.update(unit_id=unit.id, org_path=unit.path)
    person = Person(**row)
    session.add(person)
    session.flush()
    for kind, opened_on, due_on in opening_deadlines(row, today, cfg):
        deadlines.open_(person, kind, opened_on, due_on, None)
    audit("person", person.id, "created", {"unit_id": unit.id, "stage": person.stage,
                                           "reached_step": person.reached_step,
                                           "id_number": "recorded" if row["id_number_hash"] else None})
    emit_person("members.person.created", person)
    if applicant_application:
        procedure.record(person, {"kind": "application", "date": fields["applied_on"]})
    return present(person, today)


DETAILS = ("name", "ethnicity", "education", "occupation", "party_group")


def update(person: Person, fields: dict) -> dict:
    """Change a person's details (If-Match); the ID number only by a role that may see PII."""
    person = if_match(person)
    principal = current_principal()
    pii = cipher()
    changed = {}
    for name in DETAILS:
        if name in fields and fields[name] != getattr(person, name):
            if name == "name" and not fields[name]:
                raise invalid(name=["a name cannot be empty"])
            changed[name] = [getattr(person, name), fields[name]]
            setattr(person, name, fields[name])
    if "phone" in fields:
        phone = fields["phone"]
        person.phone_enc, person.phone_masked = (pii.encrypt(phone) if phone else None), mask_phone(phone)
        changed["phone"] = "changed"
    if "id_number" in fields:
        if not principal.may_see_pii:
            raise Problem(403, "Forbidden", "changing a national ID number needs a role that may see it",
                          kind="forbidden")
        id_number = fields["id_number"]
        if id_number:
            if birth_date_of(id_number) != person.birth_date:
                raise invalid(id_number=["its birth date is not the person's birth date"])
            new_hash = pii.keyed_hash(id_number)
            if new_hash != person.id_number_hash and id_taken(pii, id_number):
                raise already_registered()
            person.id_number_enc, person.id_number_hash = pii.encrypt(id_number), new_hash
        else:
            person.id_number_enc = person.id_number_hash = None
        person.id_number_masked = mask_id_number(id_number)
        changed["id_number"] = "changed"
    if changed:
        person.version += 1
        audit("person", person.id, "updated", changed)
        emit_person("members.person.updated", person)
    return present(person)
