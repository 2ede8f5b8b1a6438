"""customer imports remember the country of addresses and phone numbers that name none

Applied to the shared tenant_data schema and to every silo alike.

Revision ID: 0008_import_default_country
Revises: 0007_isp_business
Create Date: 2026-11-24 15:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_import_default_country'
down_revision: str | None = '0007_isp_business'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schemas() -> list[str]:
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return ["tenant_data", *(row[0] for row in silos)]


def upgrade() -> None:
    for schema in _schemas():
        op.add_column('customer_imports', sa.Column(
            'default_country', sa.String(2),
            comment='for addresses and phone numbers that name no country'), schema=schema)


def downgrade() -> None:
    for schema in _schemas():
        op.drop_column('customer_imports', 'default_country', schema=schema)
