"""catalog rules and promises, counter and shopper types, comparison shares

Products gain the solver's fields (channel, counter types, promises attached to the item, requires_any,
excludes, slot, max_qty); ``service_commitments`` (flat sentences) moves into ``promises`` — each sentence
becomes a promise of kind ``other`` covering the product. Hand-written.

Revision ID: 7c2d9e4f1a60
Revises: 3a7c1e9b52d4
Create Date: 2026-11-26 09:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2d9e4f1a60'
down_revision = '3a7c1e9b52d4'
branch_labels = None
depends_on = None

_products = sa.table(
    'products',
    sa.column('id', sa.Integer()),
    sa.column('name', sa.String()),
    sa.column('service_commitments', sa.JSON()),
    sa.column('promises', sa.JSON()),
)


def upgrade():
    op.create_table('counter_types',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('shopper_types',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('comparison_shares',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('comparison_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comparison_shares_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comparison_shares_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counter_type', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key('fk_users_counter_type', 'counter_types', ['counter_type'], ['key'])

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='b2b'))
        batch_op.add_column(sa.Column('counter_types', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('promises', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('requires_any', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('excludes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('slot', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('max_qty', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=False,
                                      server_default=sa.text('CURRENT_TIMESTAMP')))
        batch_op.create_index(batch_op.f('ix_products_channel'), ['channel'], unique=False)

    conn = op.get_bind()
    for row in conn.execute(sa.select(_products.c.id, _products.c.name, _products.c.service_commitments)).all():
        commitments = row.service_commitments
        if isinstance(commitments, str):
            commitments = json.loads(commitments)
        promises = [{"covers": row.name, "kind": "other", "value": None, "unit": None, "text": text}
                    for text in commitments or ()]
        conn.execute(_products.update().where(_products.c.id == row.id).values(promises=promises))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('service_commitments')
        for name in ('channel', 'counter_types', 'promises', 'requires_any', 'excludes', 'max_qty', 'updated_at'):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_commitments', sa.JSON(), nullable=False, server_default='[]'))
    conn = op.get_bind()
    for row in conn.execute(sa.select(_products.c.id, _products.c.promises)).all():
        promises = json.loads(row.promises) if isinstance(row.promises, str) else row.promises
        conn.execute(_products.update().where(_products.c.id == row.id)
                     .values(service_commitments=[p.get("text", "") for p in promises or ()]))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.alter_column('service_commitments', server_default=None)
        batch_op.drop_index(batch_op.f('ix_products_channel'))
        for name in ('updated_at', 'max_qty', 'slot', 'excludes', 'requires_any', 'promises', 'counter_types',
                     'channel'):
            batch_op.drop_column(name)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_counter_type', type_='foreignkey')
        batch_op.drop_column('counter_type')

    with op.batch_alter_table('comparison_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comparison_shares_expires_at'))
        batch_op.drop_index(batch_op.f('ix_comparison_shares_created_by_id'))
    op.drop_table('comparison_shares')
    op.drop_table('shopper_types')
    op.drop_table('counter_types')
