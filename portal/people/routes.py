"""People's pictures."""

from __future__ import annotations

from flask import Response, abort
from flask_login import current_user

from portal.auth import device
from portal.extensions import db
from portal.people import bp
from portal.people import service as people
from portal.people.avatars import avatar_svg
from portal.people.models import Person, Role


def _visible_avatar(person_id: int) -> Person:
    """People of one's buildings; before login, only the residents of this tablet's building."""
    if current_user.is_authenticated:
        return people.access_person(current_user, person_id)
    person = db.session.get(Person, person_id)
    building_id = device.device_building_id()
    if (
        person is None
        or building_id is None
        or person.role != Role.RESIDENT
        or person.building_id != building_id
    ):
        abort(404)
    return person


@bp.get("/people/<int:person_id>/avatar.svg")
def avatar(person_id: int) -> Response:
    person = _visible_avatar(person_id)
    response = Response(avatar_svg(person), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
