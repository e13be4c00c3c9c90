"""privacy: duty schedules and the location switch, visit records, contacts' consent records (issue 11)

``regions.duty_schedule`` / ``users.duty_schedule``: when fixes are accepted (docs/privacy.md);
``users.location_on``: the rep's switch. ``visit_records``: raw fixes reduced after FIX_RETENTION_DAYS.
``contact_consents``: one row per consent change; an existing ``contacts.consent`` becomes a granted
``visit_card`` record (channel ``import``). Hand-written.

Revision ID: f7b3d1e8a2c9
Revises: e5a1c7d9b2f4
Create Date: 2026-12-08 23:30:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'f7b3d1e8a2c9'
down_revision = 'e5a1c7d9b2f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_schedule', sa.JSON(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_schedule', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('location_on', sa.Boolean(), nullable=False, server_default=sa.true()))

    op.create_table('visit_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('first_enter_at', sa.DateTime(), nullable=False),
    sa.Column('last_exit_at', sa.DateTime(), nullable=False),
    sa.Column('fixes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], ),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rep_id', 'day', 'place_id')
    )
    with op.batch_alter_table('visit_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_records_rep_id'), ['rep_id'], unique=False)

    consents = op.create_table('contact_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_consents', schema=None) as batch_op:
        batch_op.create_index('ix_contact_consents_contact_purpose', ['contact_id', 'purpose', 'id'], unique=False)

    contacts = sa.table('contacts', sa.column('id', sa.Integer()), sa.column('consent', sa.Boolean()))
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [{"contact_id": cid, "purpose": "visit_card", "channel": "import", "granted": True,
             "recorded_by_id": None, "recorded_at": now}
            for (cid,) in op.get_bind().execute(sa.select(contacts.c.id).where(contacts.c.consent == sa.true()))]
    if rows:
        op.bulk_insert(consents, rows)


def downgrade():
    with op.batch_alter_table('contact_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_consents_contact_purpose')
    op.drop_table('contact_consents')
    with op.batch_alter_table('visit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_records_rep_id'))
    op.drop_table('visit_records')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('location_on')
        batch_op.drop_column('duty_schedule')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('duty_schedule')
