"""Scheduler leadership

Revision ID: 7eb14d2a5c21
Revises: 6da03c1f4b20
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7eb14d2a5c21'
down_revision = '6da03c1f4b20'
branch_labels = None
depends_on = None


def upgrade():
    # The heartbeat names the leading scheduler process (host and pid) and since when.
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leader_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('leader_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('leader_since', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.drop_column('leader_since')
        batch_op.drop_column('leader_pid')
        batch_op.drop_column('leader_host')
