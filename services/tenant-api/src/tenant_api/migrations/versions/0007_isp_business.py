"""the ISP's business: customers with addresses, tags, status history and notes; service
plans and custom packages; subscriptions; tickets and comments; network devices; CSV imports

Applied to the shared tenant_data schema and to every silo alike.

Revision ID: 0007_isp_business
Revises: 0006_tenant_data_schema
Create Date: 2026-11-24 09:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table, service_role

revision: str = '0007_isp_business'
down_revision: str | None = '0006_tenant_data_schema'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"
NEW_TABLES = ("customer_status_changes", "customer_notes", "account_numbers", "service_plans",
              "subscriptions", "tickets", "ticket_comments", "devices", "customer_imports")
SEARCH_TEXT = (
    "lower(account_number || ' ' || name || ' ' || coalesce(email, '') || ' ' || "
    "coalesce(phone, '') || ' ' || coalesce(contact_address::text, '') || ' ' || "
    "coalesce(service_address::text, ''))"
)


def _schemas() -> list[str]:
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return ["tenant_data", *(row[0] for row in silos)]


def _tenant_id() -> sa.Column:
    return sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                     nullable=False)


def _upgrade(s: str) -> None:
    def ref(table: str) -> str:
        return f'{s}.{table}.id'

    op.add_column('customers', sa.Column('kind', sa.String(16), server_default='residential',
                                         nullable=False,
                                         comment='residential, business or reseller'), schema=s)
    op.add_column('customers', sa.Column('reseller_id', sa.Uuid(),
                                         sa.ForeignKey(ref('customers'), ondelete='SET NULL'),
                                         comment='the reseller this customer was sold through'),
                  schema=s)
    op.add_column('customers', sa.Column('contact_address', postgresql.JSONB()), schema=s)
    op.add_column('customers', sa.Column(
        'service_address', postgresql.JSONB(),
        comment='where the service is delivered, if not the contact address'), schema=s)
    op.add_column('customers', sa.Column('tags', postgresql.ARRAY(sa.String(40)),
                                         server_default='{}', nullable=False), schema=s)
    op.add_column('customers', sa.Column('status_reason', sa.String(500)), schema=s)
    op.add_column('customers', sa.Column('status_changed_at', sa.DateTime(timezone=True)),
                  schema=s)
    op.execute(f'UPDATE "{s}".customers SET status_changed_at = created_at')
    op.alter_column('customers', 'status_changed_at', nullable=False, schema=s)
    op.add_column('customers', sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True),
                                         nullable=False,
                                         comment='what customer search matches, kept by Postgres'),
                  schema=s)
    op.create_index('ix_customers_tenant_status', 'customers', ['tenant_id', 'status'], schema=s)
    op.create_index('ix_customers_tenant_name', 'customers', ['tenant_id', 'name'], schema=s)
    op.create_index('ix_customers_tags', 'customers', ['tags'], postgresql_using='gin', schema=s)
    op.create_index('ix_customers_search', 'customers', ['search_text'], postgresql_using='gin',
                    postgresql_ops={'search_text': 'gin_trgm_ops'}, schema=s)

    op.create_table(
        'customer_status_changes',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(ref('customers'), ondelete='CASCADE'),
                  nullable=False),
        sa.Column('from_status', sa.String(16), comment='null: created'),
        sa.Column('to_status', sa.String(16), nullable=False),
        sa.Column('reason', sa.String(500)),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by', sa.String(200), comment='who: a person or a key'),
        schema=s,
    )
    op.execute(
        f'INSERT INTO "{s}".customer_status_changes '
        '(id, tenant_id, customer_id, to_status, changed_at) '
        f'SELECT gen_random_uuid(), tenant_id, id, status, created_at FROM "{s}".customers'
    )
    op.create_index('ix_customer_status_changes_customer', 'customer_status_changes',
                    ['customer_id', 'changed_at'], schema=s)
    op.create_index('ix_customer_status_changes_tenant_time', 'customer_status_changes',
                    ['tenant_id', 'changed_at'], schema=s)
    op.create_table(
        'customer_notes',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(ref('customers'), ondelete='CASCADE'),
                  nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_customer_notes_customer', 'customer_notes', ['customer_id', 'created_at'],
                    schema=s)
    op.create_table(
        'account_numbers',
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('next_number', sa.Integer(), nullable=False),
        schema=s,
    )
    op.execute(
        f'INSERT INTO "{s}".account_numbers (tenant_id, next_number) '
        f'SELECT tenant_id, count(*) + 1 FROM "{s}".customers GROUP BY tenant_id'
    )
    op.create_table(
        'service_plans',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('description', sa.String(500)),
        sa.Column('download_mbps', sa.Integer(), nullable=False),
        sa.Column('upload_mbps', sa.Integer(), nullable=False),
        sa.Column('data_cap_gb', sa.Integer(), comment='null: unlimited'),
        sa.Column('price', sa.Numeric(10, 2), nullable=False),
        sa.Column('setup_fee', sa.Numeric(10, 2), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('billing_cycle', sa.String(16), nullable=False,
                  comment='monthly, quarterly, annual'),
        sa.Column('status', sa.String(16), nullable=False, comment='active or retired'),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(ref('customers'), ondelete='CASCADE'),
                  comment='set: a custom package only this customer can subscribe to'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True)),
        schema=s,
    )
    op.create_index('uq_service_plans_catalogue_name', 'service_plans', ['tenant_id', 'name'],
                    unique=True, postgresql_where=sa.text('customer_id IS NULL'), schema=s)
    op.create_table(
        'subscriptions',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(ref('customers'), ondelete='CASCADE'),
                  nullable=False),
        sa.Column('plan_id', sa.Uuid(), sa.ForeignKey(ref('service_plans')), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), comment='the first day no longer on the plan; null: open'),
        sa.Column('end_reason', sa.String(16), comment='changed or cancelled'),
        sa.Column('cancellation_reason', sa.String(500)),
        sa.Column('previous_id', sa.Uuid(),
                  sa.ForeignKey(ref('subscriptions'), ondelete='SET NULL')),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_subscriptions_customer', 'subscriptions', ['customer_id', 'starts_on'],
                    schema=s)
    op.create_index('ix_subscriptions_tenant_plan', 'subscriptions', ['tenant_id', 'plan_id'],
                    schema=s)
    op.create_table(
        'tickets',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('description', sa.Text()),
        sa.Column('status', sa.String(16), nullable=False,
                  comment='open, pending, resolved, closed'),
        sa.Column('priority', sa.String(16), nullable=False, comment='low, normal, high, urgent'),
        sa.Column('customer_id', sa.Uuid(),
                  sa.ForeignKey(ref('customers'), ondelete='SET NULL')),
        sa.Column('assignee_id', sa.Uuid(), sa.ForeignKey(ref('users'), ondelete='SET NULL')),
        sa.Column('opened_by', sa.String(200), nullable=False),
        sa.Column('sla_due_at', sa.DateTime(timezone=True)),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True)),
        sa.Column('closed_at', sa.DateTime(timezone=True)),
        sa.UniqueConstraint('tenant_id', 'number', name='uq_tickets_tenant_number'),
        schema=s,
    )
    op.create_index('ix_tickets_tenant_status', 'tickets', ['tenant_id', 'status'], schema=s)
    op.create_index('ix_tickets_customer', 'tickets', ['customer_id'], schema=s)
    op.create_table(
        'ticket_comments',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('ticket_id', sa.Uuid(), sa.ForeignKey(ref('tickets'), ondelete='CASCADE'),
                  nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author', sa.String(200), nullable=False),
        sa.Column('author_id', sa.Uuid(), sa.ForeignKey(ref('users'), ondelete='SET NULL')),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_ticket_comments_ticket', 'ticket_comments', ['ticket_id', 'created_at'],
                    schema=s)
    op.create_table(
        'devices',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('vendor', sa.String(100), nullable=False),
        sa.Column('model', sa.String(100), nullable=False),
        sa.Column('role', sa.String(32), nullable=False,
                  comment='router, switch, olt, access point...'),
        sa.Column('management_ip', postgresql.INET(), nullable=False),
        sa.Column('site', sa.String(200), nullable=False),
        sa.Column('snmp_version', sa.String(4), nullable=False, comment='v1, v2c or v3'),
        sa.Column('snmp_port', sa.Integer(), nullable=False),
        sa.Column('snmp_username', sa.String(100), comment='v3 only'),
        sa.Column('snmp_auth_protocol', sa.String(16)),
        sa.Column('snmp_privacy_protocol', sa.String(16)),
        sa.Column('snmp_secrets', sa.Text(), nullable=False,
                  comment='sealed: community or v3 keys'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('tenant_id', 'management_ip', name='uq_devices_tenant_ip'),
        schema=s,
    )
    op.create_index('ix_devices_tenant_site', 'devices', ['tenant_id', 'site'], schema=s)
    op.create_table(
        'customer_imports',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('filename', sa.String(200)),
        sa.Column('content', sa.Text(), nullable=False, comment='the file as uploaded (UTF-8)'),
        sa.Column('columns', postgresql.JSONB(), nullable=False, comment="the file's header row"),
        sa.Column('mapping', postgresql.JSONB(), nullable=False, comment='field -> column'),
        sa.Column('status', sa.String(16), nullable=False, comment='checked or committed'),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('committed_at', sa.DateTime(timezone=True)),
        schema=s,
    )
    for table in NEW_TABLES:
        for statement in isolate_tenant_table(s, table):
            op.execute(statement)
    for statement in service_role(s, APP_ROLE):
        op.execute(statement)


def upgrade() -> None:
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for schema in _schemas():
        _upgrade(schema)


def downgrade() -> None:
    for s in _schemas():
        for table in reversed(NEW_TABLES):
            op.drop_table(table, schema=s)
        for index in ('ix_customers_search', 'ix_customers_tags', 'ix_customers_tenant_name',
                      'ix_customers_tenant_status'):
            op.drop_index(index, table_name='customers', schema=s)
        for column in ('search_text', 'status_changed_at', 'status_reason', 'tags',
                       'service_address', 'contact_address', 'reseller_id', 'kind'):
            op.drop_column('customers', column, schema=s)
