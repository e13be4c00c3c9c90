"""learning loop: experiments, onboarding collection, coaching alerts, regional warnings, weekly digests (issue 10)

``experiments``: one per (pack, talk-track with A/B variants), its design and last verdict;
``onboarding_items``: a region's 新人必修 collection; ``coaching_alerts``, ``region_warnings``, ``digests``;
``regions.health_settings``: process-health thresholds and coaching links (empty: the defaults). Hand-written.

Revision ID: d4f1a2b3c5e6
Revises: bc5c09dc5268
Create Date: 2026-12-01 22:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4f1a2b3c5e6'
down_revision = 'bc5c09dc5268'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_settings', sa.JSON(), nullable=False, server_default='{}'))

    op.create_table('experiments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('talk_track_id', sa.String(length=100), nullable=False),
    sa.Column('pack_version', sa.Integer(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('min_exposures', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('winner', sa.String(length=100), nullable=True),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('judged_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('promoted_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pack_id'], ['content_packs.id'], ),
    sa.ForeignKeyConstraint(['promoted_version_id'], ['pack_versions.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pack_id', 'talk_track_id')
    )
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        for column in ('pack_id', 'region_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_experiments_{column}'), [column], unique=False)

    op.create_table('onboarding_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('component_id', sa.String(length=100), nullable=False),
    sa.Column('variant', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pack_id'], ['content_packs.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id', 'pack_id', 'component_id')
    )
    with op.batch_alter_table('onboarding_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_items_region_id'), ['region_id'], unique=False)

    op.create_table('coaching_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('indicator', sa.String(length=48), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('component', sa.String(length=300), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coaching_alerts', schema=None) as batch_op:
        for column in ('created_at', 'region_id', 'rep_id'):
            batch_op.create_index(batch_op.f(f'ix_coaching_alerts_{column}'), [column], unique=False)

    op.create_table('region_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('region_warnings', schema=None) as batch_op:
        for column in ('created_at', 'region_id'):
            batch_op.create_index(batch_op.f(f'ix_region_warnings_{column}'), [column], unique=False)

    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id', 'week_start')
    )
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digests_region_id'), ['region_id'], unique=False)


def downgrade():
    for table, columns in (('digests', ('region_id',)), ('region_warnings', ('created_at', 'region_id')),
                           ('coaching_alerts', ('created_at', 'region_id', 'rep_id')),
                           ('onboarding_items', ('region_id',)), ('experiments', ('pack_id', 'region_id', 'status'))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('health_settings')
