from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from portal.auth import service
from portal.auth.models import LoginCard
from portal.db import utcnow
from portal.errors import DomainError, PermissionDenied
from portal.people.models import Role
from tests.factories import STAFF_PASSWORD, make_building, make_resident, make_staff


def test_issue_card_stores_only_a_hash_and_replaces_the_old_card(db):
    resident = make_resident()
    first = service.do_issue_card(resident, issued_by=None)
    second = service.do_issue_card(resident, issued_by=None)
    cards = db.session.query(LoginCard).filter_by(person_id=resident.id).all()
    assert len(cards) == 2
    assert all(first not in c.token_hash and second not in c.token_hash for c in cards)
    assert [c.is_active for c in sorted(cards, key=lambda c: c.id)] == [False, True]
    assert service.do_login_with_card(second).id == resident.id
    with pytest.raises(service.LoginError) as error:
        service.do_login_with_card(first)
    assert error.value.code == "card_revoked"


def test_unknown_card_is_refused(app):
    with pytest.raises(service.LoginError) as error:
        service.do_login_with_card("not-a-real-token")
    assert error.value.code == "login_failed"


def test_staff_of_another_building_cannot_issue_a_card(app):
    resident = make_resident()
    outsider = make_staff(Role.CONCIERGE)
    with pytest.raises(PermissionDenied):
        service.do_issue_card(resident, issued_by=outsider)


def test_revoking_a_card_ends_every_session(app):
    building = make_building()
    resident = make_resident(building)
    concierge = make_staff(Role.CONCIERGE, [building])
    service.do_issue_card(resident, issued_by=concierge)
    old_id = resident.get_id()
    service.do_revoke_card(resident, revoked_by=concierge)
    assert service.load_session_person(old_id) is None
    assert service.load_session_person(resident.get_id()).id == resident.id


def test_revoke_without_card_is_a_clear_error(app):
    building = make_building()
    resident = make_resident(building)
    concierge = make_staff(Role.CONCIERGE, [building])
    with pytest.raises(DomainError) as error:
        service.do_revoke_card(resident, revoked_by=concierge)
    assert error.value.code == "no_card"


def test_pin_locks_after_five_wrong_codes_then_unlocks_after_fifteen_minutes(app):
    resident = make_resident(pin="2580")
    for attempt in range(4):
        with pytest.raises(service.LoginError) as error:
            service.do_login_with_pin(resident, "0000")
        assert error.value.code == "pin_wrong", attempt
    with pytest.raises(service.LoginError) as error:
        service.do_login_with_pin(resident, "0000")
    assert error.value.code == "pin_locked"
    # Even the right code is refused while locked.
    with pytest.raises(service.LoginError) as error:
        service.do_login_with_pin(resident, "2580")
    assert error.value.code == "pin_locked"
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        assert service.do_login_with_pin(resident, "2580").id == resident.id
        assert resident.pin_failures == 0


def test_pin_lock_leaves_the_card_working(app):
    resident = make_resident()
    token = service.do_issue_card(resident, issued_by=None)
    for _ in range(5):
        with pytest.raises(service.LoginError):
            service.do_login_with_pin(resident, "9999")
    assert service.is_pin_locked(resident)
    assert service.do_login_with_card(token).id == resident.id


def test_set_pin_rejects_bad_format_and_mismatch(app):
    resident = make_resident(pin=None)
    with pytest.raises(DomainError) as bad_format:
        service.do_set_pin(resident, "12a4", "12a4")
    with pytest.raises(DomainError) as mismatch:
        service.do_set_pin(resident, "1234", "4321")
    assert (bad_format.value.code, mismatch.value.code) == ("pin_format", "pin_mismatch")
    assert resident.pin_hash is None


def test_staff_password_is_hashed_with_argon2id(app):
    staff = make_staff()
    assert staff.password_hash.startswith("$argon2id$")
    assert service.do_login_staff(staff.email.upper(), STAFF_PASSWORD).id == staff.id


def test_staff_login_gives_the_same_message_for_unknown_email_and_wrong_password(app):
    staff = make_staff()
    with pytest.raises(service.LoginError) as wrong:
        service.do_login_staff(staff.email, "wrong password!!")
    with pytest.raises(service.LoginError) as unknown:
        service.do_login_staff("nobody@example.org", STAFF_PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_residents_cannot_log_in_with_the_staff_form(app):
    resident = make_resident()
    resident.email = "jeanne@example.org"
    resident.password_hash = service.hash_secret(STAFF_PASSWORD)
    with pytest.raises(service.LoginError):
        service.do_login_staff("jeanne@example.org", STAFF_PASSWORD)


def test_deactivated_person_session_is_not_loaded(app, db):
    resident = make_resident()
    session_id = resident.get_id()
    resident.active = False
    db.session.commit()
    assert service.load_session_person(session_id) is None


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:x", "x:1", "999:1"])
def test_malformed_session_ids_load_nobody(app, session_id):
    assert service.load_session_person(session_id) is None


def test_short_staff_password_is_refused(app):
    staff = make_staff()
    with pytest.raises(DomainError) as error:
        service.do_set_password(staff, "short")
    assert error.value.code == "password_too_short"
