"""initial schema

Revision ID: d81b1c6d2df2
Revises: 
Create Date: 2026-11-24 12:43:23.675594
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1
from sqlalchemy.dialects import postgresql

revision: str = 'd81b1c6d2df2'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1('registration')
    op.create_table('idempotent_responses',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('body', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    schema='registration'
    )
    op.create_table('isps',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('company_key', sa.String(length=200), nullable=False, comment='casefolded, space-collapsed name: one ISP per name'),
    sa.Column('registration_number', sa.String(length=64), nullable=False),
    sa.Column('tax_id', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('contacts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('service_area', sa.String(length=500), nullable=False),
    sa.Column('expected_customers', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('billing_period', sa.String(length=16), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('company_key'),
    sa.UniqueConstraint('country', 'registration_number', name='uq_isps_company_registration'),
    sa.UniqueConstraint('domain'),
    sa.UniqueConstraint('slug'),
    schema='registration'
    )
    op.create_table('deployments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('isp_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('workflow_id', sa.String(length=100), nullable=True),
    sa.Column('instance_url', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['isp_id'], ['registration.isps.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('isp_id'),
    schema='registration'
    )
    op.create_table('deployment_steps',
    sa.Column('deployment_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['registration.deployments.id'], ),
    sa.PrimaryKeyConstraint('deployment_id', 'step'),
    schema='registration'
    )


def downgrade() -> None:
    op.drop_table('deployment_steps', schema='registration')
    op.drop_table('deployments', schema='registration')
    op.drop_table('isps', schema='registration')
    op.drop_table('idempotent_responses', schema='registration')
    drop_messaging_tables_v1('registration')
