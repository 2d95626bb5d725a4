"""docs/rules.md is generated from the services' rulebooks (shared/rulebook.py, ``zhibu rules``) and names
every rule code the services use."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared import rulebook
from shared.rulebook import Rulebook
from zhibu.cli import rulebooks

ROOT = Path(__file__).resolve().parents[2]


def codes_used_in_services() -> dict[str, str]:
    """Every string literal in services/ that is a rule code (AREA.NAME), with a file it is in; a literal used
    as a key (``config["EVAL.FIVE_STAR_CAP"]``, evaluation's ``DEFAULTS``, a declaration's ``config=``) names
    configuration, not a code."""
    found = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)}
        keys |= {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
        keys |= {id(key) for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "config"
                 for key in ast.walk(node.value)}  # a rulebook declaration's configuration keys
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in keys
                    and rulebook.CODE.match(node.value)):
                found.setdefault(node.value, str(path.relative_to(ROOT)))
    return found


def test_every_rule_code_used_in_the_services_is_declared_in_a_rulebook():
    declared = {code for book in rulebooks() for code in book.rules}
    used = codes_used_in_services()
    assert len(used) >= 50
    missing = {code: where for code, where in used.items() if code not in declared}
    assert not missing, f"declare these in the service's rules.py RULEBOOK, then `make rules`: {missing}"


def test_the_rulebooks_agree_no_code_twice_and_every_measured_code_declared():
    assert rulebook.check(rulebooks()) == []


def test_docs_rules_md_is_generated_from_the_rulebooks_and_current():
    expected = rulebook.as_markdown(rulebooks()) + "\n"
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == expected, \
        "docs/rules.md is stale: run `make rules` (zhibu rules > docs/rules.md)"


def test_docs_rules_md_lists_each_declared_code_with_its_kind_and_configuration():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for book in rulebooks():
        for rule in book.rules.values():
            row = next(line for line in text.splitlines() if line.startswith(f"| `{rule.code}` |"))
            assert ", ".join(rule.kinds) in row
            for key in rule.config:
                assert f"`{key}`" in row


@pytest.mark.parametrize("code, kinds, config, error", [
    ("ORG.X", "gate", (), None),
    ("ORG.X", ("gate", "report"), ("limit",), None),
    ("org.x", "gate", (), "not a rule code"),
    ("ORG.X", "warning", (), "kinds"),
    ("ORG.X", (), (), "kinds"),
    ("ORG.X", "gate", ("nowhere",), "not in org's DEFAULTS"),
])
def test_a_declaration_is_checked_where_it_is_made(code, kinds, config, error):
    book = Rulebook("org", {"limit": 3})
    if error is None:
        assert book.declare(code, kinds, "条例 art. 5", "a rule", config=config) == code
    else:
        with pytest.raises(ValueError, match=error):
            book.declare(code, kinds, "条例 art. 5", "a rule", config=config)


def test_a_code_declared_twice_is_refused():
    book = Rulebook("org", {})
    book.declare("ORG.X", "gate", "-", "a rule")
    with pytest.raises(ValueError, match="declared twice"):
        book.declare("ORG.X", "report", "-", "again")
    other = Rulebook("members", {})
    other.declare("ORG.X", "gate", "-", "a rule")
    other.measures("ORG.Y")
    assert rulebook.check([book, other]) == ["ORG.X declared by org and members",
                                             "members measures ORG.Y, which no service declares"]
