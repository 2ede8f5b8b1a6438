"""provisioning's own outgoing mail (demo follow-ups), queued with the state that calls for it

Revision ID: 0003_mail_outbox
Revises: 0002_instances_deployment_index
Create Date: 2026-11-24 19:40:00
"""
from collections.abc import Sequence

from servicekit.migrations import create_mail_outbox_v1, drop_mail_outbox_v1

revision: str = '0003_mail_outbox'
down_revision: str | None = '0002_instances_deployment_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_mail_outbox_v1('provisioning')


def downgrade() -> None:
    drop_mail_outbox_v1('provisioning')
