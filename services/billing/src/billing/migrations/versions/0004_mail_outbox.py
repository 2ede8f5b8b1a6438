"""billing's own outgoing mail (payment and usage notices), queued with the move that calls
for it

Revision ID: 0004_mail_outbox
Revises: 0003_usage
"""

from collections.abc import Sequence

from servicekit.migrations import create_mail_outbox_v1, drop_mail_outbox_v1

revision: str = "0004_mail_outbox"
down_revision: str | None = "0003_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_mail_outbox_v1("billing")


def downgrade() -> None:
    drop_mail_outbox_v1("billing")
