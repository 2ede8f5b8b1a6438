"""network.interface_rollups: interface rates per 5 minutes and per hour

Revision ID: 0003_rollups
Revises: 0002_devices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_rollups"
down_revision: str | None = "0002_devices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interface_rollups",
        sa.Column("device_id", sa.Uuid(), primary_key=True),
        sa.Column("if_index", sa.Integer(), primary_key=True),
        sa.Column("resolution_s", sa.Integer(), primary_key=True),
        sa.Column("bucket_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("in_bps_sum", sa.Float(), nullable=False),
        sa.Column("in_bps_max", sa.Float(), nullable=False),
        sa.Column("out_bps_sum", sa.Float(), nullable=False),
        sa.Column("out_bps_max", sa.Float(), nullable=False),
        schema="network",
    )
    op.create_index(
        "ix_network_interface_rollups_start",
        "interface_rollups",
        ["resolution_s", "bucket_start"],
        schema="network",
    )


def downgrade() -> None:
    op.drop_table("interface_rollups", schema="network")
