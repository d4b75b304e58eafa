"""The photo album of an activity: staff add photos after it started; participants see them."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from activities import service
from activities.models import ActivityPhoto, Occurrence, Signup, SignupStatus
from portal.db import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.people.models import Person
from portal.uploads import store_image


def may_see_album(person: Person, occurrence: Occurrence) -> bool:
    if person.role in service.PLANNER_ROLES:
        return True
    stmt = select(Signup.id).where(
        Signup.occurrence_id == occurrence.id, Signup.person_id == person.id,
        Signup.status == SignupStatus.CONFIRMED,
    )  # fmt: skip
    return db.session.scalars(stmt).first() is not None


def do_add_photo(staff: Person, occurrence_id: int, data: bytes) -> ActivityPhoto:
    occurrence = service.access_occurrence(staff, occurrence_id)
    service.check_planner(staff, occurrence.activity.building_id)
    if occurrence.starts_at > utcnow():
        raise DomainError(_("Photos are added once the activity has started."), "not_started")
    stored = store_image(data, current_app.config["MESSAGING_MAX_PHOTO_BYTES"])
    photo = ActivityPhoto(occurrence_id=occurrence.id, uploaded_by_id=staff.id,
                          file_name=stored.file_name, thumb_name=stored.thumb_name or "",
                          created_at=utcnow())  # fmt: skip
    db.session.add(photo)
    db.session.commit()
    return photo


def list_photos(person: Person, occurrence: Occurrence) -> list[ActivityPhoto]:
    if not may_see_album(person, occurrence):
        return []
    stmt = (
        select(ActivityPhoto)
        .where(ActivityPhoto.occurrence_id == occurrence.id)
        .order_by(ActivityPhoto.id)
    )
    return list(db.session.scalars(stmt))


def access_photo(person: Person, photo_id: int) -> ActivityPhoto:
    photo = db.session.get(ActivityPhoto, photo_id)
    if photo is None:
        raise DomainError(_("This photo does not exist."), "not_found")
    occurrence = service.access_occurrence(person, photo.occurrence_id)
    if not may_see_album(person, occurrence):
        raise DomainError(_("This photo does not exist."), "not_found")
    return photo
