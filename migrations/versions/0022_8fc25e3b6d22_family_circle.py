"""Family circle: relatives and their links to residents

Revision ID: 8fc25e3b6d22
Revises: 7eb14d2a5c21
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8fc25e3b6d22'
down_revision = '7eb14d2a5c21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "family_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("relative_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=60), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "sms", name="invitechannel", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sees_activities", sa.Boolean(), nullable=False),
        sa.Column("sees_check_in", sa.Boolean(), nullable=False),
        sa.Column("emergency_contact_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_family_links_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["emergency_contact_id"],
            ["emergency_contacts.id"],
            name=op.f("fk_family_links_emergency_contact_id_emergency_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["people.id"],
            name=op.f("fk_family_links_invited_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"],
            ["people.id"],
            name=op.f("fk_family_links_relative_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["people.id"],
            name=op.f("fk_family_links_resident_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_links")),
        sa.UniqueConstraint(
            "resident_id", "relative_id", name=op.f("uq_family_links_resident_id")
        ),
    )
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_links_relative_id"), ["relative_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_family_links_resident_id"), ["resident_id"], unique=False
        )

    op.create_table(
        "family_groups",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_family_groups_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["people.id"],
            name=op.f("fk_family_groups_resident_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_family_groups")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_family_groups_conversation_id")),
    )


def downgrade():
    op.drop_table("family_groups")
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_links_resident_id"))
        batch_op.drop_index(batch_op.f("ix_family_links_relative_id"))

    op.drop_table("family_links")
