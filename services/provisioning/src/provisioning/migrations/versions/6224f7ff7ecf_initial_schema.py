"""initial schema

Revision ID: 6224f7ff7ecf
Revises: 
Create Date: 2026-11-24 12:43:24.812621
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = '6224f7ff7ecf'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1('provisioning')
    op.create_table('deployments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('isp_id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('isp_id'),
    schema='provisioning'
    )
    op.create_table('deployment_steps',
    sa.Column('deployment_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['provisioning.deployments.id'], ),
    sa.PrimaryKeyConstraint('deployment_id', 'step'),
    schema='provisioning'
    )
    op.create_table('instances',
    sa.Column('isp_id', sa.Uuid(), nullable=False),
    sa.Column('deployment_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['provisioning.deployments.id'], ),
    sa.PrimaryKeyConstraint('isp_id'),
    sa.UniqueConstraint('host'),
    schema='provisioning'
    )


def downgrade() -> None:
    op.drop_table('instances', schema='provisioning')
    op.drop_table('deployment_steps', schema='provisioning')
    op.drop_table('deployments', schema='provisioning')
    drop_messaging_tables_v1('provisioning')
