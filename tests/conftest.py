"""Fixtures every test shares (Flask tutorial style: config passed in, apps built per test).

- ``make_app(service)``: the service's app on a fresh SQLite database migrated by
  its own Alembic history (migrated once per session, copied per test);
- ``auth_headers(app, *roles, scope=unit_id)``: a Bearer token header;
- ``deliver(producers, consumers)``: move outbox events into consumers through the inbox;
- ``pg_url(service)`` / ``amqp_url`` / ``redis_url``: the real PostgreSQL, RabbitMQ and Redis, for tests
  marked ``infra``.

The ``infra`` tests run when ``ZHIBU_TEST_INFRA=1`` (CI sets it; there an
unreachable PostgreSQL or RabbitMQ fails the run). Without it they are skipped,
and the summary says so.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
import uuid

import pytest

from zhibu.cli import service_app
from shared.config import Config
from shared.migrations import upgrade
from shared.testing import auth, deliver, kit_of  # noqa: F401  (auth, deliver: re-exported for tests)

TEST_SECRET = "test-secret-which-is-long-enough-for-hs256"
INFRA = os.environ.get("ZHIBU_TEST_INFRA") == "1"
PG_ADMIN_URL = os.environ.get("ZHIBU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("ZHIBU_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("ZHIBU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(config, items):
    if INFRA:
        return
    skip = pytest.mark.skip(reason="real PostgreSQL + RabbitMQ tests are off (set ZHIBU_TEST_INFRA=1)")
    for item in items:
        if "infra" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not INFRA:
        terminalreporter.write_line(
            "NOTE: the real-infrastructure tests (PostgreSQL + RabbitMQ) were SKIPPED; "
            "`ZHIBU_TEST_INFRA=1 make test` (as CI does) runs them.", yellow=True, bold=True)


def service_config(service: str, tmp_path, **overrides) -> Config:
    values = dict(
        service=service,
        database_url=f"sqlite:///{tmp_path / (service + '.db')}",
        broker_url="memory://",
        bus_folder=str(tmp_path / "bus"),
        bus_namespace=f"t{uuid.uuid4().hex[:10]}",
        jwt_secret=TEST_SECRET,
        pii_key="test-pii-key-0123456789abcdef",
        publish_in_web=False,
        testing=True,
        max_attempts=3,
        retry_backoff_seconds=0.05,
        relay_interval_seconds=0.1,
    )
    values.update(overrides)
    return Config(**values)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """Each service's SQLite schema, migrated once by Alembic, copied for every test."""
    folder = tmp_path_factory.mktemp("templates")
    cache: dict[str, str] = {}

    def template(service: str) -> str:
        if service not in cache:
            path = folder / f"{service}.db"
            upgrade(service, f"sqlite:///{path}")
            cache[service] = str(path)
        return cache[service]

    return template


@pytest.fixture
def make_app(tmp_path, migrated_templates):
    """Build a service's app on its own fresh, migrated SQLite database."""
    apps = []

    def make(service: str, **overrides):
        db_file = tmp_path / f"{service}-{len(apps)}.db"
        if "database_url" not in overrides:
            shutil.copy(migrated_templates(service), db_file)
            overrides["database_url"] = f"sqlite:///{db_file}"
        app = service_app(service, service_config(service, tmp_path, **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        kit_of(app).db.dispose()


@pytest.fixture
def auth_headers():
    return auth


# ----------------------------------------------------------------------------- real infrastructure

def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def infra():
    """Fail (not skip) when the real services are expected but unreachable."""
    missing = [name for name, port in (("PostgreSQL", 5432), ("RabbitMQ", 5672)) if not _reachable("127.0.0.1", port)]
    if missing:
        pytest.fail(f"{' and '.join(missing)} unreachable on 127.0.0.1, and ZHIBU_TEST_INFRA=1 needs them")
    return True


@contextlib.contextmanager
def postgresql_databases():
    """``make(service)``: a fresh PostgreSQL database, migrated by the service's Alembic history; every one
    made is dropped when the block ends."""
    import psycopg

    created = []

    def make(service: str, migrate: bool = True) -> str:
        name = f"zhibu_t_{service}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        if migrate:
            upgrade(service, url)
        return url

    try:
        yield make
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(infra):
    """A fresh PostgreSQL database per service and test, migrated by the service's Alembic history."""
    with postgresql_databases() as make:
        yield make


@contextlib.contextmanager
def database_refusing_connections(database: str):
    """PostgreSQL stops taking connections to ``database`` and drops those it has, as in a restart or a
    failover, until the block ends."""
    import psycopg

    def allow_connections(allowed: bool):
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))

    allow_connections(False)
    try:
        yield
    finally:
        allow_connections(True)


class DeadlockPartner:
    """A transaction on another connection that holds row 2 of ``deadlock_rows`` (made in ``url``'s database
    with rows 1 and 2) while the code under test runs. ``cross(session)``, called by that code, takes row 1 in
    its transaction, lets the partner ask for row 1 a moment later and then asks for row 2 itself: a real
    deadlock, in which PostgreSQL rolls back the code's transaction (it waited first, so its deadlock check
    runs first, after ``deadlock_timeout``); the partner then gets row 1 and commits. ``counts()``: each row's
    number of updates that were kept."""

    def __init__(self, url: str):
        import psycopg

        self.url = url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS deadlock_rows (id int PRIMARY KEY, n int NOT NULL)")
            conn.execute("INSERT INTO deadlock_rows VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING")
        self.holding, self.crossed = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()
        assert self.holding.wait(10), "the partner did not get row 2"

    def _hold(self):
        import psycopg

        try:
            with psycopg.connect(self.url) as conn:
                conn.execute("UPDATE deadlock_rows SET n = n + 1 WHERE id = 2")
                self.holding.set()
                self.crossed.wait(30)
                time.sleep(0.3)  # the code under test waits for row 2 first
                conn.execute("UPDATE deadlock_rows SET n = n + 1 WHERE id = 1")
                conn.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.error = exc
            self.holding.set()

    def cross(self, session) -> None:
        from sqlalchemy import text

        session.execute(text("UPDATE deadlock_rows SET n = n + 1 WHERE id = 1"))
        self.crossed.set()
        session.execute(text("UPDATE deadlock_rows SET n = n + 1 WHERE id = 2"))

    def join(self) -> None:
        self.crossed.set()
        self.thread.join(30)
        if self.error is not None:
            raise self.error

    def counts(self) -> dict[int, int]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            return dict(conn.execute("SELECT id, n FROM deadlock_rows ORDER BY id").fetchall())


@pytest.fixture
def amqp_url(infra):
    return AMQP_URL


@pytest.fixture
def redis_url(infra):
    """The real Redis (the gateway's shared rate limits); its absence fails the test, as the others'."""
    if not _reachable("127.0.0.1", 6379):
        pytest.fail("Redis unreachable on 127.0.0.1:6379, and ZHIBU_TEST_INFRA=1 needs it")
    return REDIS_URL
