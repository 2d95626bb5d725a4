"""``zhibu``: the one command for operators and developers.

    zhibu migrate [SERVICE ...]       apply every service's Alembic history
    zhibu token --role admin [--scope UNIT] [--subject NAME] [--ttl SECONDS]
    zhibu web SERVICE|gateway         a web process under gunicorn
    zhibu worker SERVICE              a service's outbox relay and event consumer
    zhibu run                         the whole suite on this machine (embedded default)
    zhibu catalog [--format md|json]  the event catalog
    zhibu rules                       the rules every service declares (docs/rules.md)
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from shared.config import DEFAULT_PORTS, SERVICES, Config


def rulebooks() -> list:
    """Every service's ``rules.RULEBOOK`` (shared/rulebook.py)."""
    return [importlib.import_module(f"services.{service}.rules").RULEBOOK for service in SERVICES]


def service_app(service: str, config: Config | None = None):
    module = importlib.import_module(f"services.{service}.app")
    return module.create_app(config)


def cmd_migrate(args) -> int:
    from shared.migrations import upgrade

    unknown = set(args.services) - set(SERVICES)
    if unknown:
        print(f"unknown service {', '.join(sorted(unknown))}; services: {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    for service in args.services or SERVICES:
        config = Config.from_env(service)
        upgrade(service, config.database_url)
        print(f"migrated {service}", file=sys.stderr)
    return 0


def cmd_token(args) -> int:
    from shared.auth import ROLES, mint_token

    for role in args.role:
        if role not in ROLES:
            print(f"unknown role {role}; roles: {', '.join(ROLES)}", file=sys.stderr)
            return 2
    if args.scope is not None:
        refused = scope_refused(args.scope)
        if refused:
            print(refused, file=sys.stderr)
            return 2
    config = Config.from_env("gateway")
    print(mint_token(config, subject=args.subject, roles=args.role, scope=args.scope, ttl_seconds=args.ttl))
    return 0


def scope_refused(scope: str) -> str | None:
    """Why ``--scope`` names no unit of the org service's tree (its database as configured), or None."""
    import uuid

    from sqlalchemy import select

    from shared.db import Database

    try:
        scope = str(uuid.UUID(scope))
    except ValueError:
        return f"--scope {scope!r} is not a unit id (a UUID, as GET /api/org/v1/units answers)"
    url = Config.from_env("org").database_url
    models = importlib.import_module("services.org.models")
    db = Database(url)
    try:
        with db.Session() as session:
            found = session.scalar(select(models.Unit.status).where(models.Unit.id == scope))
    except Exception as exc:  # noqa: BLE001 - said plainly: the token is not minted
        return f"cannot check --scope in the org database ({type(exc).__name__}); run `zhibu migrate` first?"
    finally:
        db.dispose()
    if found is None:
        return f"--scope {scope} names no unit of the org tree ({url.split('@')[-1]})"
    return None


def cmd_web(args) -> int:
    target = "gateway.app:create_app()" if args.service == "gateway" else f"services.{args.service}.app:create_app()"
    port = os.environ.get("ZHIBU_PORT") or os.environ.get(f"{args.service.upper()}_PORT") or DEFAULT_PORTS[args.service]
    os.environ.setdefault("ZHIBU_BIND", f"{args.host}:{port}")
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:  # samples of a previous run's workers would be counted again
        import shutil

        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.makedirs(metrics_dir, exist_ok=True)
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf", target])
    return 0  # not reached


def cmd_worker(args) -> int:
    from shared.worker import run_worker

    app = service_app(args.service)
    for start in app.extensions["zhibu"].worker_threads:  # a service's own loops (webhooks' deliveries)
        start(app)
    run_worker(app)
    return 0


def cmd_dead_letters(args) -> int:
    """One JSON line per dead-lettered event of the service (with ``--requeue``: each moved back to its queue)."""
    from shared.consumer import dead_letters

    kit = service_app(args.service).extensions["zhibu"]
    listed = dead_letters(kit.config, kit.handlers.event_types, requeue=args.requeue, limit=args.limit)
    for entry in listed:
        print(json.dumps(entry, ensure_ascii=False, default=str))
    what = "moved back to the work queue" if args.requeue else "in the dead-letter queue (left there)"
    print(f"{len(listed)} events {what}", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from .supervisor import run_suite

    return run_suite(with_demo=not args.no_demo)


def cmd_catalog(args) -> int:
    from shared import catalog

    if args.format == "json":
        print(json.dumps({name: {"version": et.version, "summary": et.summary}
                          for name, et in sorted(catalog.CATALOG.items())}, indent=2))
    else:
        print(catalog.as_markdown())
    return 0


def cmd_rules(args) -> int:
    from shared import rulebook

    books = rulebooks()
    problems = rulebook.check(books)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(rulebook.as_markdown(books))
    return 0


def cmd_demo(args) -> int:
    from demo import load_demo

    return load_demo(args.size, args.gateway)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhibu", description="Zhibu: party-branch standardization services")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply the database migrations")
    p.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {', '.join(SERVICES)} (default: all)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("token", help="mint a development token")
    p.add_argument("--role", action="append", required=True)
    p.add_argument("--scope", default=None, help="org unit id of the subtree (admin may omit it)")
    p.add_argument("--subject", default="dev")
    p.add_argument("--ttl", type=int, default=8 * 3600)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("web", help="run a web process under gunicorn")
    p.add_argument("service", choices=[*SERVICES, "gateway"])
    p.add_argument("--host", default=os.environ.get("ZHIBU_HOST", "127.0.0.1"))
    p.set_defaults(func=cmd_web)

    p = sub.add_parser("worker", help="run a service's worker (relay + consumer)")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("dead-letters", help="list a service's dead-lettered events; --requeue moves them back")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--requeue", action="store_true", help="move them back to the work queue, to be applied again")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    p.set_defaults(func=cmd_dead_letters)

    p = sub.add_parser("run", help="start the whole suite on the embedded default")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo province on first start")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("catalog", help="print the event catalog")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.set_defaults(func=cmd_catalog)

    p = sub.add_parser("rules", help="print the rules every service declares (docs/rules.md)")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("demo", help="load a synthetic province through the services' APIs")
    p.add_argument("--size", choices=["small", "county", "city", "province"], default="small")
    p.add_argument("--gateway", default=os.environ.get("ZHIBU_GATEWAY_URL", "http://127.0.0.1:8000"))
    p.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    if args.func in (cmd_web, cmd_worker):
        from zhibu.supervisor import stop_with_the_supervisor

        stop_with_the_supervisor()
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
