"""Helpers the benchmarks share: databases, the machine, wrk."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

PG_ADMIN_URL = os.environ.get("ZHIBU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("ZHIBU_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def fresh_database(name: str, pg_admin_url: str = PG_ADMIN_URL) -> str:
    import psycopg

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_admin_url.rsplit("/", 1)[0] + "/" + name


def kept_database(name: str, people: int, pg_admin_url: str = PG_ADMIN_URL) -> tuple[str, bool]:
    """A benchmark's own database, kept between runs: True when it already holds ``people`` (its ``bench_meta``
    row says so); otherwise it is created empty (dropped first if it held another size)."""
    import psycopg

    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    if exists:
        with psycopg.connect(url) as conn:
            ready = conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]
            if ready and conn.execute("SELECT people FROM bench_meta").fetchone()[0] == people:
                return url, True
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return url, False


def machine() -> str:
    cores = os.cpu_count()
    with open("/proc/meminfo") as fh:
        kb = int(fh.readline().split()[1])
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cores} cores ({model}), {kb / 1024 / 1024:.0f} GiB memory"


def wrk(url: str, headers: dict, seconds: int, connections: int = 16, threads: int = 2) -> dict:
    """Requests per second and latency percentiles from wrk (Debian package `wrk`)."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is needed for this benchmark: apt-get install wrk")
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "non_2xx": int(non2xx.group(1)) if non2xx else 0, "raw": out}


def settled(connections, quiet: float = 1.5, limit: float = 900) -> float:
    """Wait until every outbox is sent and every inbox has not grown for ``quiet`` seconds (the events of
    what was done applied everywhere); ``connections`` are autocommit psycopg connections to the services'
    databases. Returns the seconds waited."""
    started = time.monotonic()
    deadline = started + limit
    last, since = None, started
    while time.monotonic() < deadline:
        unsent = sum(c.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
                     for c in connections)
        inboxes = tuple(c.execute("SELECT count(*) FROM inbox").fetchone()[0] for c in connections)
        if unsent or inboxes != last:
            last, since = inboxes, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since - started  # when the last event was applied, not the quiet time after it
        time.sleep(0.25)
    raise RuntimeError("the events did not settle")

