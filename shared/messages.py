"""The one catalog of messages a user can see: Chinese first, English beside it.

Every ``detail`` the suite answers (the services' problem+json, the gateway's, import reports, field
errors) is built from an entry here, never from a string written where the error is raised::

    raise Problem(404, "Not Found", msg("not-found", what="unit"), kind="not-found")

An entry is a pair of ``str.format`` templates (zh, en) over the same named parameters. A parameter that
names a thing of the domain (``what="unit"``) is rendered in each language by ``TERMS``; a count can use
``{n}`` with ``plural()`` for the English side. This module imports nothing of the kit: it is the bottom
layer, usable by the gateway as well as by the services.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One message in both languages."""

    key: str
    zh: str
    en: str

    def __str__(self) -> str:  # the problem's ``detail``: Chinese first, English beside it
        return f"{self.zh} / {self.en}"

    def as_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en}


# Names of domain things used as parameters (``what=``) in messages: the Chinese side shows them in Chinese.
TERMS: dict[str, str] = {
    "resource": "记录",
    "unit": "组织",
    "person": "人员",
    "committee": "委员会",
    "meeting": "会议",
    "class": "培训班",
    "course": "课程",
    "problem": "问题",
    "scorecard": "评分表",
    "transfer": "组织关系转接",
    "subscription": "订阅",
    "import": "导入任务",
}


def term(name: str) -> str:
    """The Chinese name of a domain term (the term itself when the catalog has none)."""
    return TERMS.get(name, name)


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 unit`` / ``2 units`` for the English side (Chinese has no plural)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# key -> (zh, en). Sections by who raises them; keep keys kebab-case and stable (tests name them).
CATALOG: dict[str, tuple[str, str]] = {
    # --- the kit's HTTP conventions -----------------------------------------------------------------
    "not-found": ("没有这个{what_zh}", "no such {what}"),
    "unauthorized": ("需要 Authorization: Bearer 令牌", "an Authorization: Bearer token is required"),
    "forbidden-roles": ("此操作需要以下角色之一：{roles}", "this needs one of the roles: {roles}"),
    "invalid-fields": ("请求中有无效字段，见 errors", "the request has invalid fields; see errors"),
    "precondition-required": ("请在 If-Match 中带上读取时得到的 ETag，以免覆盖他人的修改",
                              "send If-Match with the ETag you read, so that no one's change is overwritten"),
    "precondition-failed": ("记录在您读取之后已被修改；请重新读取后再修改",
                            "the record changed since you read it; read it again and re-apply your change"),
    "conflict": ("此修改与已有记录冲突", "the change conflicts with an existing record"),
    "unavailable": ("服务的数据库暂时无响应，请稍后重试（带同一 Idempotency-Key 重发的创建请求只会执行一次）",
                    "the service's database is not answering; try again shortly (a creating request "
                    "repeated with its Idempotency-Key is applied once)"),
    "server-error": ("服务器出错；可凭请求编号在日志中查到原因",
                     "the server failed; the request id identifies it in the logs"),
}


def msg(key: str, **params) -> Message:
    """The catalog's message ``key`` with ``params`` filled in; ``what`` gets its Chinese name as ``what_zh``."""
    zh, en = CATALOG[key]
    if "what" in params and "what_zh" not in params:
        params["what_zh"] = term(str(params["what"]))
    return Message(key, zh.format(**params), en.format(**params))
