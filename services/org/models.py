"""The org service's tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PathString, UTCDateTime, new_id, utcnow
from shared.models import kit_models


class Base(DeclarativeBase):
    pass


# the org service owns the units: it needs no read-model of them
kit = kit_models(Base, org_read_model=False)


class Unit(Base):
    """An org unit (党组织) of any level, from the province committee down to a party group."""

    __tablename__ = "units"
    __table_args__ = (
        Index("ix_units_path", "path"),
        Index("ix_units_parent", "parent_id"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    #: this unit's own path segment (base-36 of ``seq``); ``path`` is the parent's path + key + "/"
    key: Mapped[str] = mapped_column(String(16), default="")
    path: Mapped[str] = mapped_column(PathString, default="")
    parent_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("units.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str | None] = mapped_column(String(40), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    full_members: Mapped[int] = mapped_column(Integer, default=0)
    probationary_members: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
