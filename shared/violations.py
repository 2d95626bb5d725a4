"""A broken rule as data: its code, both languages, and the dates involved.

Rules in each service's ``rules.py`` return a ``Violation`` (or None); the kit
turns a gate's violation into a 409 problem+json, and a deadline's into a
breach recorded with the step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Violation:
    code: str
    en: str
    zh: str
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "en": self.en, "zh": self.zh,
                "facts": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.facts.items()}}


class RuleViolation(Exception):
    """Raised by domain code when a gate refuses a step: 409, nothing written."""

    def __init__(self, *violations: Violation):
        if not violations:
            raise ValueError("RuleViolation needs at least one violation")
        super().__init__("; ".join(v.en for v in violations))
        self.violations = violations
