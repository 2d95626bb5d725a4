"""``zhibu run`` keeps the suite up: a process that dies is started again; one that keeps dying stops it."""
from __future__ import annotations

import os
import signal
import time
import uuid

from shared.migrations import upgrade
from zhibu.supervisor import RESTART_LIMIT, SuiteProcess, keep_running, start_suite, stop_suite, wait_for
from tests.conftest import TEST_SECRET


def suite_env(tmp_path) -> dict:
    env = dict(os.environ)
    env.update({"ZHIBU_VAR_DIR": str(tmp_path), "ZHIBU_JWT_SECRET": TEST_SECRET, "ZHIBU_PII_KEY": "sup-pii-key",
                "ZHIBU_BROKER_URL": "filesystem://", "ZHIBU_BUS_FOLDER": str(tmp_path / "bus"),
                "ZHIBU_BUS_NAMESPACE": f"sup{uuid.uuid4().hex[:8]}",
                "ORG_DATABASE_URL": f"sqlite:///{tmp_path / 'org.db'}"})
    return env


def wait_for_log(log, text: str, times: int, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while (log.read_text() if log.exists() else "").count(text) < times and time.monotonic() < deadline:
        time.sleep(0.1)
    return log.read_text().count(text)


def test_a_worker_that_dies_is_started_again(tmp_path):
    env = suite_env(tmp_path)
    upgrade("org", env["ORG_DATABASE_URL"])
    ports = {"org": 18820, "members": 18821, "training": 18822, "evaluation": 18823, "gateway": 18824}
    processes = start_suite(env, names=("org",), ports=ports, logs=tmp_path / "logs")
    try:
        wait_for(f"http://127.0.0.1:{ports['org']}/healthz")
        log = tmp_path / "logs" / "org-worker.log"
        assert wait_for_log(log, "worker for org consuming", 1) == 1
        (label, worker), = [p for p in processes if p[0] == "org worker"]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        exits: dict = {}
        assert keep_running(processes, exits) is None
        (_, again), = [p for p in processes if p[0] == "org worker"]
        assert again.pid != worker.pid
        assert wait_for_log(log, "worker for org consuming", 2) == 2  # the new one is at work
        assert again.poll() is None
        assert keep_running(processes, exits) is None  # nothing else restarted
        assert [p.pid for _, p in processes if p.poll() is not None] == []
    finally:
        stop_suite(processes)


def test_a_process_that_keeps_exiting_stops_the_suite(tmp_path):
    log = tmp_path / "broken.log"
    processes = [("broken worker", SuiteProcess(["worker", "no-such-service"], suite_env(tmp_path), log))]
    exits: dict = {}
    reason = None
    deadline = time.monotonic() + 60
    while reason is None and time.monotonic() < deadline:
        processes[0][1].wait(timeout=30)
        reason = keep_running(processes, exits)
    assert reason is not None
    assert f"broken worker exited {RESTART_LIMIT} times" in reason
    assert "with 2" in reason
    assert log.read_text().count("invalid choice") == RESTART_LIMIT  # started, and started again twice


SUPERVISOR = """
import sys, time
from zhibu.supervisor import start_suite
processes = start_suite(dict(__import__("os").environ), names=("org",), ports={"org": int(sys.argv[1])},
                        logs=sys.argv[2])
print(" ".join(str(proc.pid) for _, proc in processes), flush=True)
time.sleep(600)
"""


def test_a_supervisor_killed_outright_leaves_no_process_of_the_suite_behind(tmp_path):
    """``kill -9`` of ``zhibu run`` (or of a test run) cannot stop its processes itself: they stop on their own."""
    import subprocess
    import sys

    from tests.integration.test_demo import free_ports

    env = suite_env(tmp_path)
    upgrade("org", env["ORG_DATABASE_URL"])
    port = free_ports("org")["org"]
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR, str(port), str(tmp_path / "logs")], env=env,
                                  stdout=subprocess.PIPE, text=True)
    pids = [int(pid) for pid in supervisor.stdout.readline().split()]
    try:
        assert len(pids) == 2  # org's web process and its worker
        wait_for(f"http://127.0.0.1:{port}/healthz")
        supervisor.kill()
        supervisor.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(_in_group(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in pids if _in_group(pid)] == []  # nor gunicorn's workers under the web process
    finally:
        for pid in pids:
            if _in_group(pid):
                os.killpg(pid, signal.SIGKILL)


def _in_group(group: int) -> list[int]:
    """The running processes of a process group (a zombie waiting to be reaped counts as ended)."""
    running = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z" and int(fields[2]) == group:
                running.append(int(entry))
    return running
