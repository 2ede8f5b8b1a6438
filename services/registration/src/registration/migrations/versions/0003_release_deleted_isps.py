"""an offboarded ISP's names (slug, company, registration number, domain) are free again: the
unique constraints hold among live ISPs only

Revision ID: 0003_release_deleted_isps
Revises: 0002_demos
Create Date: 2026-11-24 20:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_release_deleted_isps'
down_revision: str | None = '0002_demos'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text('deleted_at IS NULL')
UNIQUE = {
    'uq_isps_live_slug': ['slug'],
    'uq_isps_live_company_key': ['company_key'],
    'uq_isps_live_company_registration': ['country', 'registration_number'],
    'uq_isps_live_domain': ['domain'],
}
OLD = {
    'isps_slug_key': ['slug'],
    'isps_company_key_key': ['company_key'],
    'uq_isps_company_registration': ['country', 'registration_number'],
    'isps_domain_key': ['domain'],
}


def upgrade() -> None:
    op.add_column('isps', sa.Column('deleted_at', sa.DateTime(timezone=True),
                                    comment='offboarded: everything it had is gone'),
                  schema='registration')
    for name in OLD:
        op.drop_constraint(name, 'isps', schema='registration', type_='unique')
    for name, columns in UNIQUE.items():
        op.create_index(name, 'isps', columns, unique=True, schema='registration',
                        postgresql_where=LIVE)


def downgrade() -> None:
    for name in UNIQUE:
        op.drop_index(name, table_name='isps', schema='registration')
    for name, columns in OLD.items():
        op.create_unique_constraint(name, 'isps', columns, schema='registration')
    op.drop_column('isps', 'deleted_at', schema='registration')
