"""The evaluation service's tables."""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.models import kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base)
OrgUnitView = kit.OrgUnitView
