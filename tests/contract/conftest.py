"""The contract tests' suite, in this process, once per module: every service on its own migrated SQLite
database (the embedded default) and the gateway in front; with ``ZHIBU_CONTRACT_INFRA=1`` (the long run,
``python -m tests.contract.long_run``) every service on its own migrated PostgreSQL database, its events on the
real broker and its worker running. After the long run's cases, the suite waits for the events to settle and
keeps what was dead-lettered (``suite.dead``) before it stops."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest

from shared.config import SERVICES
from tests.conftest import AMQP_URL, postgresql_databases, service_config
from tests.contract import suite as contract_suite

ON_INFRA = os.environ.get("ZHIBU_CONTRACT_INFRA") == "1"


@pytest.fixture(scope="module")
def suite(tmp_path_factory, migrated_templates):
    folder = tmp_path_factory.mktemp("contract")
    if ON_INFRA:
        yield from _on_postgresql_and_the_broker(folder)
        return
    configs = {}
    for service in SERVICES:
        db_file = folder / f"{service}.db"
        shutil.copy(migrated_templates(service), db_file)
        configs[service] = service_config(service, folder, database_url=f"sqlite:///{db_file}")
    running = contract_suite.start(configs, service_config("gateway", folder))
    yield running
    running.close()


def _on_postgresql_and_the_broker(folder):
    namespace = f"contract{uuid.uuid4().hex[:8]}"  # one for every service: their events meet on it
    with postgresql_databases() as database_for:
        configs = {service: service_config(service, folder, database_url=database_for(service),
                                           broker_url=AMQP_URL, bus_namespace=namespace, publish_in_web=True)
                   for service in SERVICES}
        running = contract_suite.start(configs, service_config("gateway", folder), with_workers=True)
        try:
            yield running
            running.settle()
            running.dead = running.dead_letters()
        finally:
            running.close()
