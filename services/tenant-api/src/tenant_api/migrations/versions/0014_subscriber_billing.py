"""subscriber billing: per-ISP billing settings with the invoice number counter, tax rates
(default, per plan, per customer), vacation holds, bill runs, invoices and credit notes with
their lines, and payments recorded by hand

Applied to the shared tenant_data schema and to every silo alike.

Revision ID: 0014_subscriber_billing
Revises: 0013_offboarding
Create Date: 2026-12-03 18:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table, service_role

revision: str = '0014_subscriber_billing'
down_revision: str | None = '0013_offboarding'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"
NEW_TABLES = ("tax_rates", "billing_settings", "customer_billing", "billing_holds", "bill_runs",
              "invoices", "invoice_lines", "payments")


def _schemas() -> list[str]:
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return ["tenant_data", *(row[0] for row in silos)]


def _tenant_id(primary_key: bool = False) -> sa.Column:
    return sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                     nullable=False, primary_key=primary_key)


def _money(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False, **kw)


def _upgrade(s: str) -> None:
    op.create_table(
        'tax_rates',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('basis_points', sa.Integer(), nullable=False, comment='2000 = 20.00%'),
        sa.Column('inclusive', sa.Boolean(), nullable=False, comment='prices already contain it'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('tenant_id', 'name', name='uq_tax_rates_tenant_name'),
        schema=s,
    )
    op.add_column('service_plans', sa.Column(
        'tax_rate_id', sa.Uuid(), sa.ForeignKey(f'{s}.tax_rates.id', ondelete='SET NULL'),
        comment="the tax on it, unless the customer has its own; null: the ISP's default"),
        schema=s)
    op.create_index(f'ix_tenant_data_service_plans_tax_rate_id', 'service_plans', ['tax_rate_id'],
                    schema=s)
    op.create_table(
        'billing_settings',
        _tenant_id(primary_key=True),
        sa.Column('currency', sa.String(3), nullable=False, comment='ISO 4217'),
        sa.Column('tax_rate_id', sa.Uuid(), sa.ForeignKey(f'{s}.tax_rates.id', ondelete='SET NULL'),
                  comment='the default tax; null: none'),
        sa.Column('invoice_prefix', sa.String(16), nullable=False),
        sa.Column('next_invoice_number', sa.BigInteger(), nullable=False),
        sa.Column('payment_terms_days', sa.SmallInteger(), nullable=False),
        sa.Column('billing_day', sa.SmallInteger(), nullable=False,
                  comment='1-28: periods start on it'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index(f'ix_tenant_data_billing_settings_tax_rate_id', 'billing_settings', ['tax_rate_id'],
                    schema=s)
    op.create_table(
        'customer_billing',
        sa.Column('customer_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'), primary_key=True),
        _tenant_id(),
        sa.Column('tax_rate_id', sa.Uuid(), sa.ForeignKey(f'{s}.tax_rates.id', ondelete='SET NULL')),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index(f'ix_tenant_data_customer_billing_tenant_id', 'customer_billing', ['tenant_id'], schema=s)
    op.create_index(f'ix_tenant_data_customer_billing_tax_rate_id', 'customer_billing', ['tax_rate_id'],
                    schema=s)
    op.create_table(
        'billing_holds',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('subscription_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.subscriptions.id', ondelete='CASCADE'),
                  comment='null: every subscription of the customer'),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False, comment='the first day billed again'),
        sa.Column('reason', sa.String(500)),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_billing_holds_customer', 'billing_holds', ['customer_id', 'starts_on'],
                    schema=s)
    op.create_index(f'ix_tenant_data_billing_holds_tenant_id', 'billing_holds', ['tenant_id'], schema=s)
    op.create_index(f'ix_tenant_data_billing_holds_subscription_id', 'billing_holds', ['subscription_id'],
                    schema=s)
    op.create_table(
        'bill_runs',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False, comment="the next period's first day"),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('issue', sa.Boolean(), nullable=False,
                  comment='numbered and issued, or left drafts'),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('invoices_created', sa.Integer(), nullable=False),
        _money('amount_invoiced', comment='minor units'),
        sa.Column('summary', postgresql.JSONB(), nullable=False),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_bill_runs_tenant_period', 'bill_runs',
                    ['tenant_id', 'period_start', 'created_at'], schema=s)
    op.create_table(
        'invoices',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('kind', sa.String(16), nullable=False, comment='invoice or credit_note'),
        sa.Column('status', sa.String(16), nullable=False,
                  comment='draft, issued, partially_paid...'),
        sa.Column('sequence_number', sa.BigInteger(), comment='set at issue'),
        sa.Column('number', sa.String(40), comment='prefix + sequence number'),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('period_start', sa.Date(), comment="a bill run's period"),
        sa.Column('period_end', sa.Date()),
        sa.Column('bill_run_id', sa.Uuid(), sa.ForeignKey(f'{s}.bill_runs.id', ondelete='SET NULL')),
        sa.Column('credited_invoice_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.invoices.id', ondelete='CASCADE'),
                  comment="a credit note's invoice"),
        _money('subtotal', comment='the lines without tax'),
        _money('discount_total'),
        _money('tax_total'),
        _money('total', comment='subtotal + tax_total'),
        _money('amount_paid', server_default='0'),
        _money('amount_credited', server_default='0'),
        sa.Column('issued_on', sa.Date()),
        sa.Column('due_on', sa.Date()),
        sa.Column('memo', sa.String(500)),
        sa.Column('void_reason', sa.String(500)),
        sa.Column('idempotency_key', sa.String(200)),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('uq_invoices_tenant_number', 'invoices', ['tenant_id', 'sequence_number'],
                    unique=True, schema=s)
    op.create_index('uq_invoices_customer_period', 'invoices',
                    ['tenant_id', 'customer_id', 'period_start'], unique=True, schema=s,
                    postgresql_where=sa.text("kind = 'invoice' AND period_start IS NOT NULL"))
    op.create_index('uq_invoices_idempotency_key', 'invoices', ['tenant_id', 'idempotency_key'],
                    unique=True, schema=s,
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.create_index('ix_invoices_tenant_status', 'invoices', ['tenant_id', 'status', 'due_on'],
                    schema=s)
    op.create_index('ix_invoices_customer', 'invoices', ['customer_id', 'created_at'], schema=s)
    op.create_index('ix_invoices_bill_run', 'invoices', ['bill_run_id'], schema=s)
    op.create_index('ix_invoices_credited', 'invoices', ['credited_invoice_id'], schema=s)
    op.create_table(
        'invoice_lines',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('invoice_id', sa.Uuid(), sa.ForeignKey(f'{s}.invoices.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False,
                  comment='service, prorated, setup_fee, manual'),
        sa.Column('description', sa.String(300), nullable=False),
        sa.Column('subscription_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.subscriptions.id', ondelete='SET NULL')),
        sa.Column('service_start', sa.Date()),
        sa.Column('service_end', sa.Date(), comment='the first day not covered'),
        sa.Column('quantity', sa.Integer(), nullable=False),
        _money('unit_amount'),
        _money('discount'),
        sa.Column('tax_basis_points', sa.Integer(), nullable=False),
        sa.Column('tax_inclusive', sa.Boolean(), nullable=False),
        _money('net'),
        _money('tax'),
        _money('total'),
        sa.Column('credited_line_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.invoice_lines.id', ondelete='CASCADE'),
                  comment="a credit note's line: the line it credits"),
        schema=s,
    )
    op.create_index('ix_invoice_lines_invoice', 'invoice_lines', ['invoice_id', 'position'],
                    schema=s)
    for column in ('tenant_id', 'subscription_id', 'credited_line_id'):
        op.create_index(f'ix_tenant_data_invoice_lines_{column}', 'invoice_lines', [column], schema=s)
    op.create_table(
        'payments',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('invoice_id', sa.Uuid(), sa.ForeignKey(f'{s}.invoices.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('customer_id', sa.Uuid(), sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'),
                  nullable=False),
        _money('amount'),
        sa.Column('method', sa.String(16), nullable=False, comment='cash, bank_transfer, other'),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('reference', sa.String(200)),
        sa.Column('idempotency_key', sa.String(200)),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('uq_payments_idempotency_key', 'payments', ['tenant_id', 'idempotency_key'],
                    unique=True, schema=s,
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    for column in ('tenant_id', 'invoice_id', 'customer_id'):
        op.create_index(f'ix_tenant_data_payments_{column}', 'payments', [column], schema=s)
    for table in NEW_TABLES:
        for statement in isolate_tenant_table(s, table):
            op.execute(statement)
    for statement in service_role(s, APP_ROLE):
        op.execute(statement)


def upgrade() -> None:
    for schema in _schemas():
        _upgrade(schema)


def downgrade() -> None:
    for s in _schemas():
        for table in reversed(NEW_TABLES):
            op.drop_table(table, schema=s)
        op.drop_column('service_plans', 'tax_rate_id', schema=s)
