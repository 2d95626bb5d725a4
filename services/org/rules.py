"""The org regulations as pure functions (条例 = 中国共产党支部工作条例（试行）2018).

No database, no request, no clock: callers pass what the rule needs.
"""
from __future__ import annotations

from shared.violations import Violation

#: which kinds of unit may stand directly under which (党组织设置)
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    "province": (None,),
    "city": ("province",),
    "county": ("city",),
    "township": ("county",),
    "grassroots_committee": ("province", "city", "county", "township", "grassroots_committee"),
    "general_branch": ("county", "township", "grassroots_committee"),
    "branch": ("county", "township", "grassroots_committee", "general_branch"),
    "joint_branch": ("county", "township", "grassroots_committee", "general_branch"),
    "party_group": ("branch", "joint_branch"),
}

KIND_NAMES_ZH = {
    "province": "省委", "city": "市委", "county": "县委", "township": "乡镇（街道）党（工）委",
    "grassroots_committee": "基层党委", "general_branch": "党总支", "branch": "党支部",
    "joint_branch": "联合党支部", "party_group": "党小组",
}


def unit_nesting(kind: str, parent_kind: str | None) -> Violation | None:
    """ORG.UNIT_NESTING: a unit stands only under a kind that may lead it (条例 art. 5; 党章 art. 30)."""
    if parent_kind in ALLOWED_PARENTS[kind]:
        return None
    allowed = [p for p in ALLOWED_PARENTS[kind] if p]
    if parent_kind is None:
        return Violation("ORG.UNIT_NESTING",
                         en=f"a {kind} needs a parent unit ({', '.join(allowed)})",
                         zh=f"{KIND_NAMES_ZH[kind]}须隶属于上级党组织",
                         facts={"kind": kind})
    return Violation(
        "ORG.UNIT_NESTING",
        en=f"a {kind} cannot stand under a {parent_kind}; its parent must be one of: {', '.join(allowed) or 'none'}",
        zh=f"{KIND_NAMES_ZH[kind]}不能设在{KIND_NAMES_ZH[parent_kind]}之下",
        facts={"kind": kind, "parent_kind": parent_kind},
    )
