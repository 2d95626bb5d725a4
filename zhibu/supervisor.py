"""``zhibu run``: the whole suite on one machine, on the embedded default.

It migrates every service, starts each service's web process (gunicorn) and
worker, then the gateway; waits until the gateway reports every service ready;
prints the URLs and an admin token. A process that exits on its own is started
again (nothing is lost: events wait in the outbox and on the bus); one that exits
three times within a minute stops the suite. Ctrl-C (or SIGTERM) stops every
process and waits for each. The data stays under ``var/``, so the next run reuses it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared.config import DEFAULT_PORTS, SERVICES, Config, var_dir


#: set by the supervisor in each process it starts: its own pid (``stop_with_the_supervisor``)
SUPERVISOR_PID = "ZHIBU_SUPERVISOR_PID"


def stop_with_the_supervisor() -> None:
    """First thing in a process the supervisor started (``zhibu web`` / ``zhibu worker``): on Linux it gets
    SIGTERM when the supervisor's thread that started it ends, as when the supervisor is killed outright
    (``kill -9``, the OOM killer, an interrupted test run), so no process of the suite is left behind holding
    its port. Set in the process itself, not between fork and exec (``preexec_fn`` is unsafe with threads);
    the variable is taken out of the environment, so what this process starts in turn does not inherit it."""
    supervisor = os.environ.pop(SUPERVISOR_PID, None)
    if supervisor is None or not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(supervisor):  # the supervisor was gone before the line above
        os.kill(os.getpid(), signal.SIGTERM)


class SuiteProcess(subprocess.Popen):
    """``zhibu <args>`` in its own session, its output appended to its log; ``again()`` starts it anew. It
    stops with the supervisor (``stop_with_the_supervisor``): start it from a thread that outlives it."""

    def __init__(self, args: list[str], env: dict, log_path):
        self.command = (list(args), env, log_path)
        with open(log_path, "ab") as log:
            super().__init__([sys.executable, "-m", "zhibu.cli", *args], env={**env, SUPERVISOR_PID: str(os.getpid())},
                             stdout=log, stderr=log, start_new_session=True)

    def again(self) -> "SuiteProcess":
        return SuiteProcess(*self.command)


#: a process that exits this many times within RESTART_WINDOW seconds stops the suite
RESTART_LIMIT = 3
RESTART_WINDOW = 60.0


def keep_running(processes: list, exits: dict, now: float | None = None) -> str | None:
    """Start again each process that has exited; the reason to stop the suite when one keeps exiting."""
    now = time.monotonic() if now is None else now
    for index, (label, proc) in enumerate(processes):
        if proc.poll() is None:
            continue
        recent = [t for t in exits.get(label, []) if now - t < RESTART_WINDOW] + [now]
        exits[label] = recent
        if len(recent) >= RESTART_LIMIT:
            return f"{label} exited {len(recent)} times within {RESTART_WINDOW:.0f} s (last with {proc.returncode})"
        print(f"{label} exited with {proc.returncode}; starting it again", file=sys.stderr, flush=True)
        processes[index] = (label, proc.again())
    return None


def wait_for(url: str, seconds: float = 30) -> None:
    """Return once ``url`` answers at all (a booting process may first refuse or time out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def _wait_ready(url: str, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            last = json.loads(exc.read() or b"{}")
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return last


def start_suite(env: dict, *, names=(*SERVICES, "gateway"), ports: dict | None = None, logs=None,
                workers: str = "1") -> list[tuple[str, subprocess.Popen]]:
    """Start web (and, for services, worker) processes for ``names``; return them labelled."""
    ports = ports or DEFAULT_PORTS
    var = Path(env.get("ZHIBU_VAR_DIR") or var_dir())
    logs = Path(logs or var / "logs")
    logs.mkdir(parents=True, exist_ok=True)
    metrics_root = var / "metrics"
    processes: list[tuple[str, subprocess.Popen]] = []
    for name in names:
        penv = dict(env)
        penv["ZHIBU_VAR_DIR"] = str(var)
        penv["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_root / name)
        shutil.rmtree(metrics_root / name, ignore_errors=True)
        (metrics_root / name).mkdir(parents=True)
        penv.setdefault("ZHIBU_WEB_WORKERS", workers if name != "gateway" else "2")
        if name == "gateway":  # the gateway mostly waits on services: more threads, same processes
            penv.setdefault("ZHIBU_WEB_THREADS", penv.get("ZHIBU_GATEWAY_THREADS", "16"))
        penv["ZHIBU_BIND"] = f"127.0.0.1:{ports.get(name, DEFAULT_PORTS[name])}"
        for service in SERVICES:
            penv[f"{service.upper()}_URL"] = f"http://127.0.0.1:{ports.get(service, DEFAULT_PORTS[service])}"
        processes.append((f"{name} web", SuiteProcess(["web", name], penv, logs / f"{name}-web.log")))
        if name != "gateway":
            processes.append((f"{name} worker", SuiteProcess(["worker", name], penv, logs / f"{name}-worker.log")))
    return processes


def stop_suite(processes, timeout: float = 15) -> None:
    for _, proc in processes:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for _, proc in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _announce(gateway: str, ports: dict, logs, var, with_demo: bool) -> int:
    """Wait until the gateway reports every service ready, load the demo on a first start, print the way in."""
    from shared.auth import mint_token

    status = _wait_ready(gateway + "/readyz", 90)
    if not status or status.get("status") != "ready":
        print(f"the suite did not become ready: {status}; logs are in {logs}", file=sys.stderr)
        return 1
    if with_demo and not (var / "demo-loaded").exists():
        from demo import load_demo

        print("loading the small demo province (first start) ...", flush=True)
        if load_demo("small", gateway) == 0:
            (var / "demo-loaded").write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            print(f"the demo was not loaded (see above and {logs}); the suite runs without it", file=sys.stderr)
    token = mint_token(Config.from_env("gateway"), subject="admin", roles=["admin"], ttl_seconds=24 * 3600)
    print("\nZhibu is running (embedded: SQLite under var/, filesystem broker under var/bus)\n")
    print(f"  gateway      {gateway}/api/<service>/v1/...")
    print(f"  API docs     {gateway}/api/docs")
    for service in SERVICES:
        print(f"  {service:<12} http://127.0.0.1:{ports[service]} (direct)")
    print(f"  logs         {logs}")
    print("\nadmin token (24 h):\n")
    print(f"  export TOKEN={token}")
    print(f'  curl -H "Authorization: Bearer $TOKEN" {gateway}/api/org/v1/units\n')
    print("Ctrl-C stops everything.", flush=True)
    return 0


def run_suite(with_demo: bool = True) -> int:
    from shared.migrations import upgrade

    var = var_dir()
    logs = var / "logs"
    logs.mkdir(exist_ok=True)
    for service in SERVICES:
        upgrade(service, Config.from_env(service).database_url)
    env = dict(os.environ)
    env["ZHIBU_VAR_DIR"] = str(var)
    ports = {name: int(os.environ.get(f"{name.upper()}_PORT", DEFAULT_PORTS[name])) for name in DEFAULT_PORTS}
    processes = start_suite(env, ports=ports, logs=logs)

    stopping = {"flag": False}

    def stop(signum=None, _frame=None):
        stopping["flag"] = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    code = 0
    try:
        code = _announce(gateway, ports, logs, var, with_demo)
        if code:
            stopping["flag"] = True
        exits: dict = {}
        while not stopping["flag"]:
            reason = keep_running(processes, exits)
            if reason:
                print(f"{reason}; stopping (see {logs})", file=sys.stderr)
                stopping["flag"] = True
                code = 1
                break
            time.sleep(0.5)
    finally:
        print("\nstopping ...", file=sys.stderr)
        stop_suite(processes)
        print("stopped.", file=sys.stderr)
    return code
