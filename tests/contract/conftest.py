"""The contract tests' suite: every service on its own migrated SQLite database (the embedded default), the
gateway in front, in this process, once per module."""
from __future__ import annotations

import shutil

import pytest

from shared.config import SERVICES
from tests.conftest import service_config
from tests.contract import suite as contract_suite


@pytest.fixture(scope="module")
def suite(tmp_path_factory, migrated_templates):
    folder = tmp_path_factory.mktemp("contract")
    configs = {}
    for service in SERVICES:
        db_file = folder / f"{service}.db"
        shutil.copy(migrated_templates(service), db_file)
        configs[service] = service_config(service, folder, database_url=f"sqlite:///{db_file}")
    running = contract_suite.start(configs, service_config("gateway", folder))
    yield running
    running.close()
