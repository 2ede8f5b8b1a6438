"""each ISP's own data moves to the tenant_data schema, which a silo tenant replaces with a
schema of its own; tenants record where their data is

Revision ID: 0006_tenant_data_schema
Revises: 0005_keys_customers_suspension
Create Date: 2026-11-24 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenant_api.tenancy.rls import service_role

revision: str = '0006_tenant_data_schema'
down_revision: str | None = '0005_keys_customers_suspension'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"
TENANT_DATA = ("users", "refresh_tokens", "login_links", "api_keys", "customers")


def upgrade() -> None:
    op.execute('CREATE SCHEMA IF NOT EXISTS "tenant_data"')
    for table in TENANT_DATA:  # row-level security policies move with their tables
        op.execute(f'ALTER TABLE "tenant"."{table}" SET SCHEMA "tenant_data"')
    for statement in service_role("tenant_data", APP_ROLE):
        op.execute(statement)
    op.add_column('tenants', sa.Column('data_schema', sa.String(length=63), nullable=True,
                                       comment='the schema of its own data if placed in a silo; '
                                               'null: shared'),
                  schema='tenant')


def downgrade() -> None:
    op.drop_column('tenants', 'data_schema', schema='tenant')
    for table in reversed(TENANT_DATA):
        op.execute(f'ALTER TABLE "tenant_data"."{table}" SET SCHEMA "tenant"')
