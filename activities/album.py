"""The photo album of an activity: staff add photos after it started; participants see them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from activities.models import ActivityPhoto, Occurrence, Signup, SignupStatus
from activities.rules import access_occurrence, check_planner, may_plan, photo_max_bytes
from portal.db import utcnow
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.people.models import Person
from portal.uploads import store_image


def may_see_album(person: Person, occurrence: Occurrence) -> bool:
    """Staff, and those who were going (confirmed), see the album."""
    if may_plan(person):
        return True
    stmt = select(Signup.id).where(
        Signup.occurrence_id == occurrence.id,
        Signup.person_id == person.id,
        Signup.status == SignupStatus.CONFIRMED,
    )
    return db.session.scalars(stmt).first() is not None


def do_add_photo(staff: Person, occurrence_id: int, data: bytes) -> ActivityPhoto:
    """Add a photo (re-encoded, without its metadata) once the activity has started."""
    occurrence = access_occurrence(staff, occurrence_id)
    check_planner(staff, occurrence.activity.building_id)
    if occurrence.starts_at > utcnow():
        raise Invalid(_("Photos are added once the activity has started."), "not_started")
    stored = store_image(data, photo_max_bytes())
    photo = ActivityPhoto(
        occurrence_id=occurrence.id,
        uploaded_by_id=staff.id,
        file_name=stored.file_name,
        thumb_name=stored.thumb_name or "",
        created_at=utcnow(),
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def list_photos(person: Person, occurrence: Occurrence) -> list[ActivityPhoto]:
    """The album's photos in the order they were added; empty for those who may not see it."""
    if not may_see_album(person, occurrence):
        return []
    stmt = (
        select(ActivityPhoto)
        .where(ActivityPhoto.occurrence_id == occurrence.id)
        .order_by(ActivityPhoto.id)
    )
    return list(db.session.scalars(stmt))


def access_photo(person: Person, photo_id: int) -> ActivityPhoto:
    """A photo of an album the person may see (404 otherwise)."""
    photo = db.session.get(ActivityPhoto, photo_id)
    if photo is None:
        raise NotFound(_("This photo does not exist."))
    occurrence = access_occurrence(person, photo.occurrence_id)
    if not may_see_album(person, occurrence):
        raise NotFound(_("This photo does not exist."))
    return photo
