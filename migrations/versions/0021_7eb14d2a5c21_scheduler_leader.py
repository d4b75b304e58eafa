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
    pass


def downgrade():
    pass
