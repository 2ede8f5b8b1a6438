"""network.devices: the devices it polls, from tenant-api's device events

Revision ID: 0002_devices
Revises: 832354e24eae
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_devices"
down_revision: str | None = "832354e24eae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("device_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("management_ip", sa.String(64), nullable=False),
        sa.Column("snmp_version", sa.String(8), nullable=False),
        sa.Column("snmp_port", sa.Integer(), nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema="network",
    )
    op.create_index("ix_network_devices_tenant_id", "devices", ["tenant_id"], schema="network")


def downgrade() -> None:
    op.drop_table("devices", schema="network")
