"""The county's yearly screening of all its branches (全面摸底排查, LIFE.SCREENING).

A screening campaign per county and year; one record per branch with what was found. A finding marked
``problem`` enters the branch's problem list in evaluation (``org.screening.recorded``, source ``screening``).
A record sets its month in the branch's year row (``life_years.screening``): the compliance report lists the
branches of a whole year without one, and the campaign shows its progress (branches screened of all).
"""
from __future__ import annotations

from sqlalchemy import func, select

from shared.audit import diff
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause
from shared.messages import msg
from shared.request import audit, current_principal, db_session, emit

from . import rules
from .hearings import not_after_today, raised
from .meetings import mark_month, plain, set_months
from .models import ScreeningCampaign, ScreeningRecord, Unit
from .units import active_in_scope, subtree_path_for

CAMPAIGN_EDITABLE = ("title", "starts_on", "ends_on")
RECORD_EDITABLE = ("screened_on", "screened_by", "findings", "conclusion")


def _duplicate(what: str) -> Problem:
    return Problem(409, "Conflict", msg("org-duplicate", what=what), kind="duplicate")


# ----------------------------------------------------------------------------- campaigns

def open_campaign(fields: dict) -> dict:
    session = db_session()
    county = active_in_scope(fields["unit_id"], "unit_id")
    if county.kind != "county":
        raise invalid("unit_id", msg("org-not-a-county"))
    if session.scalar(select(ScreeningCampaign.id).where(ScreeningCampaign.unit_id == county.id,
                                                         ScreeningCampaign.year == fields["year"])):
        raise _duplicate("screening")
    _check_dates(fields["year"], fields["starts_on"], fields.get("ends_on"))
    campaign = ScreeningCampaign(unit_id=county.id, path=county.path, year=fields["year"], title=fields["title"],
                                 starts_on=fields["starts_on"], ends_on=fields.get("ends_on"), version=1)
    session.add(campaign)
    session.flush()
    audit("screening", campaign.id, "opened", {k: plain(getattr(campaign, k))
                                               for k in ("unit_id", "year", *CAMPAIGN_EDITABLE)})
    return campaign_view(campaign)


def _check_dates(year: int, starts_on, ends_on) -> None:
    for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day is not None and day.year != year:
            raise invalid(field, msg("org-screening-year", year=year))
    if ends_on is not None and ends_on < starts_on:
        raise invalid("ends_on", "'ends_on' is before 'starts_on'")


def change_campaign(campaign_id, changes: dict) -> dict:
    campaign = if_match(campaign_in_scope(campaign_id))
    before = {k: plain(getattr(campaign, k)) for k in CAMPAIGN_EDITABLE}
    for key in CAMPAIGN_EDITABLE:
        if key in changes:
            setattr(campaign, key, changes[key])
    _check_dates(campaign.year, campaign.starts_on, campaign.ends_on)
    campaign.version += 1
    after = {k: plain(getattr(campaign, k)) for k in CAMPAIGN_EDITABLE}
    audit("screening", campaign.id, "changed", diff(before, after))
    return campaign_view(campaign)


def campaign_in_scope(campaign_id) -> ScreeningCampaign:
    campaign = db_session().get(ScreeningCampaign, str(campaign_id))
    if campaign is None:
        raise not_found("screening")
    require_in_scope(current_principal(), campaign.path, "screening")
    return campaign


def _progress(session, campaigns: list[ScreeningCampaign]) -> dict[str, tuple[int, int]]:
    """Per campaign: (branches of the county, branches with a record)."""
    out = {}
    kinds = rules.REPORT_SUBJECTS["screening"]
    for campaign in campaigns:
        branches = session.scalar(select(func.count()).select_from(Unit).where(
            Unit.kind.in_(kinds), Unit.status == "active", under_clause(Unit.path, campaign.path))) or 0
        screened = session.scalar(select(func.count()).select_from(ScreeningRecord).join(
            Unit, Unit.id == ScreeningRecord.unit_id).where(
            ScreeningRecord.campaign_id == campaign.id, Unit.status == "active")) or 0
        out[campaign.id] = (branches, screened)
    return out


def _campaign_dump(campaign: ScreeningCampaign, progress: tuple[int, int]) -> dict:
    branches, screened = progress
    data = {c.key: getattr(campaign, c.key) for c in ScreeningCampaign.__table__.columns}
    data.update(branches=branches, screened=screened,
                screened_share=round(screened / branches, 4) if branches else None)
    return data


def campaign_view(campaign: ScreeningCampaign) -> dict:
    session = db_session()
    session.flush()
    return _campaign_dump(campaign, _progress(session, [campaign])[campaign.id])


