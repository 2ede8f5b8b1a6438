"""automation rules (advanced_automation) and the record of each time one ran

Applied to the shared tenant_data schema and to every silo alike.

Revision ID: 0011_automation_rules
Revises: 0010_foreign_key_indexes
Create Date: 2026-11-24 10:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table, service_role

revision: str = '0011_automation_rules'
down_revision: str | None = '0010_foreign_key_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"
NEW_TABLES = ("automation_rules", "automation_runs")


def _schemas() -> list[str]:
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return ["tenant_data", *(row[0] for row in silos)]


def _tenant_id() -> sa.Column:
    return sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                     nullable=False)


def _upgrade(s: str) -> None:
    op.create_table(
        'automation_rules',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('trigger', sa.String(40), nullable=False),
        sa.Column('conditions', postgresql.JSONB(), nullable=False),
        sa.Column('actions', postgresql.JSONB(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('runs', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_run_at', sa.DateTime(timezone=True)),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_automation_rules_tenant_trigger', 'automation_rules',
                    ['tenant_id', 'trigger'], schema=s)
    op.create_table(
        'automation_runs',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _tenant_id(),
        sa.Column('rule_id', sa.Uuid(),
                  sa.ForeignKey(f'{s}.automation_rules.id', ondelete='CASCADE'), nullable=False),
        sa.Column('trigger', sa.String(40), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False,
                  comment='the customer or ticket it was about'),
        sa.Column('done', postgresql.JSONB(), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        schema=s,
    )
    op.create_index('ix_automation_runs_rule', 'automation_runs', ['rule_id', 'ran_at'], schema=s)
    op.create_index('ix_tenant_data_automation_runs_tenant_id', 'automation_runs', ['tenant_id'], schema=s)
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
