"""Preferences, profile and the neighbours directory: the service rules."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.errors import DomainError, PermissionDenied
from portal.people import service as people
from portal.people.models import Role
from portal.uploads import path_of
from tests.factories import make_building, make_dwelling, make_resident, make_staff


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#2255aa").save(buffer, "PNG")
    return buffer.getvalue()


def profile(person, **changes):
    fields = {
        "display_name": "",
        "languages": "",
        "interests": "",
        "can_help_with": "",
        "in_directory": False,
    }
    return people.do_update_profile(person, **{**fields, **changes})


def test_preferences_save_simplified_mode_and_read_aloud(app):
    resident = make_resident()
    people.do_update_preferences(
        resident,
        locale="ar",
        text_size=150,
        high_contrast=False,
        simplified_mode=True,
        read_aloud=True,
    )
    assert (resident.simplified_mode, resident.read_aloud, resident.locale) == (True, True, "ar")


def test_preferences_keep_the_new_settings_when_not_given(app):
    resident = make_resident()
    people.do_update_preferences(
        resident, locale="fr", text_size=100, high_contrast=False, simplified_mode=True
    )
    people.do_update_preferences(resident, locale="fr", text_size=125, high_contrast=True)
    assert resident.simplified_mode is True and resident.read_aloud is False


def test_preferences_refuse_an_unknown_language(app):
    resident = make_resident(locale="fr")
    with pytest.raises(DomainError):
        people.do_update_preferences(resident, locale="xx", text_size=100, high_contrast=False)
    assert resident.locale == "fr"


def test_profile_is_saved_with_spaces_tidied(app):
    resident = make_resident(first_name="Jeanne")
    profile(
        resident,
        display_name="  Jeannette ",
        languages="français,  arabe",
        interests="tricot",
        can_help_with="lire le courrier",
        in_directory=True,
    )
    assert resident.shown_name == "Jeannette"
    assert resident.languages == "français, arabe"
    assert (resident.interests, resident.can_help_with) == ("tricot", "lire le courrier")
    assert resident.in_directory is True


def test_profile_refuses_too_long_text_and_changes_nothing(app):
    resident = make_resident()
    with pytest.raises(DomainError):
        profile(resident, interests="x" * 301, in_directory=True)
    assert resident.interests == "" and resident.in_directory is False


def test_profile_photo_is_checked_and_stored(app):
    resident = make_resident()
    profile(resident, photo=png_bytes())
    assert resident.photo_path and path_of(resident.photo_path).is_file()
    people.do_remove_photo(resident)
    assert resident.photo_path is None


def test_profile_refuses_a_file_that_is_not_a_photo(app):
    resident = make_resident()
    with pytest.raises(DomainError):
        profile(resident, photo=b"%PDF-1.4 not a photo", in_directory=True)
    assert resident.photo_path is None and resident.in_directory is False


def test_staff_have_no_resident_profile(app):
    staff = make_staff(Role.CONCIERGE)
    with pytest.raises(PermissionDenied):
        profile(staff, in_directory=True)


def test_directory_lists_only_neighbours_who_opted_in_of_the_same_building(app):
    building = make_building()
    me = make_resident(building, first_name="Jeanne")
    listed = make_resident(dwelling=make_dwelling(building, floor=3), first_name="Karim")
    hidden = make_resident(building, first_name="Paul")
    elsewhere = make_resident(make_building(), first_name="Odette")
    make_staff(Role.CONCIERGE, [building])
    for person in (listed, elsewhere, me):
        profile(person, in_directory=True)
    profile(hidden, in_directory=False)
    found = people.list_neighbours(me)
    assert [p.first_name for p in found] == ["Karim"]
    assert found[0].dwelling.floor == 3


def test_directory_hides_residents_who_left(app):
    building = make_building()
    me = make_resident(building)
    gone = make_resident(building, first_name="Marcel")
    profile(gone, in_directory=True)
    gone.active = False
    assert people.list_neighbours(me) == []


def test_directory_without_filter_still_lists_everyone_for_messaging(app):
    building = make_building()
    me = make_resident(building)
    other = make_resident(building, first_name="Paul")
    ids = {p.id for p in people.list_directory(building.id)}
    assert {me.id, other.id} <= ids


def test_directory_is_empty_for_staff(app):
    building = make_building()
    profile(make_resident(building), in_directory=True)
    assert people.list_neighbours(make_staff(Role.CONCIERGE, [building])) == []
