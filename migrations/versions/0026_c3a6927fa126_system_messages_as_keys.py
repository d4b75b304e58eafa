"""System messages stored as keys with parameters

Revision ID: c3a6927fa126
Revises: b2f5816e9025
Create Date: 2026-12-05 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3a6927fa126"
down_revision = "b2f5816e9025"
branch_labels = None
depends_on = None


def upgrade():
    # A message the system writes for a person keeps a key and its parameters, and each
    # reader sees it in their own language (messaging.service.register_system_text).
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("body_params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("body_params")
        batch_op.drop_column("body_key")
