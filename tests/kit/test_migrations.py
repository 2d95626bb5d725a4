"""Each service's Alembic history builds exactly the tables its models declare."""
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.catalog.org import MEETING_TYPES
from shared.config import SERVICES
from shared.db import make_engine
from shared.models import PerMeetingType


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(service, migrated_templates):
    models = importlib.import_module(f"services.{service}.models")
    engine = make_engine(f"sqlite:///{migrated_templates(service)}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                models.Base.metadata)
    engine.dispose()
    assert diff == [], f"{service}: the models and the migrations differ; regenerate the migration: {diff}"


def test_the_per_meeting_type_columns_are_the_catalog_s_meeting_types():
    """org's life years and evaluation's tallies keep one column per type of organizational life (the kit's
    ``PerMeetingType``): a type added to the catalog needs its column and a migration in both."""
    assert tuple(PerMeetingType.__annotations__) == MEETING_TYPES
