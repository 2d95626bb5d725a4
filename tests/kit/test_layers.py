"""The kit and each service read bottom-up: their modules' imports form no cycle, counting the imports
inside functions too (an import moved into a function to break a cycle is still a cycle), and the kit's
layers in docs/architecture.md agree with its imports."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["shared", "services/org", "services/members", "services/training", "services/evaluation",
            "services/webhooks"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str) -> set[str]:
    """The modules of ``package`` (a prefix) that ``path`` imports, anywhere in the file."""
    here = module_name(path)
    base = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []  # annotations only: never imported at run time
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                target = f"{anchor}.{node.module}" if node.module else anchor
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update([target, *names])
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith(package + ".") or name == package}


def graph(package_dir: str) -> dict[str, set[str]]:
    package = package_dir.replace("/", ".")
    files = sorted((ROOT / package_dir).rglob("*.py"))
    modules = {module_name(f): f for f in files if "migrations" not in f.parts}
    edges = {}
    for name, path in modules.items():
        targets = {t for t in imports_of(path, package) if t in modules}
        edges[name] = {t for t in targets if t != name and not name.startswith(t + ".")} - {package}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package_dir", PACKAGES)
def test_no_import_cycle(package_dir):
    assert cycles(graph(package_dir)) == []


def test_the_kit_imports_no_service_and_no_launcher():
    """The kit is below the services: what starts the suite (the launcher) imports the kit, not the other way."""
    offenders = {module_name(path): sorted(imports_of(path, "services") | imports_of(path, "demo"))
                 for path in sorted((ROOT / "shared").rglob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}


def documented_layers() -> dict[str, int]:
    """The kit's layers as docs/architecture.md lists them (``- **layer N**: `module`, ...``)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers:", 1)[1].split("<!-- /layers -->", 1)[0]
    layers = {}
    for number, modules in re.findall(r"^- \*\*layer (\d+)\*\*[^:]*: (.+)$", block, flags=re.M):
        for module in re.findall(r"`([\w.*]+)`", modules):
            layers[module] = int(number)
    return layers


def test_docs_architecture_lists_every_kit_module_above_everything_it_imports():
    edges = graph("shared")
    layers = documented_layers()

    def layer_of(module: str) -> int | None:
        name = module.removeprefix("shared.")
        if name in layers:
            return layers[name]
        parent = name.rsplit(".", 1)[0] + ".*"
        return layers.get(parent) if "." in name else None

    unlisted = sorted(m for m in edges if m != "shared" and layer_of(m) is None)
    assert unlisted == [], "add these to the layers in docs/architecture.md, above what they import"
    upward = [(m, layer_of(m), t, layer_of(t)) for m in sorted(edges) if m != "shared"
              for t in sorted(edges[m]) if layer_of(t) >= layer_of(m)]
    assert upward == [], "a module imports one on its own layer or above: move it up in docs/architecture.md"
    gone = sorted(name for name in layers if name != "catalog.*" and f"shared.{name}" not in edges)
    assert gone == [], "docs/architecture.md lists kit modules that no longer exist"
