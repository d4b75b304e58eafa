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
    op.create_table(
        "checkin_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("holiday", "hospital", "other", name="pausereason", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_checkin_pauses_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resumed_by_id"],
            ["people.id"],
            name=op.f("fk_checkin_pauses_resumed_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["people.id"],
            name=op.f("fk_checkin_pauses_set_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_pauses")),
    )
    with op.batch_alter_table("checkin_pauses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_pauses_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_checkin_pauses_until"), ["until"], unique=False)

    op.create_table(
        "emergency_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "family",
                "neighbour",
                "friend",
                "carer",
                "other",
                name="contactrelation",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_recorded_by_id"],
            ["people.id"],
            name=op.f("fk_emergency_contacts_consent_recorded_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_emergency_contacts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_contacts")),
    )
    with op.batch_alter_table("emergency_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_contacts_person_id"), ["person_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("emergency_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_contacts_person_id"))
    op.drop_table("emergency_contacts")
    with op.batch_alter_table("checkin_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_pauses_until"))
        batch_op.drop_index(batch_op.f("ix_checkin_pauses_person_id"))
    op.drop_table("checkin_pauses")
