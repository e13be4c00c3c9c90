"""events outbox and bundle manifests

Revision ID: 3a7c1e9b52d4
Revises: 15d3fd0432bf
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a7c1e9b52d4'
down_revision = '15d3fd0432bf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('popup_id', sa.String(length=36), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_user_place_type_at', ['user_id', 'place_id', 'type', 'at'], unique=False)
        batch_op.create_index('ix_events_user_received', ['user_id', 'received_at'], unique=False)

    op.create_table('bundle_manifests',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('hashes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('version')
    )
    with op.batch_alter_table('bundle_manifests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_manifests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_manifests_rep_id'), ['rep_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bundle_manifests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_manifests_rep_id'))
        batch_op.drop_index(batch_op.f('ix_bundle_manifests_created_at'))
    op.drop_table('bundle_manifests')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_user_received')
        batch_op.drop_index('ix_events_user_place_type_at')
    op.drop_table('events')
