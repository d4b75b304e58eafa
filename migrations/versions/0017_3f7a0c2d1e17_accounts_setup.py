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
    pass


def downgrade():
    pass
