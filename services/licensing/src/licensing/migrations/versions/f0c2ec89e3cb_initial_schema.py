"""initial schema

Revision ID: f0c2ec89e3cb
Revises: 
Create Date: 2026-11-24 12:43:26.408449
"""
from collections.abc import Sequence

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = 'f0c2ec89e3cb'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1('licensing')


def downgrade() -> None:
    drop_messaging_tables_v1('licensing')
