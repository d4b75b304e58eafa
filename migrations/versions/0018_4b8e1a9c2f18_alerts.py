"""Alerts that reach a person: on-call rota, alerts and their timeline

Revision ID: 4b8e1a9c2f18
Revises: 3f7a0c2d1e17
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b8e1a9c2f18'
down_revision = '3f7a0c2d1e17'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
