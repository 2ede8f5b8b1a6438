"""billing's own outgoing mail (payment and usage notices), queued with the move that calls for it

Revision ID: 0004_mail_outbox
Revises: 0003_usage
Create Date: 2026-11-24 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_mail_outbox'
down_revision: str | None = '0003_usage'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=True, comment='erased once delivered'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='billing',
    )
    op.create_index('ix_mail_outbox_unsent', 'mail_outbox', ['id'], unique=False,
                    schema='billing', postgresql_where=sa.text('sent_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_mail_outbox_unsent', table_name='mail_outbox', schema='billing')
    op.drop_table('mail_outbox', schema='billing')
