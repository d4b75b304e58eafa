"""Residents' emergency contacts and check-in pauses

Revision ID: 5c9d2b0e3a19
Revises: 4b8e1a9c2f18
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c9d2b0e3a19'
down_revision = '4b8e1a9c2f18'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
