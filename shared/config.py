"""Configuration from the environment, with safe embedded defaults.

Every value comes from an environment variable; nothing is read from a file the
operator did not name, except the generated secrets under ``var/`` that the
embedded default creates once (mode 0600) so that a first ``make run`` is safe
without a well-known key.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

SERVICES = ("org", "members", "training", "evaluation", "webhooks")
DEFAULT_PORTS = {"gateway": 8000, "org": 8001, "members": 8002, "training": 8003, "evaluation": 8004,
                 "webhooks": 8005}
MiB = 1 << 20
#: what ZHIBU_QUEUE_TYPE may say ("" leaves the type to the broker's virtual host)
QUEUE_TYPES = ("", "classic", "quorum")


def body_limit(method: str, path: str, *, max_request_bytes: int, max_import_bytes: int) -> int:
    """The most bytes a request body may hold: a bulk import (``POST .../imports``) the larger limit. The
    gateway and every service apply the same limits (``ZHIBU_MAX_REQUEST_BYTES``, ``ZHIBU_MAX_IMPORT_BYTES``)."""
    if method == "POST" and path.rstrip("/").endswith("/imports"):
        return max_import_bytes
    return max_request_bytes


#: the suite's own var/ (beside shared/): its secrets and SQLite databases, whatever the current directory
SUITE_VAR = Path(__file__).resolve().parent.parent / "var"


def var_dir() -> Path:
    path = Path(os.environ["ZHIBU_VAR_DIR"]).resolve() if os.environ.get("ZHIBU_VAR_DIR") else SUITE_VAR
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_file(name: str, nbytes: int) -> str:
    """A random secret kept under var/, made once: the embedded default's key."""
    path = var_dir() / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _default_import_processes() -> int:
    """One per core, at most four: each gunicorn worker that imports a large file starts its own."""
    return min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class Config:
    """Settings of one process (a service's web or worker process, or the gateway)."""

    service: str
    database_url: str = ""
    broker_url: str = "filesystem://"
    bus_folder: str = ""
    #: prefix of every exchange and queue name: several suites (or tests) can share one broker
    bus_namespace: str = "zhibu"
    #: the type every queue of the suite is declared with on RabbitMQ: ``quorum`` (replicated, what a cluster
    #: runs since classic mirrored queues are gone in RabbitMQ 4), ``classic``, or "" for the virtual host's
    #: default type
    queue_type: str = ""
    jwt_algorithm: str = "HS256"
    jwt_secret: str = ""
    jwt_public_key: str = ""
    jwt_private_key: str = ""
    jwt_issuer: str = "zhibu"
    jwt_leeway_seconds: int = 30
    pii_key: str = ""
    #: how long a creating POST's answer is replayed for its Idempotency-Key
    idempotency_ttl_hours: float = 24.0
    #: how long the outbox keeps sent events for the change feed (``GET /api/<service>/v1/changes``)
    changes_retention_days: float = 30.0
    prefetch: int = 50
    #: events a consumer applies in one transaction when they arrive together (at most ``prefetch``)
    consume_batch: int = 25
    max_attempts: int = 5
    retry_backoff_seconds: float = 0.5
    relay_interval_seconds: float = 1.0
    relay_batch: int = 500
    publish_in_web: bool = True
    #: worker processes that check and prepare the rows of a large import (0: in the web process itself)
    import_processes: int = field(default_factory=_default_import_processes)
    #: an import body of at least this many bytes goes to the worker processes (smaller ones are done inline)
    import_parallel_bytes: int = 4 << 20
    #: the most rows one import file may hold (one transaction; the web process remembers each row's ID
    #: hash to find repeats): a province is imported county by county
    import_max_rows: int = 2_000_000
    #: a web process shuts its import worker processes down after this long without an import
    import_pool_idle_seconds: float = 300.0
    #: an import body of at least this many bytes runs as a job (202 Accepted, ``shared.import_jobs``)
    import_async_bytes: int = 16 * MiB
    #: a running import job writes its progress this often; a poll fails a job silent for the lease
    import_job_heartbeat_seconds: float = 2.0
    import_job_lease_seconds: float = 60.0
    #: where an import job's file waits on the web process's disk (default: the system's temporary folder)
    import_spool_dir: str = ""
    #: the most bytes of a request body, and of a bulk import's (413 beyond)
    max_request_bytes: int = 10 * MiB
    max_import_bytes: int = 512 * MiB
    log_level: str = "INFO"
    testing: bool = False
    rules: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str, **overrides) -> "Config":
        env = os.environ
        prefix = service.upper()
        database_url = env.get(f"{prefix}_DATABASE_URL") or f"sqlite:///{var_dir() / (service + '.db')}"
        algorithm = env.get("ZHIBU_JWT_ALGORITHM", "HS256")
        public_key = env.get("ZHIBU_JWT_PUBLIC_KEY", "")
        if not public_key and env.get("ZHIBU_JWT_PUBLIC_KEY_FILE"):
            public_key = Path(env["ZHIBU_JWT_PUBLIC_KEY_FILE"]).read_text()
        secret = env.get("ZHIBU_JWT_SECRET", "")
        if not secret and algorithm == "HS256":
            secret = _secret_file("jwt-secret", 48)
        pii_key = env.get("ZHIBU_PII_KEY") or _secret_file("pii-key", 32)
        rules: dict = {}
        if env.get("ZHIBU_RULES_FILE"):
            rules = json.loads(Path(env["ZHIBU_RULES_FILE"]).read_text()).get(service, {})
        values = dict(
            service=service,
            database_url=database_url,
            broker_url=env.get("ZHIBU_BROKER_URL", "filesystem://"),
            bus_folder=env.get("ZHIBU_BUS_FOLDER", str(var_dir() / "bus")),
            bus_namespace=env.get("ZHIBU_BUS_NAMESPACE", "zhibu"),
            queue_type=env.get("ZHIBU_QUEUE_TYPE", ""),
            jwt_algorithm=algorithm,
            jwt_secret=secret,
            jwt_public_key=public_key,
            jwt_issuer=env.get("ZHIBU_JWT_ISSUER", "zhibu"),
            jwt_leeway_seconds=int(env.get("ZHIBU_JWT_LEEWAY_SECONDS", "30")),
            pii_key=pii_key,
            idempotency_ttl_hours=float(env.get("ZHIBU_IDEMPOTENCY_TTL_HOURS", "24")),
            changes_retention_days=float(env.get("ZHIBU_CHANGES_RETENTION_DAYS", "30")),
            prefetch=int(env.get("ZHIBU_PREFETCH", "50")),
            consume_batch=int(env.get("ZHIBU_CONSUME_BATCH", "25")),
            max_attempts=int(env.get("ZHIBU_MAX_ATTEMPTS", "5")),
            retry_backoff_seconds=float(env.get("ZHIBU_RETRY_BACKOFF_SECONDS", "0.5")),
            relay_interval_seconds=float(env.get("ZHIBU_RELAY_INTERVAL_SECONDS", "1.0")),
            publish_in_web=_bool(env.get("ZHIBU_PUBLISH_IN_WEB"), True),
            import_processes=int(env.get("ZHIBU_IMPORT_PROCESSES", str(_default_import_processes()))),
            import_parallel_bytes=int(env.get("ZHIBU_IMPORT_PARALLEL_BYTES", str(4 << 20))),
            import_max_rows=int(env.get("ZHIBU_IMPORT_MAX_ROWS", "2000000")),
            import_pool_idle_seconds=float(env.get("ZHIBU_IMPORT_POOL_IDLE_SECONDS", "300")),
            import_async_bytes=int(env.get("ZHIBU_IMPORT_ASYNC_BYTES", str(16 * MiB))),
            import_job_heartbeat_seconds=float(env.get("ZHIBU_IMPORT_JOB_HEARTBEAT_SECONDS", "2")),
            import_job_lease_seconds=float(env.get("ZHIBU_IMPORT_JOB_LEASE_SECONDS", "60")),
            import_spool_dir=env.get("ZHIBU_IMPORT_SPOOL_DIR", ""),
            max_request_bytes=int(env.get("ZHIBU_MAX_REQUEST_BYTES", str(10 * MiB))),
            max_import_bytes=int(env.get("ZHIBU_MAX_IMPORT_BYTES", str(512 * MiB))),
            log_level=env.get("ZHIBU_LOG_LEVEL", "INFO"),
            rules=rules,
        )
        values.update(overrides)
        return cls(**values)

    def __post_init__(self):
        if self.queue_type not in QUEUE_TYPES:
            raise ValueError(f"ZHIBU_QUEUE_TYPE is {self.queue_type!r}: it must be one of "
                             f"{', '.join(repr(t) for t in QUEUE_TYPES)}")

    @property
    def queue_arguments(self) -> dict:
        """The arguments every queue is declared with (``x-queue-type`` when a type is set)."""
        return {"x-queue-type": self.queue_type} if self.queue_type else {}

    @property
    def events_exchange_name(self) -> str:
        return f"{self.bus_namespace}.events"

    @property
    def dead_letter_exchange_name(self) -> str:
        return f"{self.bus_namespace}.dead"

    def body_limit(self, method: str, path: str) -> int:
        return body_limit(method, path, max_request_bytes=self.max_request_bytes,
                          max_import_bytes=self.max_import_bytes)

    def with_(self, **changes) -> "Config":
        return replace(self, **changes)

    def rule(self, name: str, default):
        """A *config* value of a rule (docs/rules.md): the operator's override, else the regulation's default."""
        return self.rules.get(name, default)
