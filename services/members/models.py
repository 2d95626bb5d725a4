"""The members service's tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import PathString, UTCDateTime, new_id, utcnow
from shared.models import kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base)
OrgUnitView = kit.OrgUnitView


class Person(Base):
    """A person on the road to membership or a member (入党申请人 … 正式党员)."""

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_org_path_id", "org_path", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    #: the unit's path when the person was last placed: scope checks and subtree lists use it
    org_path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