def list_campaigns(args: dict) -> dict:
    session = db_session()
    stmt = select(ScreeningCampaign).where(under_clause(ScreeningCampaign.path, subtree_path_for(args.get("under"))))
    if args.get("year"):
        stmt = stmt.where(ScreeningCampaign.year == args["year"])
    page = paginate(session, stmt, [ScreeningCampaign.path, ScreeningCampaign.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    progress = _progress(session, page["items"])
    return {**page, "items": [_campaign_dump(c, progress[c.id]) for c in page["items"]]}


# ----------------------------------------------------------------------------- one record per branch

def record(campaign_id, fields: dict) -> dict:
    """A branch's screening record: the branch lies in the campaign's county, once per campaign."""
    session = db_session()
    campaign = campaign_in_scope(campaign_id)
    branch = active_in_scope(fields["unit_id"], "unit_id")
    if branch.kind not in rules.REPORT_SUBJECTS["screening"]:
        raise invalid("unit_id", msg("org-not-a-branch"))
    if not branch.path.startswith(campaign.path):
        raise invalid("unit_id", msg("org-screening-outside-county"))
    _check_day(campaign, fields["screened_on"])
    if session.scalar(select(ScreeningRecord.id).where(ScreeningRecord.campaign_id == campaign.id,
                                                       ScreeningRecord.unit_id == branch.id)):
        raise _duplicate("screening_record")
    row = ScreeningRecord(campaign_id=campaign.id, unit_id=branch.id, path=branch.path, year=campaign.year,
                          screened_on=fields["screened_on"], screened_by=fields["screened_by"],
                          findings=plain(fields.get("findings") or []), conclusion=fields.get("conclusion"), version=1)
    session.add(row)
    session.flush()
    mark_month(session, branch.id, branch.path, row.screened_on, "screening")
    audit("screening_record", row.id, "recorded", {k: plain(getattr(row, k)) for k in ("campaign_id", "unit_id",
                                                                                        *RECORD_EDITABLE)})
    _announce(row, campaign)
    return record_view(row)


def _check_day(campaign: ScreeningCampaign, day) -> None:
    if day.year != campaign.year:
        raise invalid("screened_on", msg("org-screening-year", year=campaign.year))
    not_after_today("screened_on", day)


def correct(record_id, changes: dict) -> dict:
    session = db_session()
    row = if_match(record_in_scope(record_id))
    campaign = session.get(ScreeningCampaign, row.campaign_id)
    if "screened_on" in changes:
        _check_day(campaign, changes["screened_on"])
    before = {k: plain(getattr(row, k)) for k in RECORD_EDITABLE}
    for key in RECORD_EDITABLE:
        if key in changes:
            setattr(row, key, plain(changes[key]) if key == "findings" else changes[key])
    row.version += 1
    session.flush()
    days = session.scalars(select(ScreeningRecord.screened_on).where(ScreeningRecord.unit_id == row.unit_id,
                                                                     ScreeningRecord.year == row.year)).all()
    set_months(session, row.unit_id, row.path, row.year, "screening", days)
    after = {k: plain(getattr(row, k)) for k in RECORD_EDITABLE}
    audit("screening_record", row.id, "corrected", diff(before, after))
    _announce(row, campaign)
    return record_view(row)


def _announce(row: ScreeningRecord, campaign: ScreeningCampaign) -> None:
    emit("org.screening.recorded", {
        "record_id": row.id, "campaign_id": row.campaign_id, "county_unit_id": campaign.unit_id,
        "unit_id": row.unit_id, "year": row.year, "screened_on": row.screened_on, "screened_by": row.screened_by,
        "findings": raised(row.findings), "record_version": row.version}, org_path=row.path)


def record_view(row: ScreeningRecord) -> dict:
    return {c.key: getattr(row, c.key) for c in ScreeningRecord.__table__.columns}


def record_in_scope(record_id) -> ScreeningRecord:
    row = db_session().get(ScreeningRecord, str(record_id))
    if row is None:
        raise not_found("screening_record")
    require_in_scope(current_principal(), row.path, "screening_record")
    return row


def list_records(campaign_id, args: dict) -> dict:
    campaign = campaign_in_scope(campaign_id)
    stmt = select(ScreeningRecord).where(ScreeningRecord.campaign_id == campaign.id,
                                         under_clause(ScreeningRecord.path, subtree_path_for(args.get("under"))))
    page = paginate(db_session(), stmt, [ScreeningRecord.path, ScreeningRecord.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    return {**page, "items": [record_view(r) for r in page["items"]]}
