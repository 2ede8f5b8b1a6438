"""published catalogs

Revision ID: 0003_published_catalogs
Revises: bbdc57f04f7b
Create Date: 2026-11-24 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_published_catalogs'
down_revision: str | None = 'bbdc57f04f7b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('published_catalogs',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version'),
    schema='licensing'
    )


def downgrade() -> None:
    op.drop_table('published_catalogs', schema='licensing')
