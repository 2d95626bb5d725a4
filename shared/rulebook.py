"""The rules a service encodes, declared once as data: code, kind, article, what it says, its configuration.

Each service's ``rules.py`` fills a ``Rulebook`` next to its ``DEFAULTS``::

    RULEBOOK = Rulebook("org", DEFAULTS)
    RULEBOOK.declare("ORG.BRANCH_MIN_MEMBERS", "report", "条例 art. 5",
                     "A branch needs 3+ full members, else a joint branch of at most 5 units.",
                     config=("branch_min_full_members", "joint_branch_max_units"))

and ``RULEBOOK.measures(code, config=...)`` where it checks a rule another service declares, with its own
configuration keys (evaluation measures ``ORG.VACANCY`` with ``ORG.VACANCY_MONTHS``).

``zhibu rules`` writes docs/rules.md from every service's rulebook (``as_markdown``), as ``zhibu catalog``
writes docs/events.md; tests/kit/test_rulebook.py fails when a code used in services/ is not declared or the
file is stale. The declarations change nothing the rules do: the functions in ``rules.py`` still return a
``Violation`` with the code.

The three kinds (what the software does when the rule is broken):

- **gate**: a condition a step needs; a step that fails it is refused (409 with the code, nothing written);
- **deadline**: a time limit on a step that must still happen; a late step is recorded as it happened, with
  the code as its breach, and an alert warns before the date;
- **report**: a standard measured over a period or over existing records, listed with the figures that
  break it.
"""
from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass

from . import dates

KINDS = ("gate", "deadline", "report")
CODE = re.compile(r"^[A-Z]+\.[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Rule:
    code: str
    kinds: tuple[str, ...]
    article: str
    summary: str
    service: str
    config: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """A rule declared by another service, checked here with this service's own configuration keys."""
    code: str
    service: str
    config: tuple[str, ...]


class Rulebook:
    def __init__(self, service: str, defaults: dict):
        self.service = service
        self.defaults = defaults
        self.rules: dict[str, Rule] = {}
        self.measured: list[Measure] = []

    def declare(self, code: str, kinds: str | tuple[str, ...], article: str, summary: str, *,
                config: tuple[str, ...] = ()) -> str:
        """Declare the rule ``code`` (``kinds``: one of KINDS or several, e.g. a gate at an election and a
        report on existing units); ``config``: the keys of ``DEFAULTS`` that hold its numbers."""
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        if not CODE.match(code):
            raise ValueError(f"{code!r} is not a rule code (AREA.NAME)")
        if code in self.rules:
            raise ValueError(f"{code} declared twice in {self.service}")
        if not kinds or set(kinds) - set(KINDS):
            raise ValueError(f"{code}: kinds {kinds} not among {KINDS}")
        self._check_keys(code, config)
        self.rules[code] = Rule(code, kinds, article, summary, self.service, tuple(config))
        return code

    def measures(self, code: str, *, config: tuple[str, ...] = ()) -> str:
        """This service checks ``code``, declared by another service, with these keys of its ``DEFAULTS``."""
        self._check_keys(code, config)
        self.measured.append(Measure(code, self.service, tuple(config)))
        return code

    def _check_keys(self, code: str, config: tuple[str, ...]) -> None:
        missing = [key for key in config if key not in self.defaults]
        if missing:
            raise ValueError(f"{code}: {', '.join(missing)} not in {self.service}'s DEFAULTS")


def check(rulebooks: list[Rulebook]) -> list[str]:
    """What is wrong across the services: a code declared twice, a measured code nobody declares."""
    problems, owner = [], {}
    for book in rulebooks:
        for code in book.rules:
            if code in owner:
                problems.append(f"{code} declared by {owner[code]} and {book.service}")
            owner[code] = book.service
    for book in rulebooks:
        for measure in book.measured:
            if measure.code not in owner:
                problems.append(f"{book.service} measures {measure.code}, which no service declares")
    return problems


def _value(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 240 else text[:237] + "..."


def as_markdown(rulebooks: list[Rulebook]) -> str:
    """docs/rules.md: every declared rule by area, with its kind, article, summary and configuration."""
    rules = sorted((rule for book in rulebooks for rule in book.rules.values()), key=lambda r: r.code)
    defaults = {book.service: book.defaults for book in rulebooks}
    measured: dict[str, list[Measure]] = {}
    for book in rulebooks:
        for measure in book.measured:
            measured.setdefault(measure.code, []).append(measure)
    lines = [
        "# Rules",
        "",
        "Generated by `zhibu rules` from each service's `RULEBOOK` (`services/<name>/rules.py`, "
        "`shared/rulebook.py`); do not edit by hand.",
        "",
        "Every rule has a stable code. A broken **gate** refuses the step (409 problem+json with the code, "
        "nothing written); a **deadline** is recorded as it happened, with the code as its breach, and "
        "warned of before the date; a **report** is measured over the records and listed with the figures "
        "that break it. The numbers are configuration: the keys below, with their defaults, are overridden "
        "per deployment by the service's section of the JSON file `ZHIBU_RULES_FILE` names "
        "(`{\"org\": {\"branch_max_members\": 40}}`).",
        "",
    ]
    area = None
    for rule in rules:
        if rule.code.split(".")[0] != area:
            area = rule.code.split(".")[0]
            lines += [f"## {area}", "", "| code | kind | service | article | rule | configuration (default) |",
                      "| --- | --- | --- | --- | --- | --- |"]
        settings = [f"`{key}` = `{_value(defaults[rule.service][key])}`" for key in rule.config]
        settings += [f"{m.service}: `{key}` = `{_value(defaults[m.service][key])}`"
                     for m in measured.get(rule.code, ()) for key in m.config]
        settings += [f"checked by {m.service}" for m in measured.get(rule.code, ()) if not m.config]
        lines.append(f"| `{rule.code}` | {', '.join(rule.kinds)} | {rule.service} | {rule.article or '-'} | "
                     f"{rule.summary.replace('|', '/')} | {'<br>'.join(settings) or '-'} |")
        if rule is rules[-1] or rules[rules.index(rule) + 1].code.split(".")[0] != area:
            lines.append("")
    lines += ["## Counting dates", "", "Every deadline above is counted the same way (`shared/dates.py`):", "",
              inspect.cleandoc(dates.__doc__.split("\n", 1)[1]), ""]
    return "\n".join(lines)
