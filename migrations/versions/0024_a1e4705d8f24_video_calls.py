"""Video calls and their log

Revision ID: a1e4705d8f24
Revises: 90d36f4c7e23
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1e4705d8f24'
down_revision = '90d36f4c7e23'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('callee_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('RINGING', 'ACTIVE', 'ENDED', name='callstatus', native_enum=False, length=16), nullable=False),
    sa.Column('outcome', sa.Enum('ANSWERED', 'MISSED', 'DECLINED', name='calloutcome', native_enum=False, length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('caller_sid', sa.String(length=64), nullable=True),
    sa.Column('callee_sid', sa.String(length=64), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['callee_id'], ['people.id'], name=op.f('fk_calls_callee_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['caller_id'], ['people.id'], name=op.f('fk_calls_caller_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_calls_conversation_id_conversations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_callee_id'), ['callee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_caller_id'), ['caller_id'], unique=False)
        batch_op.create_index('ix_calls_status_created_at', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_status_created_at')
        batch_op.drop_index(batch_op.f('ix_calls_caller_id'))
        batch_op.drop_index(batch_op.f('ix_calls_callee_id'))

    op.drop_table('calls')
