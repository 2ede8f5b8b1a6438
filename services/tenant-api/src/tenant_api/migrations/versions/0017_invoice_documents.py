"""invoice documents: each ISP's details and branding on its invoices (tenant data, in every
silo alike), the invoice numbers issued and not mailed yet and the record of invoices mailed to
customers (the platform's, like the bill schedules: one query finds every ISP's mail to send),
and attachments in the mail outbox

Revision ID: 0017_invoice_documents
Revises: 0016_payments_dunning
Create Date: 2026-12-03 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table, service_role

revision: str = '0017_invoice_documents'
down_revision: str | None = '0016_payments_dunning'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"


def _schemas() -> list[str]:
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return ["tenant_data", *(row[0] for row in silos)]


def _upgrade(s: str) -> None:
    op.create_table(
        'billing_branding',
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('legal_name', sa.String(200), comment="null: the ISP's name"),
        sa.Column('address', sa.String(500), comment='lines separated by newlines'),
        sa.Column('tax_number', sa.String(50)),
        sa.Column('display_name', sa.String(200), comment='white_label: the name shown'),
        sa.Column('accent_colour', sa.String(7), comment='white_label: #rrggbb'),
        sa.Column('footer', sa.String(300), comment='white_label'),
        sa.Column('logo', sa.LargeBinary(), comment='white_label: PNG or JPEG, re-encoded'),
        sa.Column('logo_media_type', sa.String(20)),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    for statement in isolate_tenant_table(s, 'billing_branding'):
        op.execute(statement)
    for statement in service_role(s, APP_ROLE):
        op.execute(statement)


def upgrade() -> None:
    for schema in _schemas():
        _upgrade(schema)
    op.add_column('mail_outbox', sa.Column(
        'attachments', postgresql.JSONB(),
        comment='erased once delivered'),
        schema='tenant')
    op.create_table(
        'invoice_mailings',
        sa.Column('id', sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('invoice_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.String(16), nullable=False, comment='issued or requested'),
        sa.Column('idempotency_key', sa.String(200)),
        sa.Column('to_address', sa.String(320)),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True)),
        sa.Column('outcome', sa.String(300), comment='sent, or why not'),
        schema='tenant',
    )
    op.create_index('uq_invoice_mailings_issued', 'invoice_mailings', ['invoice_id'],
                    unique=True, schema='tenant', postgresql_where=sa.text("reason = 'issued'"))
    op.create_index('uq_invoice_mailings_idempotency_key', 'invoice_mailings',
                    ['tenant_id', 'idempotency_key'], unique=True, schema='tenant',
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.create_table(
        'issued_invoice_numbers',
        sa.Column('id', sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('next_number', sa.BigInteger(), nullable=False,
                  comment='the first number of the block not mailed yet'),
        sa.Column('last_number', sa.BigInteger(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        schema='tenant',
    )
    op.create_index('ix_issued_invoice_numbers_pending', 'issued_invoice_numbers',
                    ['tenant_id', 'id'], schema='tenant',
                    postgresql_where=sa.text('next_number <= last_number'))
    op.create_index('ix_invoice_mailings_invoice', 'invoice_mailings', ['invoice_id'],
                    schema='tenant')
    for statement in service_role('tenant', APP_ROLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('issued_invoice_numbers', schema='tenant')
    op.drop_table('invoice_mailings', schema='tenant')
    op.drop_column('mail_outbox', 'attachments', schema='tenant')
    for s in _schemas():
        op.drop_table('billing_branding', schema=s)
