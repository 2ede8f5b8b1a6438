"""the owner's welcome: owner on the tenant, one-time login links, the mail outbox

Revision ID: 0004_owner_welcome
Revises: 0003_users_rls
Create Date: 2026-11-24 14:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.migrations import create_mail_outbox_v1, drop_mail_outbox_v1
from tenant_api.tenancy.rls import isolate_tenant_table

revision: str = '0004_owner_welcome'
down_revision: str | None = '0003_users_rls'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('tenants', sa.Column('owner_name', sa.String(length=200), nullable=True),
                  schema='tenant')
    op.add_column('tenants', sa.Column('owner_email', sa.String(length=320), nullable=True),
                  schema='tenant')
    op.create_table('login_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.tenants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['tenant.users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    schema='tenant'
    )
    for statement in isolate_tenant_table("tenant", "login_links"):
        op.execute(statement)
    create_mail_outbox_v1('tenant')


def downgrade() -> None:
    drop_mail_outbox_v1('tenant')
    op.drop_table('login_links', schema='tenant')
    op.drop_column('tenants', 'owner_email', schema='tenant')
    op.drop_column('tenants', 'owner_name', schema='tenant')
