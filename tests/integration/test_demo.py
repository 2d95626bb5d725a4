"""The demo province: consistent by construction, and loadable through the services' own APIs."""
from __future__ import annotations

import os
import socket
from collections import Counter
from datetime import date


from demo import load_demo
from demo.plan import generate
from shared.config import SERVICES
from shared.dates import add_years, age_on
from shared.migrations import upgrade
from shared.pii import valid_id_number
from zhibu.supervisor import start_suite, stop_suite, wait_for
from tests.conftest import TEST_SECRET
from tests.integration.test_slice_e2e import call

TODAY = date(2026, 11, 28)


def test_the_generated_province_keeps_the_rules_of_the_procedure():
    province = generate("small", today=TODAY)
    codes = [u.code for u in province.units]
    assert len(codes) == len(set(codes))
    parents = set(codes)
    assert all(u.parent_code in parents for u in province.units if u.parent_code)
    assert len({p.id_number for p in province.people}) == len(province.people)
    for person in province.people:
        assert valid_id_number(person.id_number)
        assert age_on(person.birth_date, person.applied_on) >= 18
        chain = [d for d in (person.applied_on, person.activist_since, person.target_since,
                             person.probationary_since, person.full_member_since) if d]
        assert chain == sorted(chain)
        assert chain[-1] <= TODAY
        if person.target_since:
            assert person.target_since >= add_years(person.activist_since, 1)  # a year of cultivation
        if person.full_member_since:
            assert person.full_member_since == add_years(person.probationary_since, 1)
    stages = Counter(p.stage for p in province.people)
    assert set(stages) == {"applicant", "activist", "target", "probationary", "full"}


def test_shares_are_configurable():
    none_expired = generate("county", {"expired_term": 0.0}, today=TODAY)
    all_expired = generate("county", {"expired_term": 1.0}, today=TODAY)
    assert not any("expired_term" in b.traits for b in none_expired.branches)
    assert all("expired_term" in b.traits for b in all_expired.branches)


def free_ports(*names: str) -> dict[str, int]:
    """A port the system has free for each name (held together while chosen, so they differ)."""
    sockets = [socket.socket() for _ in names]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return {name: sock.getsockname()[1] for name, sock in zip(names, sockets)}
    finally:
        for sock in sockets:
            sock.close()


def print_log_tails(folder, lines: int = 40) -> None:
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {len(tail)} lines)", *tail, sep="\n")


