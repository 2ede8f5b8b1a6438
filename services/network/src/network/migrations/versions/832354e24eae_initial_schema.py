"""initial schema

Revision ID: 832354e24eae
Revises: 
Create Date: 2026-11-24 12:43:28.055644
"""
from collections.abc import Sequence

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = '832354e24eae'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1('network')


def downgrade() -> None:
    drop_messaging_tables_v1('network')
