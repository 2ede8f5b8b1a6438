"""every change of a tenant row is announced (NOTIFY tenant_changed, its id) by the database
itself, so the replicas' tenant directories and placements cannot miss one, whoever makes it

Revision ID: 0009_tenant_changed_trigger
Revises: 0008_import_default_country
Create Date: 2026-11-24 16:15:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009_tenant_changed_trigger'
down_revision: str | None = '0008_import_default_country'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION tenant.announce_tenant_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tenant_changed', COALESCE(NEW.id, OLD.id)::text);
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER tenant_changed AFTER UPDATE OR DELETE ON tenant.tenants
        FOR EACH ROW EXECUTE FUNCTION tenant.announce_tenant_changed()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER tenant_changed ON tenant.tenants")
    op.execute("DROP FUNCTION tenant.announce_tenant_changed()")
