"""The organizations table of the annual statistics (STATS.ORGANIZATIONS) as of 31 December: units by kind and
sector as they stood that day, branches with and without a committee, terms ended in the year and whether
they were re-elected on time."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from .conftest import API
from .test_committees_api import elect

ROLES = ("secretary", "organization", "propaganda")


def committee(org, unit, elected_on, seats=3):
    ids = org.members(unit, 7) if seats == 3 else org.members(unit, 1)
    resp = elect(org, unit, list(zip(ROLES[:seats], ids)), elected_on=elected_on)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_the_organizations_of_a_year(org, tree):
    county, township = tree["county"], tree["township"]
    on_time, late = tree["branch"], org.unit("branch", township, name="晚换届村党支部", domain="village")
    small = org.unit("branch", township, name="小支部", domain="private_enterprise")
    org.unit("grassroots_committee", county, name="某企业党委", domain="state_owned_enterprise")
    org.unit("branch", township, name="新建支部", domain="community", established_on="2026-03-01")
    committee(org, on_time, "2020-02-28")              # a village term of 5 years: ends 2025-02-28
    committee(org, on_time, "2025-02-28")              # re-elected on the term's last day: on time
    committee(org, late, "2020-01-10")                 # ends 2025-01-10
    committee(org, late, "2025-04-01")                 # re-elected late
    committee(org, small, "2024-03-01", seats=1)       # a secretary alone: no committee
    resp = org.get("/statistics", under=county["id"], year=2025)
    assert resp.status_code == 200, resp.json
    result = resp.json
    o = result["organizations"]
    assert o["by_kind"] == {"grassroots_committee": 1, "general_branch": 0, "branch": 3, "joint_branch": 0}
    assert o["total"] == 4                             # the branch set up in 2026 is not counted for 2025
    assert o["by_sector"]["village"] == 2
    assert result["branches"] == {"total": 3, "with_committee": 2, "without_committee": 1}
    assert result["terms"] == {"ended": 2, "re_elected_on_time": 1, "re_elected_late": 1, "not_re_elected": 0}
    later = org.get("/statistics", under=county["id"], year=2026).json
    assert later["organizations"]["by_kind"]["branch"] == 4
    assert later["terms"]["ended"] == 0
    book = org.get("/statistics", under=county["id"], year=2025, format="xlsx")
    assert book.status_code == 200
    rows = list(load_workbook(io.BytesIO(book.data))["基层党组织情况"].iter_rows(values_only=True))
    assert rows[0] == ("分组", "项目", "数量")
    assert ("换届", "按期换届的", 1) in rows
    assert ("类别", "党支部", 3) in rows


def test_organizations_are_scope_checked(org, tree):
    county = org.as_("organizer", tree["county"]["id"])
    assert org.get("/statistics", headers=county, under=tree["other_county"]["id"], year=2025).status_code == 404
    assert org.get("/statistics", headers=county, year=1900).status_code == 422
    mine = org.get("/statistics", headers=county, year=2025).json
    assert mine["organizations"]["by_kind"]["branch"] == 1
