from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "tenant"
"""The platform's view of its tenants: who they are, their entitlements, the outboxes."""
TENANT_DATA = "tenant_data"
"""Each ISP's own data. Shared tenants keep it in this schema, their rows kept apart by
row-level security; a tenant placed in a silo keeps it in a schema of its own, with the same
tables, reached by the same code through a schema translation (see `tenant_api.placement`)."""
SCHEMAS = (SCHEMA, TENANT_DATA)
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Tenant(Base):
    """One ISP in the ISP framework. Its id is the ISP's id across the platform."""

    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(253), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    data_schema: Mapped[str | None] = mapped_column(
        String(63), comment="the schema of its own data if placed in a silo; null: shared"
    )

    @property
    def isolation(self) -> str:
        return "silo" if self.data_schema else "shared"


class Entitlement(Base):
    """What a tenant's current licence allows, as licensing last announced it."""

    __tablename__ = "entitlements"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    licence_id: Mapped[UUID]
    tier: Mapped[str] = mapped_column(String(16))
    plugins: Mapped[list[str]] = mapped_column(JSONB)
    customer_cap: Mapped[int | None] = mapped_column(Integer)
    api_rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), comment="active, suspended or revoked")
    status_reason: Mapped[str | None] = mapped_column(String(500))


class PluginCatalog(Base):
    """The latest tier catalogue licensing announced (one row)."""

    __tablename__ = "plugin_catalog"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    tiers: Mapped[list[str]] = mapped_column(JSONB, comment="tier names, lowest first")
    plugins: Mapped[dict[str, str]] = mapped_column(JSONB, comment="plugin -> lowest tier")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(Base):
    """Someone who works in an ISP's tenant. Row-level security keeps each tenant's to itself."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), comment="stored lower-cased")
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    """A refresh token, stored only as its hash. Used once: refreshing replaces it."""

    __tablename__ = "refresh_tokens"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey(f"{TENANT_DATA}.users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginLink(Base):
    """A one-time link to choose a first password, stored only as its hash."""

    __tablename__ = "login_links"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey(f"{TENANT_DATA}.users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A key a program uses instead of a person's sign-in. Only its hash is stored: the key is
    shown once, when it is created."""

    __tablename__ = "api_keys"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), comment="the key's first characters, shown")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONB)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccessRevocation(Base):
    """Access tokens of this user issued up to `revoked_at` are refused (disabled, or given
    another role). Not tenant data: only ids and a time, read by every replica at start."""

    __tablename__ = "access_revocations"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Customer(Base):
    """A subscriber of the ISP. Row-level security keeps each tenant's to itself."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_number", name="uq_customers_tenant_account"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    account_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


TENANT_DATA_TABLES = [t for t in metadata.sorted_tables if t.schema == TENANT_DATA]
"""In dependency order: what a silo is made of."""
