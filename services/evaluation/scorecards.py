"""Scorecard templates: the province default, overridden by a city or a county; every change a new version.

A branch is scored with the scorecard of its deepest region that has one (county, else city, else
province), else with the built-in default of ``rules.DEFAULTS``. Versions are never rewritten:
an assessment and a published rating name the version they used.
"""
from __future__ import annotations

from sqlalchemy import select

from shared.request import audit, current_principal, db_session, rule_config, unit_in_scope
from shared.errors import Problem, not_found
from shared.http import if_match, paginate, under_clause

from .models import Scorecard, ScorecardVersion
from .scoring import Card
from .units import prefixes, region_in_scope, subtree


def default_card(config: dict) -> Card:
    default = config["EVAL.DEFAULT_SCORECARD"]
    return Card(None, default["name"], default["criteria"], default["vetoes"])


def get_in_scope(card_id) -> Scorecard:
    card = db_session().get(Scorecard, str(card_id))
    if card is None or not current_principal().sees(card.region_path):
        raise not_found("scorecard")
    return card


def version_of(card: Scorecard, number: int | None = None) -> ScorecardVersion:
    found = db_session().scalar(select(ScorecardVersion).where(ScorecardVersion.scorecard_id == card.id,
                                                               ScorecardVersion.number == (number or card.version)))
    if found is None:
        raise not_found("scorecard version")
    return found


def present(card: Scorecard) -> dict:
    """The scorecard with the criteria and veto items of its version in force."""
    version = version_of(card)
    return {"id": card.id, "region_unit_id": card.region_unit_id, "region_path": card.region_path,
            "region_kind": card.region_kind, "name": card.name, "version": card.version,
            "created_by": card.created_by, "created_at": card.created_at, "updated_at": card.updated_at,
            "criteria": version.criteria, "vetoes": version.vetoes}


def create(fields: dict) -> Scorecard:
    session = db_session()
    region = region_in_scope(fields["region_id"], "region_id")
    if session.scalar(select(Scorecard.id).where(Scorecard.region_unit_id == region.id)) is not None:
        raise Problem(409, "Conflict", "this region already has a scorecard; change it with PUT to add a version",
                      kind="conflict")
    actor = current_principal().subject
    card = Scorecard(region_unit_id=region.id, region_path=region.path, region_kind=region.kind,
                     name=fields["name"], version=1, created_by=actor)
    session.add(card)
    session.flush()
    session.add(ScorecardVersion(scorecard_id=card.id, number=1, name=fields["name"], criteria=fields["criteria"],
                                 vetoes=fields["vetoes"], note=fields.get("note"), created_by=actor))
    session.flush()
    audit("scorecard", card.id, "created", {"region_id": region.id, "name": card.name, "version": 1,
                                            "criteria": fields["criteria"], "vetoes": fields["vetoes"]})
    return card


def change(card_id, fields: dict) -> Scorecard:
    """A new version; the old ones stay as they were, and so do the ratings published with them."""
    card = if_match(get_in_scope(card_id))
    card.version += 1
    card.name = fields["name"]
    db_session().add(ScorecardVersion(scorecard_id=card.id, number=card.version, name=fields["name"],
                                      criteria=fields["criteria"], vetoes=fields["vetoes"], note=fields.get("note"),
                                      created_by=current_principal().subject))
    db_session().flush()
    audit("scorecard", card.id, "versioned", {"version": card.version, "name": card.name,
                                              "criteria": fields["criteria"], "vetoes": fields["vetoes"],
                                              "note": fields.get("note")})
    return card


def list_cards(args: dict) -> dict:
    stmt = select(Scorecard).where(under_clause(Scorecard.region_path, subtree(args.get("under"))))
    return paginate(db_session(), stmt, [Scorecard.region_path], cursor=args.get("cursor"), limit=args["limit"])


def list_versions(card_id, args: dict) -> dict:
    card = get_in_scope(card_id)
    stmt = select(ScorecardVersion).where(ScorecardVersion.scorecard_id == card.id)
    return paginate(db_session(), stmt, [ScorecardVersion.number], cursor=args.get("cursor"), limit=args["limit"])


def cards_for(session, region_paths: list[str], config: dict) -> dict[str, Card]:
    """The scorecard in force for each region path: one query for all of them."""
    wanted = {p for path in region_paths for p in prefixes(path)}
    found = {}
    if wanted:
        rows = session.execute(
            select(Scorecard.region_path, ScorecardVersion.id, ScorecardVersion.name, ScorecardVersion.criteria,
                   ScorecardVersion.vetoes)
            .join(ScorecardVersion, (ScorecardVersion.scorecard_id == Scorecard.id)
                  & (ScorecardVersion.number == Scorecard.version))
            .where(Scorecard.region_path.in_(sorted(wanted))))
        found = {row[0]: Card(row[1], row[2], row[3], row[4]) for row in rows}
    fallback = default_card(config)
    return {path: next((found[p] for p in prefixes(path) if p in found), fallback) for path in region_paths}


def effective_for(unit_id) -> dict:
    """The scorecard that scores this unit's branches, wherever it is defined."""
    unit = unit_in_scope(unit_id)
    config = rule_config()
    session = db_session()
    card = cards_for(session, [unit.path], config)[unit.path]
    source = None
    if card.version_id is not None:
        version = session.get(ScorecardVersion, card.version_id)
        owner = session.get(Scorecard, version.scorecard_id)
        source = {"scorecard_id": owner.id, "region_id": owner.region_unit_id, "version": version.number}
    return {"unit_id": unit.id, "built_in": card.version_id is None, "source": source, "name": card.name,
            "criteria": card.criteria, "vetoes": card.vetoes}
