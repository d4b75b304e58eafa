"""Who lives where: organisation -> buildings -> dwellings -> people."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum
from portal.i18n import DEFAULT_ZONE

staff_buildings = Table(
    "staff_buildings",
    Base.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)


class Role(LabelledEnum):
    """What a person does in the portal; the label is the short name staff pages show."""

    RESIDENT = "resident", _l("Resident")
    COORDINATOR = "coordinator", _l("Coordinator")
    CONCIERGE = "concierge", _l("Concierge")
    MANAGER = "manager", _l("Manager")
    # A resident's relative or carer, from outside: sees only the residents who invited them.
    RELATIVE = "relative", _l("Relative")
    # A professional from outside (social worker, home-care aide…): sends referrals only.
    PARTNER = "partner", _l("Partner")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.CONCIERGE, Role.MANAGER})
# Who logs in with an email address and a password: the staff, and partners from outside.
PASSWORD_ROLES = STAFF_ROLES | {Role.PARTNER}


class DwellingType(enum.StrEnum):
    """French social-housing dwelling sizes."""

    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"


class TextSize(enum.IntEnum):
    """Text size preference, in percent of the base size."""

    NORMAL = 100
    LARGE = 125
    LARGER = 150
    LARGEST = 200


class Organisation(TimestampMixin, Base):
    """A social landlord."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    buildings: Mapped[list[Building]] = relationship(
        back_populates="organisation", order_by="Building.name"
    )


class Building(TimestampMixin, Base):
    """One building of a landlord, with its concierge desk."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    concierge_phone: Mapped[str] = mapped_column(String(40), default="")
    concierge_hours: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE)
    # The desk's working hours (local time; whole hours) and days (0 = Monday, "0,1,2,3,4"):
    # the concierge's targets count in them. Unset: CONCIERGE_WORKING_HOURS / _DAYS.
    desk_opens: Mapped[int | None]
    desk_closes: Mapped[int | None]
    desk_days: Mapped[str] = mapped_column(String(20), default="")

    organisation: Mapped[Organisation] = relationship(back_populates="buildings")
    dwellings: Mapped[list[Dwelling]] = relationship(
        back_populates="building", order_by="Dwelling.number"
    )


class Dwelling(TimestampMixin, Base):
    """A flat of a building."""

    __tablename__ = "dwellings"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    floor: Mapped[int]
    kind: Mapped[DwellingType] = mapped_column(enum_column(DwellingType, length=8))

    building: Mapped[Building] = relationship(back_populates="dwellings")
    residents: Mapped[list[Person]] = relationship(
        back_populates="dwelling", order_by="Person.first_name"
    )


class Person(TimestampMixin, Base):
    """Anyone who logs in: a resident or a member of staff."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, length=20))
    # The building a resident lives in, or a staff member's main building.
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    dwelling_id: Mapped[int | None] = mapped_column(ForeignKey("dwellings.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_year: Mapped[int | None]
    phone: Mapped[str] = mapped_column(String(40), default="")
    photo_path: Mapped[str | None] = mapped_column(String(200))
    avatar_colour: Mapped[str] = mapped_column(String(7), default="#1f5f8b")
    locale: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE)
    text_size: Mapped[int] = mapped_column(default=TextSize.NORMAL.value)
    high_contrast: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Presence: "online now" / "seen today at 14:05", unless the person hides it.
    show_presence: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime | None]
    # Accessibility: only the home tiles and the help button; a "Read aloud" button.
    simplified_mode: Mapped[bool] = mapped_column(default=False)
    read_aloud: Mapped[bool] = mapped_column(default=False)
    # Easy-to-read wording (FALC) on the resident pages (see portal.easyread).
    easy_read: Mapped[bool] = mapped_column(default=False)

    # Profile, shown in the neighbours directory only when the person chooses to appear.
    display_name: Mapped[str] = mapped_column(String(60), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    interests: Mapped[str] = mapped_column(String(300), default="")
    can_help_with: Mapped[str] = mapped_column(String(300), default="")
    in_directory: Mapped[bool] = mapped_column(default=False)

    # Authentication state (see portal.auth.service).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]

    building: Mapped[Building | None] = relationship(foreign_keys=[building_id])
    dwelling: Mapped[Dwelling | None] = relationship(back_populates="residents")
    organisation: Mapped[Organisation] = relationship()
    staff_buildings: Mapped[list[Building]] = relationship(
        secondary=staff_buildings, order_by="Building.name"
    )

    # Flask-Login protocol ------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Session identity; bumping session_version ends every session of this person."""
        return f"{self.id}:{self.session_version}"

    # Convenience -----------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def shown_name(self) -> str:
        """The first name the person chose to show to neighbours."""
        return self.display_name or self.first_name

    @property
    def initials(self) -> str:
        return (self.first_name[:1] + self.last_name[:1]).upper()

    @property
    def dwelling_number(self) -> str | None:
        return self.dwelling.number if self.dwelling is not None else None

    @property
    def has_code(self) -> bool:
        """Whether a PIN is set (the residents list shows this, never the hash)."""
        return self.pin_hash is not None


class ActivityDay(Base):
    """A resident had a page open on this day (their own time zone); written once a day.
    The figures count the days; "My data" lists them."""

    __tablename__ = "activity_days"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
