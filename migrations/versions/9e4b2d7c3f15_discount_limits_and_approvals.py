"""discount limits per user, discount approvals

``users.discount_limit_cny``: the largest discount on one deal a user may give alone (CNY; NULL = no limit).
Existing users get their role's default (rep ¥5,000, guide ¥500, manager ¥50,000, admin no limit), the same
as the demo's. ``discount_approvals``: requests above the requester's limit, addressed to a manager of their
region (docs/discounts.md). Hand-written.

Revision ID: 9e4b2d7c3f15
Revises: 7c2d9e4f1a60
Create Date: 2026-11-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4b2d7c3f15'
down_revision = '7c2d9e4f1a60'
branch_labels = None
depends_on = None

ROLE_LIMITS = {'rep': 5000, 'guide': 500, 'manager': 50000, 'admin': None}

_users = sa.table('users', sa.column('role', sa.String()), sa.column('discount_limit_cny', sa.Integer()))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_limit_cny', sa.Integer(), nullable=True))
    conn = op.get_bind()
    conn.execute(_users.update().values(discount_limit_cny=0))
    for role, limit in ROLE_LIMITS.items():
        conn.execute(_users.update().where(_users.c.role == role).values(discount_limit_cny=limit))

    op.create_table('discount_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount_cny', sa.Integer(), nullable=False),
    sa.Column('list_price_cny', sa.Integer(), nullable=False),
    sa.Column('final_price_cny', sa.Integer(), nullable=False),
    sa.Column('option', sa.JSON(), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('discount_approvals', schema=None) as batch_op:
        for column in ('approver_id', 'created_at', 'region_id', 'requested_by_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_discount_approvals_{column}'), [column], unique=False)


def downgrade():
    with op.batch_alter_table('discount_approvals', schema=None) as batch_op:
        for column in ('status', 'requested_by_id', 'region_id', 'created_at', 'approver_id'):
            batch_op.drop_index(batch_op.f(f'ix_discount_approvals_{column}'))
    op.drop_table('discount_approvals')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('discount_limit_cny')
