"""Residents' voice: polls, ideas, meetings' decisions

Revision ID: 6da03c1f4b20
Revises: 5c9d2b0e3a19
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6da03c1f4b20'
down_revision = '5c9d2b0e3a19'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
