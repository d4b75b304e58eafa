"""Go-live set-up: one-time account links (invitations, password resets), building desk hours

Revision ID: 3f7a0c2d1e17
Revises: 0656d5b39a0e
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f7a0c2d1e17'
down_revision = '0656d5b39a0e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('setup', 'reset', name='linkpurpose', native_enum=False, length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_account_links_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['people.id'], name=op.f('fk_account_links_sent_by_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_links_token_hash'))
    )
    with op.batch_alter_table('account_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_links_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('desk_opens', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('desk_closes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('desk_days', sa.String(length=20), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_column('desk_days')
        batch_op.drop_column('desk_closes')
        batch_op.drop_column('desk_opens')

    with op.batch_alter_table('account_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_links_person_id'))

    op.drop_table('account_links')
