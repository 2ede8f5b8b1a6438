from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "provisioning"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Deployment(Base):
    """One onboarding of one ISP: the record the workflow's activities keep."""

    __tablename__ = "deployments"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    isp_id: Mapped[UUID] = mapped_column(unique=True)
    slug: Mapped[str] = mapped_column(String(63))
    company_name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(253))
    contact_email: Mapped[str] = mapped_column(String(320))
    workflow_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeploymentStep(Base):
    __tablename__ = "deployment_steps"

    deployment_id: Mapped[UUID] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")


class Instance(Base):
    """What a provider created for an ISP; compensation removes it."""

    __tablename__ = "instances"

    isp_id: Mapped[UUID] = mapped_column(primary_key=True)
    deployment_id: Mapped[UUID] = mapped_column(ForeignKey("deployments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    host: Mapped[str] = mapped_column(String(253), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
