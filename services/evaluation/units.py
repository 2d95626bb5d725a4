"""The org tree as this service knows it (the kit's ``OrgUnitView``): scope checks, subtrees, regions.

A *region* is a province, city or county unit. Each rated branch belongs to its deepest region
(normally its county): that region's five-star quota, ledger and scorecard apply to it.
"""
from __future__ import annotations

from sqlalchemy import select

from shared.request import current_principal, unit_in_scope
from shared.dates import today
from shared.errors import invalid
from shared.http import subtree_path

from .models import OrgUnitView

REGION_KINDS = ("province", "city", "county")



def subtree(under) -> str:
    """The path a list covers: ``under`` (inside the caller's scope) or the whole scope."""
    return subtree_path(current_principal(), unit_in_scope(under).path if under else None)


def region_in_scope(unit_id, field: str) -> OrgUnitView:
    """A province, city or county unit inside the caller's scope (422 for another kind of unit)."""
    unit = unit_in_scope(unit_id)
    if unit.kind not in REGION_KINDS:
        raise invalid(field, f"a {unit.kind} is not a county, city or province")
    return unit


def check_year(year: int, location: str = "query", field: str = "year") -> int:
    """A year of assessment has begun (422 otherwise)."""
    if year > today().year:
        raise invalid(field, "a year that has not begun", location=location)
    return year


def prefixes(path: str) -> list[str]:
    """``/a/b/c/`` -> ``['/a/b/c/', '/a/b/', '/a/']``: the path and its ancestors' paths, deepest first."""
    out = []
    end = len(path)
    while end > 1:
        out.append(path[:end])
        end = path.rfind("/", 0, end - 1) + 1
    return out


def load_regions(session) -> dict[str, tuple[str, str, str]]:
    """Every region unit: path -> (id, name, kind). A province has a few hundred."""
    rows = session.execute(select(OrgUnitView.path, OrgUnitView.id, OrgUnitView.name, OrgUnitView.kind)
                           .where(OrgUnitView.kind.in_(REGION_KINDS)))
    return {path: (unit_id, name, kind) for path, unit_id, name, kind in rows}


def deepest_region(path: str, regions: dict) -> tuple[str, str, str, str] | None:
    """(path, id, name, kind) of the deepest region at or above ``path``."""
    for prefix in prefixes(path):
        found = regions.get(prefix)
        if found is not None:
            return (prefix, *found)
    return None