def test_the_small_demo_loads_through_the_gateway(tmp_path):
    ports = free_ports("gateway", *SERVICES)  # fixed ports collided with another checkout's run on the machine
    env = dict(os.environ)
    env.update({"ZHIBU_VAR_DIR": str(tmp_path), "ZHIBU_JWT_SECRET": TEST_SECRET, "ZHIBU_PII_KEY": "demo-pii",
                "ZHIBU_BROKER_URL": "filesystem://", "ZHIBU_BUS_FOLDER": str(tmp_path / "bus"),
                "ZHIBU_RATE_LIMIT_PER_SECOND": "1000", "ZHIBU_RATE_LIMIT_BURST": "2000",
                # every import, however small, through the import worker processes a gunicorn worker spawns
                "ZHIBU_IMPORT_PARALLEL_BYTES": "0"})
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = f"sqlite:///{tmp_path / (service + '.db')}"
        upgrade(service, env[f"{service.upper()}_DATABASE_URL"])
    processes = start_suite(env, ports=ports, logs=tmp_path / "logs")
    saved = dict(os.environ)
    try:
        for name in ports:
            wait_for(f"http://127.0.0.1:{ports[name]}/healthz")
        os.environ.update({"ZHIBU_VAR_DIR": str(tmp_path), "ZHIBU_JWT_SECRET": TEST_SECRET})
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        assert load_demo("small", gateway) == 0
        from shared.auth import mint_token
        from shared.config import Config

        token = mint_token(Config(service="t", jwt_secret=TEST_SECRET), subject="t", roles=["admin"])
        status, units, _ = call("GET", f"{gateway}/api/org/v1/units?kind=province", token)
        assert status == 200, units
        province = units["items"][0]["id"]
        status, dashboard, _ = call(
            "GET", f"{gateway}/api/evaluation/v1/dashboard?under={province}&year={date.today().year}", token)
        assert status == 200, dashboard
        assert dashboard["branches"] == len(generate("small").branches)
        assert sum(dashboard["stars"].values()) == dashboard["branches"]
        assert dashboard["training"]["members_trained"] > 0
        assert dashboard["meetings"]["due"] > 0
        status, compliance, _ = call("GET", f"{gateway}/api/org/v1/compliance?under={province}", token)
        assert status == 200, compliance
        assert any(rule["count"] for rule in compliance["rules"])
        liaison = next(rule for rule in compliance["rules"] if rule["code"] == "ORG.LIAISON")
        assert liaison["summary"]["leaders"] == 3 * sum(1 for u in generate("small").units
                                                       if u.kind in ("county", "township"))
        assert 0 < liaison["summary"]["keeping_liaison"]
        assert liaison["count"] == (liaison["summary"]["leaders"] - liaison["summary"]["keeping_liaison"])
        status, people, _ = call("GET", f"{gateway}/api/members/v1/people?under={province}&limit=1000", token)
        assert status == 200, people
        assert len(people["items"]) == len(generate("small").people)
        # the annual statistics of the demo province close their balance, this year and the one before
        this_year = date.today().year
        for year in (this_year - 1, this_year):
            status, stats, _ = call("GET", f"{gateway}/api/members/v1/statistics?under={province}&year={year}", token)
            assert status == 200, stats
            assert stats["balance"]["closes"] is True, stats["balance"]
            assert stats["balance"]["unbalanced"] == []
            assert stats["members"]["total"] == stats["balance"]["end"]
        members_now = sum(1 for p in people["items"] if p["stage"] in ("probationary", "full"))
        assert stats["balance"]["end"] == members_now
        assert stats["balance"]["start"] + stats["balance"]["admitted"] == members_now
        _, orgs, _ = call("GET", f"{gateway}/api/org/v1/statistics?under={province}&year={this_year}", token)
        branches = sum(1 for u in generate("small").units if u.kind in ("branch", "joint_branch"))
        assert orgs["branches"]["total"] == branches
        # a spread like a real county's: some five-star and advanced branches, most middle, a few backward
        categories, stars = dashboard["categories"], dashboard["stars"]
        print(f"\ndemo standings: {categories}, stars {stars}")
        assert stars["5"] >= 1
        assert categories["advanced"] >= 2
        assert 0 < categories["backward"] < dashboard["branches"] / 2
        assert categories["middle"] > categories["advanced"]
        assert categories["middle"] > categories["backward"]
        # the standing mechanisms have something to show on first start
        reports = dashboard["reports"]
        assert 0 < reports["screened"] <= reports["branches"]
        assert reports["heard_every_quarter"] > 0
        assert reports["secretaries_assessed"] > 0
        assert len(reports["counties"]) == 2
        _, exemplars, _ = call("GET", f"{gateway}/api/evaluation/v1/exemplars?under={province}", token)
        assert any(e["kind"] == "demonstration" and e["rating"]["stars"] == 5 for e in exemplars["items"])
        codes = {rule["code"]: rule for rule in compliance["rules"]}
        assert codes["ORG.RESERVE"]["count"] > 0
        _, problems, _ = call("GET", f"{gateway}/api/evaluation/v1/problems?under={province}&limit=1000", token)
        assert {"hearing", "screening"} <= {p["source"] for p in problems["items"]}
    except Exception:
        print_log_tails(tmp_path / "logs")  # what the processes said, for a failure seen only in CI
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stop_suite(processes)


class Answers:
    """A local HTTP server answering each request with the next (status, headers) of a script, then 200."""

    def __init__(self, script):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.script, self.seen = list(script), []
        answers = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answers.seen.append(self.command)
                status, headers = answers.script.pop(0) if answers.script else (200, {})
                body = b'{"ok": true}' if status == 200 else b'{"status": %d}' % status
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_demo_client_sends_a_read_again_after_a_503_but_never_a_write():
    import pytest

    from demo import Client, DemoError

    busy = {"Retry-After": "0"}
    answers = Answers([(429, busy), (503, busy), (503, busy)])
    try:
        assert Client(answers.url, "t").call("GET", "/api/members/v1/people") == (200, {"ok": True})
        assert answers.seen == ["GET"] * 4  # a 429, two 503s, then the answer
        answers.script, answers.seen = [(503, busy)], []
        with pytest.raises(DemoError, match="503"):
            Client(answers.url, "t").call("POST", "/api/org/v1/meetings", {"topic": "学习"})
        assert answers.seen == ["POST"]  # it may have been applied: reported, not sent twice
    finally:
        answers.close()
