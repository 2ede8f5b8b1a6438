from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "tenant"
"""The platform's view of its tenants: who they are, their entitlements, the outboxes."""
TENANT_DATA = "tenant_data"
"""Each ISP's own data. Shared tenants keep it in this schema, their rows kept apart by
row-level security; a tenant placed in a silo keeps it in a schema of its own, with the same
tables, reached by the same code through a schema translation (see
`tenant_api.tenancy.placement`)."""
SCHEMAS = (SCHEMA, TENANT_DATA)
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata, attachments=True)


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
    demo: Mapped[bool] = mapped_column(
        Boolean, server_default="false", comment="a prospect's demo, removed by its lifecycle"
    )
    last_used_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="a demo's last sign-in, to the hour"
    )
    cancellation_requested_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the owner cancelled; offboarding runs"
    )
    data_schema: Mapped[str | None] = mapped_column(
        String(63), comment="the schema of its own data if placed in a silo; null: shared"
    )

    @property
    def isolation(self) -> str:
        return "silo" if self.data_schema else "shared"


class DataExport(Base):
    """An archive of all of an ISP's data (a zip of JSON lines, one file per kind of record),
    made when it leaves, for its owner to download."""

    __tablename__ = "data_exports"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginLink(Base):
    """A one-time link to choose a first password, stored only as its hash."""

    __tablename__ = "login_links"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A key a program uses instead of a person's sign-in. Only its hash is stored: the key is
    shown once, when it is created."""

    __tablename__ = "api_keys"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), comment="the key's first characters, shown")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONB)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="SET NULL"),
        index=True,
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
        Index("ix_customers_tenant_status", "tenant_id", "status"),
        Index("ix_customers_tenant_name", "tenant_id", "name"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_customers_search",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    account_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        String(16), server_default="residential", comment="residential, business or reseller"
    )
    reseller_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="SET NULL"),
        comment="the reseller this customer was sold through",
        index=True,
    )
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    contact_address: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    service_address: Mapped[dict[str, str] | None] = mapped_column(
        JSONB, comment="where the service is delivered, if not the contact address"
    )
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    search_text: Mapped[str] = mapped_column(
        Text,
        Computed(
            "lower(account_number || ' ' || name || ' ' || coalesce(email, '') || ' ' || "
            "coalesce(phone, '') || ' ' || coalesce(contact_address::text, '') || ' ' || "
            "coalesce(service_address::text, ''))",
            persisted=True,
        ),
        comment="what customer search matches, kept by Postgres",
    )


class CustomerStatusChange(Base):
    """Each change of a customer's status, with its reason: the history reports read."""

    __tablename__ = "customer_status_changes"
    __table_args__ = (
        Index("ix_customer_status_changes_customer", "customer_id", "changed_at"),
        Index("ix_customer_status_changes_tenant_time", "tenant_id", "changed_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    from_status: Mapped[str | None] = mapped_column(String(16), comment="null: created")
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str | None] = mapped_column(String(200), comment="who: a person or a key")


class CustomerNote(Base):
    __tablename__ = "customer_notes"
    __table_args__ = (
        Index("ix_customer_notes_customer", "customer_id", "created_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountNumbers(Base):
    """The next account number of each tenant's customers (numbers are never reused)."""

    __tablename__ = "account_numbers"
    __table_args__ = {"schema": TENANT_DATA}

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    next_number: Mapped[int] = mapped_column(Integer)


class ServicePlan(Base):
    """What an ISP sells: a catalogue plan, or a custom package made for one customer."""

    __tablename__ = "service_plans"
    __table_args__ = (
        Index(
            "uq_service_plans_catalogue_name",
            "tenant_id",
            "name",
            unique=True,
            postgresql_where=text("customer_id IS NULL"),
        ),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    download_mbps: Mapped[int] = mapped_column(Integer)
    upload_mbps: Mapped[int] = mapped_column(Integer)
    data_cap_gb: Mapped[int | None] = mapped_column(Integer, comment="null: unlimited")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    setup_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    billing_cycle: Mapped[str] = mapped_column(String(16), comment="monthly, quarterly, annual")
    status: Mapped[str] = mapped_column(String(16), comment="active or retired")
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE"),
        comment="set: a custom package only this customer can subscribe to",
        index=True,
    )
    tax_rate_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.tax_rates.id", ondelete="SET NULL"),
        comment="the tax on it, unless the customer has its own; null: the ISP's default",
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Subscription(Base):
    """A customer on a plan from a date until a date. A plan change ends one subscription and
    starts the next the same day (`previous_id`): the history subscriber billing reads."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_customer", "customer_id", "starts_on"),
        Index("ix_subscriptions_tenant_plan", "tenant_id", "plan_id"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    plan_id: Mapped[UUID] = mapped_column(ForeignKey(f"{TENANT_DATA}.service_plans.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(
        Date, comment="the first day no longer on the plan; null: open"
    )
    end_reason: Mapped[str | None] = mapped_column(String(16), comment="changed or cancelled")
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    previous_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.subscriptions.id", ondelete="SET NULL"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Ticket(Base):
    """A support ticket. `sla_due_at` is set for tenants with sla_management."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_tickets_tenant_number"),
        Index("ix_tickets_tenant_status", "tenant_id", "status"),
        Index("ix_tickets_customer", "customer_id"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), comment="open, pending, resolved, closed")
    priority: Mapped[str] = mapped_column(String(16), comment="low, normal, high, urgent")
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="SET NULL"),
        index=True,
    )
    opened_by: Mapped[str] = mapped_column(String(200))
    sla_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TicketComment(Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (
        Index("ix_ticket_comments_ticket", "ticket_id", "created_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.tickets.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.users.id", ondelete="SET NULL"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Device(Base):
    """A network device the ISP manages. Its SNMP secrets (community, v3 keys) are stored only
    sealed (`tenant_api.devices.service.snmp_columns`) and never returned."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "management_ip", name="uq_devices_tenant_ip"),
        Index("ix_devices_tenant_site", "tenant_id", "site"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32), comment="router, switch, olt, access point...")
    management_ip: Mapped[str] = mapped_column(INET)
    site: Mapped[str] = mapped_column(String(200))
    snmp_version: Mapped[str] = mapped_column(String(4), comment="v1, v2c or v3")
    snmp_port: Mapped[int] = mapped_column(Integer)
    snmp_username: Mapped[str | None] = mapped_column(String(100), comment="v3 only")
    snmp_auth_protocol: Mapped[str | None] = mapped_column(String(16))
    snmp_privacy_protocol: Mapped[str | None] = mapped_column(String(16))
    snmp_secrets: Mapped[str] = mapped_column(Text, comment="sealed: community or v3 keys")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerImport(Base):
    """An uploaded CSV of customers, checked (dry run) before it is committed all at once."""

    __tablename__ = "customer_imports"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, comment="the file as uploaded (UTF-8)")
    columns: Mapped[list[str]] = mapped_column(JSONB, comment="the file's header row")
    mapping: Mapped[dict[str, str]] = mapped_column(JSONB, comment="field -> column")
    default_country: Mapped[str | None] = mapped_column(
        String(2), comment="for addresses and phone numbers that name no country"
    )
    status: Mapped[str] = mapped_column(String(16), comment="checked or committed")
    rows: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AutomationRule(Base):
    """When `trigger` happens and the facts meet `conditions`, run `actions` (advanced_automation).
    Conditions and actions are kept as validated JSON (`tenant_api.automations.schemas`)."""

    __tablename__ = "automation_rules"
    __table_args__ = (
        Index("ix_automation_rules_tenant_trigger", "tenant_id", "trigger"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    actions: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    enabled: Mapped[bool] = mapped_column(Boolean)
    runs: Mapped[int] = mapped_column(Integer, server_default="0")
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AutomationRun(Base):
    """One time a rule's conditions held: what each of its actions did."""

    __tablename__ = "automation_runs"
    __table_args__ = (
        Index("ix_automation_runs_rule", "rule_id", "ran_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.automation_rules.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[UUID] = mapped_column(comment="the customer or ticket it was about")
    done: Mapped[list[str]] = mapped_column(JSONB)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaxRate(Base):
    """A tax an ISP charges, in basis points (2000 = 20.00%), added to prices (exclusive) or
    contained in them (inclusive)."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_tax_rates_tenant_name"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    basis_points: Mapped[int] = mapped_column(Integer, comment="2000 = 20.00%")
    inclusive: Mapped[bool] = mapped_column(Boolean, comment="prices already contain it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillingSettings(Base):
    """How an ISP bills its customers, and the counter of its invoice numbers: taken at issue
    time under this row's lock, in the issuing transaction, so a rollback gives the numbers
    back and none is ever skipped (a Postgres sequence would skip them)."""

    __tablename__ = "billing_settings"
    __table_args__ = {"schema": TENANT_DATA}

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), comment="ISO 4217")
    tax_rate_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.tax_rates.id", ondelete="SET NULL"),
        comment="the default tax; null: none",
        index=True,
    )
    invoice_prefix: Mapped[str] = mapped_column(String(16))
    next_invoice_number: Mapped[int] = mapped_column(BigInteger)
    payment_terms_days: Mapped[int] = mapped_column(SmallInteger)
    billing_day: Mapped[int] = mapped_column(SmallInteger, comment="1-28: periods start on it")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerBilling(Base):
    """What billing keeps about one customer: its own tax (an exempt business, say)."""

    __tablename__ = "customer_billing"
    __table_args__ = {"schema": TENANT_DATA}

    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    tax_rate_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.tax_rates.id", ondelete="SET NULL"), index=True
    )
    never_suspend: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), comment="dunning never suspends this customer"
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillingHold(Base):
    """A vacation hold: from `starts_on` up to (not including) `ends_on` the customer (or only
    one of its subscriptions) is not billed."""

    __tablename__ = "billing_holds"
    __table_args__ = (
        Index("ix_billing_holds_customer", "customer_id", "starts_on"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    subscription_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.subscriptions.id", ondelete="CASCADE"),
        comment="null: every subscription of the customer",
        index=True,
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, comment="the first day billed again")
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillRun(Base):
    """One bill run (or dry run) of a period: what it invoiced, or would have."""

    __tablename__ = "bill_runs"
    __table_args__ = (
        Index("ix_bill_runs_tenant_period", "tenant_id", "period_start", "created_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date, comment="the next period's first day")
    dry_run: Mapped[bool] = mapped_column(Boolean)
    issue: Mapped[bool] = mapped_column(Boolean, comment="numbered and issued, or left drafts")
    currency: Mapped[str] = mapped_column(String(3))
    invoices_created: Mapped[int] = mapped_column(Integer)
    amount_invoiced: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    summary: Mapped[dict[str, object]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillingBranding(Base):
    """How the ISP's invoices and statements present it: its legal name, address and tax
    number (any tier with basic_billing), and with white_label its own name, colour, footer and
    logo."""

    __tablename__ = "billing_branding"
    __table_args__ = {"schema": TENANT_DATA}

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    legal_name: Mapped[str | None] = mapped_column(String(200), comment="null: the ISP's name")
    address: Mapped[str | None] = mapped_column(String(500), comment="lines separated by newlines")
    tax_number: Mapped[str | None] = mapped_column(String(50))
    display_name: Mapped[str | None] = mapped_column(
        String(200), comment="white_label: the name shown"
    )
    accent_colour: Mapped[str | None] = mapped_column(String(7), comment="white_label: #rrggbb")
    footer: Mapped[str | None] = mapped_column(String(300), comment="white_label")
    logo: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="white_label: PNG or JPEG, re-encoded"
    )
    logo_media_type: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssuedInvoiceNumbers(Base):
    """Invoice numbers an ISP issued, whose invoices are still to be mailed (with
    automated_billing): `next_number` moves up to `last_number` + 1 as they are. Kept apart
    from the tenant data (no row-level security) so the mailer finds every ISP's in one query;
    it holds only numbers."""

    __tablename__ = "issued_invoice_numbers"
    __table_args__ = (
        Index(
            "ix_issued_invoice_numbers_pending",
            "tenant_id",
            "id",
            postgresql_where=text("next_number <= last_number"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    next_number: Mapped[int] = mapped_column(
        BigInteger, comment="the first number of the block not mailed yet"
    )
    last_number: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InvoiceMailing(Base):
    """An invoice mailed to its customer (or why not): once when it is issued, and again when
    someone asks. Beside the issued numbers (no row-level security); it holds only ids, the
    address and dates."""

    __tablename__ = "invoice_mailings"
    __table_args__ = (
        Index(
            "uq_invoice_mailings_issued",
            "invoice_id",
            unique=True,
            postgresql_where=text("reason = 'issued'"),
        ),
        Index(
            "uq_invoice_mailings_idempotency_key",
            "tenant_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_invoice_mailings_invoice", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    invoice_id: Mapped[UUID]
    reason: Mapped[str] = mapped_column(String(16), comment="issued or requested")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    to_address: Mapped[str | None] = mapped_column(String(320))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(300), comment="sent, or why not")


class Invoice(Base):
    """An invoice or a credit note (`kind`). Amounts are integer minor units of `currency`.
    A bill run's invoice is unique per customer and period, so a re-run adds nothing."""

    __tablename__ = "invoices"
    __table_args__ = (
        Index("uq_invoices_tenant_number", "tenant_id", "sequence_number", unique=True),
        Index(
            "uq_invoices_customer_period",
            "tenant_id",
            "customer_id",
            "period_start",
            unique=True,
            postgresql_where=text("kind = 'invoice' AND period_start IS NOT NULL"),
        ),
        Index(
            "uq_invoices_idempotency_key",
            "tenant_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_invoices_tenant_status", "tenant_id", "status", "due_on"),
        Index("ix_invoices_customer", "customer_id", "created_at"),
        Index("ix_invoices_bill_run", "bill_run_id"),
        Index("ix_invoices_credited", "credited_invoice_id"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenant.tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16), comment="invoice or credit_note")
    status: Mapped[str] = mapped_column(String(16), comment="draft, issued, partially_paid...")
    sequence_number: Mapped[int | None] = mapped_column(BigInteger, comment="set at issue")
    number: Mapped[str | None] = mapped_column(String(40), comment="prefix + sequence number")
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date | None] = mapped_column(Date, comment="a bill run's period")
    period_end: Mapped[date | None] = mapped_column(Date)
    bill_run_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.bill_runs.id", ondelete="SET NULL")
    )
    credited_invoice_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="CASCADE"),
        comment="a credit note's invoice",
    )
    subtotal: Mapped[int] = mapped_column(BigInteger, comment="the lines without tax")
    discount_total: Mapped[int] = mapped_column(BigInteger)
    tax_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger, comment="subtotal + tax_total")
    amount_paid: Mapped[int] = mapped_column(BigInteger, server_default="0")
    amount_credited: Mapped[int] = mapped_column(BigInteger, server_default="0")
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    memo: Mapped[str | None] = mapped_column(String(500))
    void_reason: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InvoiceLine(Base):
    """One line: `quantity` x `unit_amount` less `discount` is its amount, which contains the
    tax (`tax_inclusive`) or has it added; `net` + `tax` = `total`."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        Index("ix_invoice_lines_invoice", "invoice_id", "position"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), comment="service, prorated, setup_fee, manual")
    description: Mapped[str] = mapped_column(String(300))
    subscription_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.subscriptions.id", ondelete="SET NULL"), index=True
    )
    service_start: Mapped[date | None] = mapped_column(Date)
    service_end: Mapped[date | None] = mapped_column(Date, comment="the first day not covered")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    tax_basis_points: Mapped[int] = mapped_column(Integer)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean)
    net: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    credited_line_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoice_lines.id", ondelete="CASCADE"),
        comment="a credit note's line: the line it credits",
        index=True,
    )


class Payment(Base):
    """Money received from a customer: cash or a bank transfer recorded by hand, or a card
    charged through the ISP's Stripe account. Recorded against one invoice, or to the
    customer's account; either way its allocations say which invoices it paid, and what is
    neither allocated nor refunded is the customer's credit."""

    __tablename__ = "payments"
    __table_args__ = (
        Index(
            "uq_payments_idempotency_key",
            "tenant_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="CASCADE"),
        index=True,
        comment="the invoice it was recorded against; null: the customer's account",
    )
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, server_default="0")
    method: Mapped[str] = mapped_column(String(16), comment="cash, bank_transfer, card, other")
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(200))
    stripe_payment_intent: Mapped[str | None] = mapped_column(
        String(255), comment="a card payment's PaymentIntent at Stripe"
    )
    card_last4: Mapped[str | None] = mapped_column(String(4))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentRefund(Base):
    """Money given back of a payment (a card refund goes through Stripe)."""

    __tablename__ = "payment_refunds"
    __table_args__ = (
        Index(
            "uq_payment_refunds_idempotency_key",
            "tenant_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.payments.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(500))
    stripe_refund: Mapped[str | None] = mapped_column(
        String(255), comment="a card refund's id at Stripe"
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentAllocation(Base):
    """So much of a payment went to an invoice. Rows are only added: a refund that takes money
    back off an invoice adds a negative row naming the refund."""

    __tablename__ = "payment_allocations"
    __table_args__ = {"schema": TENANT_DATA}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.payments.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="CASCADE"), index=True
    )
    refund_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.payment_refunds.id", ondelete="CASCADE"),
        index=True,
        comment="set: the refund that took this much back off the invoice",
    )
    amount: Mapped[int] = mapped_column(
        BigInteger, comment="minor units; negative: taken back by a refund"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StripeAccount(Base):
    """The ISP's own Stripe account, that its customers' cards are charged through."""

    __tablename__ = "stripe_accounts"
    __table_args__ = {"schema": TENANT_DATA}

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    sealed_secret_key: Mapped[str] = mapped_column(
        Text, comment="the secret key, sealed; never shown again"
    )
    key_last4: Mapped[str] = mapped_column(String(4))
    live: Mapped[bool] = mapped_column(Boolean, comment="sk_live_ (else sk_test_)")
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningSettings(Base):
    """How an ISP chases overdue invoices: reminders, a late fee, suspension."""

    __tablename__ = "dunning_settings"
    __table_args__ = {"schema": TENANT_DATA}

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    reminder_days: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), comment="days from the due date: -3 is three days before"
    )
    late_fee_kind: Mapped[str] = mapped_column(String(8), comment="none, fixed, percent")
    late_fee_amount: Mapped[int] = mapped_column(BigInteger, comment="fixed: minor units")
    late_fee_basis_points: Mapped[int] = mapped_column(
        Integer, comment="percent: of the invoice's balance, 500 = 5.00%"
    )
    grace_days: Mapped[int] = mapped_column(SmallInteger)
    suspend_after_days: Mapped[int | None] = mapped_column(SmallInteger, comment="null: never")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningAction(Base):
    """What dunning did: a reminder mailed (once per invoice and step), a late fee charged
    (once per invoice), a customer suspended or reactivated."""

    __tablename__ = "dunning_actions"
    __table_args__ = (
        Index(
            "uq_dunning_actions_reminder",
            "tenant_id",
            "invoice_id",
            "step",
            unique=True,
            postgresql_where=text("kind = 'reminder'"),
        ),
        Index(
            "uq_dunning_actions_late_fee",
            "tenant_id",
            "invoice_id",
            unique=True,
            postgresql_where=text("kind = 'late_fee'"),
        ),
        Index("ix_dunning_actions_customer", "customer_id", "created_at"),
        {"schema": TENANT_DATA},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[UUID] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.customers.id", ondelete="CASCADE")
    )
    invoice_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="CASCADE"),
        index=True,
        comment="null: about the customer (suspended, reactivated)",
    )
    kind: Mapped[str] = mapped_column(
        String(16), comment="reminder, late_fee, suspended, reactivated"
    )
    step: Mapped[int | None] = mapped_column(
        SmallInteger, comment="a reminder's day from the due date"
    )
    fee_invoice_id: Mapped[UUID | None] = mapped_column(
        ForeignKey(f"{TENANT_DATA}.invoices.id", ondelete="SET NULL"),
        index=True,
        comment="a late fee's own invoice",
    )
    amount: Mapped[int | None] = mapped_column(
        BigInteger, comment="a late fee's, or what was overdue (minor units)"
    )
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillSchedule(Base):
    """An ISP's automatic bill runs: the next period to bill and the day it is due (the day
    after it ends). Kept apart from the tenant data (no row-level security) so the scheduler
    finds every ISP's due runs in one query; it holds only ids and dates."""

    __tablename__ = "bill_schedules"
    __table_args__ = (Index("ix_bill_schedules_due", "due_on"),)

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), comment="YYYY-MM: the next period to bill")
    due_on: Mapped[date] = mapped_column(Date, comment="the period's end: billed from then")
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningSchedule(Base):
    """An ISP's daily dunning pass: the day it is next due. Like the bill schedules, kept
    apart from the tenant data so the scheduler finds every ISP's due passes in one query."""

    __tablename__ = "dunning_schedules"
    __table_args__ = (Index("ix_dunning_schedules_due", "due_on"),)

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    due_on: Mapped[date] = mapped_column(Date, comment="the next daily pass")
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerCountDue(Base):
    """Each ISP's customer count as its last change left it, and whether it is still to be
    announced. Written under the ISP's customers lock by whatever changes the count; the
    announcer (`tenant_api.customers.counts`) publishes the due ones of many ISPs in one
    `CustomersCounted` and clears `due`. Kept apart from the tenant data, like the schedules,
    so one query finds every ISP's; it holds only ids and numbers."""

    __tablename__ = "customer_counts"
    __table_args__ = (Index("ix_customer_counts_due", "counted_at", postgresql_where=text("due")),)

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenant.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    customers: Mapped[int] = mapped_column(Integer, comment="not cancelled: what the cap counts")
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due: Mapped[bool] = mapped_column(Boolean, comment="changed since last announced")


TENANT_DATA_TABLES = [t for t in metadata.sorted_tables if t.schema == TENANT_DATA]
"""In dependency order: what a silo is made of."""
