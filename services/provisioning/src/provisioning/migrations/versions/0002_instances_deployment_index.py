"""instances are found by their deployment through an index (every foreign key has one)

Revision ID: 0002_instances_deployment_index
Revises: 6224f7ff7ecf
Create Date: 2026-11-24 16:40:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0002_instances_deployment_index'
down_revision: str | None = '6224f7ff7ecf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_provisioning_instances_deployment_id', 'instances', ['deployment_id'],
                    schema='provisioning')


def downgrade() -> None:
    op.drop_index('ix_provisioning_instances_deployment_id', table_name='instances',
                  schema='provisioning')
