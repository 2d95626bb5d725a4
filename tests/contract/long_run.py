"""The contract's long run (issue 11, "Done when"): tests/contract/test_schemathesis.py, every operation as a
province admin and as a county organizer, through the gateway, with every service on its own PostgreSQL
database, its events on RabbitMQ and its worker applying them, and many more cases than CI's run.

    .venv/bin/python -m tests.contract.long_run [--examples 60] [--seed N] [--min-cases 20000]
                                                [-- PYTEST ARGS ...]

It prints the cases sent (per token), the distinct failures by kind (server errors, answers that violate the
declared schema or content type, requests the schema forbids that were accepted), what the workers
dead-lettered once the events settled, and exits 0 only when all are zero and at least ``--min-cases`` cases
were sent. A developer or a nightly CI job runs it (30-40 minutes on two busy cores); ``make test`` does not.
PostgreSQL is ``ZHIBU_TEST_PG_URL``'s server and RabbitMQ ``ZHIBU_TEST_AMQP_URL``'s, as for the infra tests.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

MODULE = Path(__file__).with_name("test_schemathesis.py")
#: the check a failure comes from -> the kind the run counts it as
KINDS = {"not_a_server_error": "server errors",
         "response_schema_conformance": "schema violations", "content_type_conformance": "schema violations",
         "negative_data_rejection": "forbidden requests accepted"}


class Tally:
    """A pytest plugin: the suite the module ran on, and each test's outcome."""

    def __init__(self):
        self.suite = None
        self.outcomes: Counter = Counter()
        self.failed: list[str] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        result = yield
        if fixturedef.argname == "suite":
            self.suite = result
        return result

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.failed and report.when != "call"):
            self.outcomes[report.outcome] += 1
            if report.failed:
                self.failed.append(f"{report.nodeid} ({report.when})")


def summary(tally: Tally, seed: int, examples: int, seconds: float) -> tuple[list[str], int]:
    """The report's lines, and the number of problems found (failures, dead letters, errors)."""
    suite = tally.suite
    cases = suite.cases if suite else Counter()
    kinds = Counter({kind: 0 for kind in dict.fromkeys(KINDS.values())})
    for (_, _, check, _), _count in (suite.failures if suite else {}).items():
        kinds[KINDS.get(check, "other failures")] += 1
    dead = {service: len(events) for service, events in (suite.dead if suite else {}).items()}
    lines = [
        f"seed {seed}, {examples} fuzzed examples per operation and token, {seconds / 60:.1f} min",
        f"cases sent: {sum(cases.values())} (" + ", ".join(f"{who} {n}" for who, n in sorted(cases.items())) + ")",
        f"tests: {dict(tally.outcomes)}",
        "distinct failures: " + ", ".join(f"{kind} {n}" for kind, n in kinds.items()),
        "events applied by the workers: " + ", ".join(f"{w.service} {w.consumer.processed}"
                                                       for w in (suite.workers if suite else ())),
        "dead-lettered events: " + (", ".join(f"{s} {n}" for s, n in dead.items()) or "(suite not started)"),
    ]
    for (operation, who, check, title), count in sorted((suite.failures if suite else {}).items()):
        lines.append(f"  {operation} as {who}: {title} [{check}] x{count}")
    for service, events in (suite.dead if suite else {}).items():
        for event in events:
            lines.append(f"  dead in {service}: {event['type']} {event['id']}: {event['error']}")
    lines += [f"  failed: {nodeid}" for nodeid in tally.failed]
    problems = sum(kinds.values()) + sum(dead.values()) + len(tally.failed) + (suite is None)
    return lines, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.long_run", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=60,
                        help="fuzzed requests per operation and token (the examples and coverage phases add theirs)")
    parser.add_argument("--seed", type=int, default=None, help="the run's seed (default: a random one, printed)")
    parser.add_argument("--min-cases", type=int, default=20_000, help="fail unless at least this many were sent")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --), e.g. -k members")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    os.environ.update(ZHIBU_TEST_INFRA="1", ZHIBU_CONTRACT_INFRA="1", ZHIBU_CONTRACT_EXAMPLES=str(args.examples),
                      ZHIBU_CONTRACT_SEED=str(seed))
    print(f"long run: seed {seed}, {args.examples} examples per operation and token", file=sys.stderr)
    tally, started = Tally(), time.monotonic()
    pytest.main([str(MODULE), "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args.pytest_args], plugins=[tally])
    lines, problems = summary(tally, seed, args.examples, time.monotonic() - started)
    sent = sum(tally.suite.cases.values()) if tally.suite else 0
    if sent < args.min_cases:
        lines.append(f"only {sent} cases were sent, fewer than --min-cases {args.min_cases}")
        problems += 1
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
