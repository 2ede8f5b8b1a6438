"""payments and dunning: payments to a customer's account (not only to one invoice) with their
allocations to invoices and their refunds, card payments through the ISP's own Stripe account
(its key sealed), each ISP's dunning settings and what dunning did (reminders, late fees,
suspensions), and the daily timer of each ISP's dunning pass

Applied to the shared tenant_data schema and to every silo alike; the timer is the platform's
(tenant schema, like the bill schedules).

Revision ID: 0016_payments_dunning
Revises: 0015_bill_schedules
Create Date: 2026-12-03 20:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table, service_role

revision: str = '0016_payments_dunning'
down_revision: str | None = '0015_bill_schedules'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"
NEW_TABLES = ("payment_refunds", "payment_allocations", "stripe_accounts", "dunning_settings",
              "dunning_actions")


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
    # Payments: to one invoice (as before) or to the customer's account.
    op.alter_column('payments', 'invoice_id', existing_type=sa.Uuid(), nullable=True,
                    comment="the invoice it was recorded against; null: the customer's account",
                    schema=s)
    op.alter_column('payments', 'method', existing_type=sa.String(16),
                    comment='cash, bank_transfer, card, other', schema=s)
    op.add_column('payments', sa.Column('currency', sa.String(3)), schema=s)
    op.execute(f'UPDATE "{s}".payments p SET currency = i.currency FROM "{s}".invoices i '
               'WHERE i.id = p.invoice_id')
    op.alter_column('payments', 'currency', existing_type=sa.String(3), nullable=False, schema=s)
    op.add_column('payments', _money('amount_refunded', server_default='0'), schema=s)
    op.add_column('payments', sa.Column('stripe_payment_intent', sa.String(255),
                                        comment="a card payment's PaymentIntent at Stripe"),
                  schema=s)
    op.add_column('payments', sa.Column('card_last4', sa.String(4)), schema=s)
    op.create_table(
        'payment_refunds',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('payment_id', sa.Uuid(), sa.ForeignKey(f'{s}.payments.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('customer_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'), nullable=False),
        _money('amount'),
        sa.Column('reason', sa.String(500)),
        sa.Column('stripe_refund', sa.String(255), comment="a card refund's id at Stripe"),
        sa.Column('idempotency_key', sa.String(200)),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('uq_payment_refunds_idempotency_key', 'payment_refunds',
                    ['tenant_id', 'idempotency_key'], unique=True, schema=s,
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    for column in ('tenant_id', 'payment_id', 'customer_id'):
        op.create_index(f'ix_tenant_data_payment_refunds_{column}', 'payment_refunds', [column],
                        schema=s)
    op.create_table(
        'payment_allocations',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('payment_id', sa.Uuid(), sa.ForeignKey(f'{s}.payments.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('invoice_id', sa.Uuid(), sa.ForeignKey(f'{s}.invoices.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('refund_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.payment_refunds.id', ondelete='CASCADE'),
                  comment='set: the refund that took this much back off the invoice'),
        _money('amount', comment='minor units; negative: taken back by a refund'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    for column in ('tenant_id', 'payment_id', 'invoice_id', 'refund_id'):
        op.create_index(f'ix_tenant_data_payment_allocations_{column}', 'payment_allocations',
                        [column], schema=s)
    op.execute(f'INSERT INTO "{s}".payment_allocations '
               '(id, tenant_id, payment_id, invoice_id, amount, created_at) '
               f'SELECT gen_random_uuid(), tenant_id, id, invoice_id, amount, created_at '
               f'FROM "{s}".payments WHERE invoice_id IS NOT NULL')
    op.create_table(
        'stripe_accounts',
        _tenant_id(primary_key=True),
        sa.Column('sealed_secret_key', sa.Text(), nullable=False,
                  comment='the secret key, sealed; never shown again'),
        sa.Column('key_last4', sa.String(4), nullable=False),
        sa.Column('live', sa.Boolean(), nullable=False, comment='sk_live_ (else sk_test_)'),
        sa.Column('updated_by', sa.String(200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.add_column('customer_billing', sa.Column(
        'never_suspend', sa.Boolean(), nullable=False, server_default=sa.false(),
        comment='dunning never suspends this customer'), schema=s)
    op.create_table(
        'dunning_settings',
        _tenant_id(primary_key=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('reminder_days', postgresql.ARRAY(sa.SmallInteger()), nullable=False,
                  comment='days from the due date: -3 is three days before'),
        sa.Column('late_fee_kind', sa.String(8), nullable=False, comment='none, fixed, percent'),
        _money('late_fee_amount', comment='fixed: minor units'),
        sa.Column('late_fee_basis_points', sa.Integer(), nullable=False,
                  comment="percent: of the invoice's balance, 500 = 5.00%"),
        sa.Column('grace_days', sa.SmallInteger(), nullable=False),
        sa.Column('suspend_after_days', sa.SmallInteger(), comment='null: never'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_table(
        'dunning_actions',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('customer_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('invoice_id', sa.Uuid(), sa.ForeignKey(f'{s}.invoices.id', ondelete='CASCADE'),
                  comment='null: about the customer (suspended, reactivated)'),
        sa.Column('kind', sa.String(16), nullable=False,
                  comment='reminder, late_fee, suspended, reactivated'),
        sa.Column('step', sa.SmallInteger(), comment="a reminder's day from the due date"),
        sa.Column('fee_invoice_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.invoices.id', ondelete='SET NULL'),
                  comment="a late fee's own invoice"),
        sa.Column('amount', sa.BigInteger(),
                  comment="a late fee's, or what was overdue (minor units)"),
        sa.Column('detail', sa.String(500)),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('uq_dunning_actions_reminder', 'dunning_actions',
                    ['tenant_id', 'invoice_id', 'step'], unique=True, schema=s,
                    postgresql_where=sa.text("kind = 'reminder'"))
    op.create_index('uq_dunning_actions_late_fee', 'dunning_actions',
                    ['tenant_id', 'invoice_id'], unique=True, schema=s,
                    postgresql_where=sa.text("kind = 'late_fee'"))
    op.create_index('ix_dunning_actions_customer', 'dunning_actions',
                    ['customer_id', 'created_at'], schema=s)
    for column in ('tenant_id', 'invoice_id', 'fee_invoice_id'):
        op.create_index(f'ix_tenant_data_dunning_actions_{column}', 'dunning_actions', [column],
                        schema=s)
    for table in NEW_TABLES:
        for statement in isolate_tenant_table(s, table):
            op.execute(statement)
    for statement in service_role(s, APP_ROLE):
        op.execute(statement)


def upgrade() -> None:
    for schema in _schemas():
        _upgrade(schema)
    op.create_table(
        'dunning_schedules',
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('due_on', sa.Date(), nullable=False, comment='the next daily pass'),
        sa.Column('last_run_at', sa.DateTime(timezone=True)),
        sa.Column('last_error', sa.String(500)),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema='tenant',
    )
    op.create_index('ix_dunning_schedules_due', 'dunning_schedules', ['due_on'], schema='tenant')
    for statement in service_role('tenant', APP_ROLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('dunning_schedules', schema='tenant')
    for s in _schemas():
        for table in reversed(NEW_TABLES):
            op.drop_table(table, schema=s)
        op.drop_column('customer_billing', 'never_suspend', schema=s)
        for column in ('card_last4', 'stripe_payment_intent', 'amount_refunded', 'currency'):
            op.drop_column('payments', column, schema=s)
        op.execute(f'DELETE FROM "{s}".payments WHERE invoice_id IS NULL')
        op.alter_column('payments', 'invoice_id', existing_type=sa.Uuid(), nullable=False,
                        comment=None, schema=s)
        op.alter_column('payments', 'method', existing_type=sa.String(16),
                        comment='cash, bank_transfer, other', schema=s)
