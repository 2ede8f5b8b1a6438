"""initial schema

Revision ID: 4255e1b38349
Revises: 
Create Date: 2026-11-24 12:43:27.253802
"""
from collections.abc import Sequence

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = '4255e1b38349'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1('billing')


def downgrade() -> None:
    drop_messaging_tables_v1('billing')
