"""Each service's Alembic history builds exactly the tables its models declare."""
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.config import SERVICES
from shared.db import make_engine


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(service, migrated_templates):
    models = importlib.import_module(f"services.{service}.models")
    engine = make_engine(f"sqlite:///{migrated_templates(service)}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                models.Base.metadata)
    engine.dispose()
    assert diff == [], f"{service}: the models and the migrations differ; regenerate the migration: {diff}"
