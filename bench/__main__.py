"""Run the benchmarks and write docs/benchmarks.md.

    python -m bench [--size small|province] [--only NAME ...] [--pg postgresql://...] [--as LABEL]

Each benchmark module in this folder exposes ``run(size, pg_admin_url) -> list[dict]``
and measures its own baseline in the same run. Needs PostgreSQL, RabbitMQ and wrk.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from .common import PG_ADMIN_URL, machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.json"


def modules() -> list[str]:
    folder = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name not in ("common", "__main__"))


def _blank(value) -> str:
    return "" if value is None else str(value)


def render(results: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`); every figure comes with a baseline measured in the same",
        "run and the ratio between them. Nothing here is a test: the test suite has no timed assertions.",
        "",
    ]
    for name in sorted(results):
        entry = results[name]
        lines += [f"## {name}", "", f"- command: `{entry['command']}`", f"- size: {entry['size']}",
                  f"- machine: {entry['machine']}", f"- measured: {entry['when']}", ""]
        if entry.get("note"):
            lines += [entry["note"].strip(), ""]
        if entry.get("error"):
            lines += ["Failed:", "", "```", entry["error"].strip()[-2000:], "```", ""]
            continue
        lines += ["| benchmark | figure | target | baseline | ratio | data |", "| --- | --- | --- | --- | --- | --- |"]
        for row in entry["rows"]:
            lines.append(f"| {row['name']} | **{row['figure']} {row['unit']}** | {row.get('target', '')} | "
                         f"{row.get('baseline_name', '')}: {row.get('baseline', '')} | {_blank(row.get('ratio'))} | "
                         f"{row.get('data_size', '')} |")
        lines.append("")
        lines += _breakdown(entry["rows"])
    return "\n".join(lines)


def _breakdown(rows: list[dict]) -> list[str]:
    """A second table for rows that carry a ``breakdown`` (column -> figure), such as the cost table."""
    rows = [row for row in rows if row.get("breakdown")]
    if not rows:
        return []
    columns = list(dict.fromkeys(key for row in rows for key in row["breakdown"]))
    lines = [f"| {rows[0]['unit']} | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for row in rows:
        lines.append(f"| {row['name']} | " + " | ".join(_blank(row["breakdown"].get(c)) for c in columns) + " |")
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--size", default="small", choices=["small", "county", "city", "province"])
    parser.add_argument("--only", nargs="*", default=None, help=f"any of: {', '.join(modules())}")
    parser.add_argument("--pg", default=PG_ADMIN_URL)
    parser.add_argument("--as", dest="label", default=None,
                        help="keep the results under this name (e.g. 'cost before the cuts'), not the module's")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    failed = False
    for name in args.only or modules():
        command = f"python -m bench --size {args.size} --only {name}" + (f" --as '{args.label}'" if args.label else "")
        print(f"== {name} ({args.size})", flush=True)
        entry = {"command": command, "size": args.size, "machine": machine(),
                 "when": time.strftime("%Y-%m-%d %H:%M")}
        try:
            module = importlib.import_module(f"bench.{name}")
            entry["rows"] = module.run(args.size, args.pg)
            if getattr(module, "NOTE", None):  # what the figures mean, kept beside them
                entry["note"] = module.NOTE
            for row in entry["rows"]:
                print(f"   {row['name']}: {row['figure']} {row['unit']} (baseline {row.get('baseline')}, "
                      f"ratio {row.get('ratio')})", flush=True)
        except Exception:  # noqa: BLE001 - recorded in the report, the others still run
            failed = True
            entry["error"] = traceback.format_exc()
            print(entry["error"], file=sys.stderr)
        results[args.label or name] = entry
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
        (ROOT / "docs" / "benchmarks.md").write_text(render(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
