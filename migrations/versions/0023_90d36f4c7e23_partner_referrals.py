"""Partners and their referrals

Revision ID: 90d36f4c7e23
Revises: 8fc25e3b6d22
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '90d36f4c7e23'
down_revision = '8fc25e3b6d22'
branch_labels = None
depends_on = None


def upgrade():
    # A partner account (role "partner" on people): its kind and organisation.
    op.create_table(
        "partner_profiles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "social_worker",
                "home_care",
                "technician",
                "association",
                name="partnerkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("organisation_name", sa.String(length=120), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["people.id"],
            name=op.f("fk_partner_profiles_invited_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_partner_profiles_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_partner_profiles")),
    )
    # The buildings a partner sends referrals about.
    op.create_table(
        "partner_buildings",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_partner_buildings_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_partner_buildings_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "building_id", name=op.f("pk_partner_buildings")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("about_resident", sa.Boolean(), nullable=False),
        sa.Column("dwelling_number", sa.String(length=20), nullable=False),
        sa.Column("resident_name", sa.String(length=80), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column(
            "concern",
            sa.Enum(
                "isolation",
                "health",
                "dwelling",
                "money",
                "other",
                name="concernkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("low", "soon", "urgent", name="urgency", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "in_progress",
                "closed",
                name="referralstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answer_note", sa.String(length=300), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["people.id"],
            name=op.f("fk_referrals_answered_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_referrals_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_recorded_by_id"],
            ["people.id"],
            name=op.f("fk_referrals_consent_recorded_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["people.id"],
            name=op.f("fk_referrals_partner_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["people.id"],
            name=op.f("fk_referrals_resident_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_sent_at"), ["sent_at"], unique=False)


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_sent_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_resident_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_partner_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_building_id"))
    op.drop_table("referrals")
    op.drop_table("partner_buildings")
    op.drop_table("partner_profiles")
