"""Residents' voice pages: one tap from the home, the printable results, and who may see what
(other buildings, other roles), CSRF on every change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from activities.voice import service
from activities.voice.models import IdeaStatus
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff
from tests.voice.test_service import CHOICES, make_poll, soon


def token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match
    return match.group(1)


@pytest.fixture
def world(app):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    resident = make_resident(building, first_name="Jeanne")
    neighbour = make_resident(building, first_name="Paul")
    poll = make_poll(coordinator, building, anonymous=False)
    idea = service.do_post_idea(resident, kind="idea", text="A bench by the door")
    note = service.do_post_idea(
        resident, kind="observation", text="Mme X is sad", about_person=True
    )
    db.session.commit()
    return {
        "building": building,
        "coordinator": coordinator,
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "resident": resident,
        "neighbour": neighbour,
        "stranger": make_resident(make_building()),
        "other_staff": make_staff(Role.COORDINATOR),
        "poll": poll,
        "idea": idea,
        "note": note,
    }


def test_the_question_of_the_week_is_answered_in_one_tap_from_the_home(world, client, login):
    login(world["resident"])
    poll = world["poll"]
    home = client.get("/").get_data(as_text=True)
    assert "Question of the week" in home and poll.question in home
    assert 'data-refresh-url="/voice/home-panel"' in home
    assert "<svg" in home and "voice-icon" in home  # pictograms, drawn from the npm package
    choice = poll.choices[1]
    response = client.post(
        f"/voice/polls/{poll.id}/vote",
        data={"csrf_token": token(client, "/"), "choice": str(choice.id), "next": "/"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "My answer" in home and "1 person answered." in home
    assert client.get("/voice/home-panel").status_code == 200


def test_a_vote_without_the_csrf_token_is_refused(world, client, login):
    login(world["resident"])
    poll = world["poll"]
    response = client.post(f"/voice/polls/{poll.id}/vote", data={"choice": poll.choices[0].id})
    assert response.status_code == 400
    assert service.get_results(poll).total == 0


def test_a_vote_elsewhere_than_home_never_redirects_off_site(world, client, login):
    login(world["resident"])
    poll = world["poll"]
    path = f"/voice/polls/{poll.id}"
    response = client.post(
        f"{path}/vote",
        data={"csrf_token": token(client, path), "choice": poll.choices[0].id, "next": "//evil"},
    )
    assert response.headers["Location"] == path


def test_results_are_hidden_until_one_has_answered(world, client, login):
    poll = world["poll"]
    login(world["neighbour"])
    page = client.get(f"/voice/polls/{poll.id}").get_data(as_text=True)
    assert "data-results" not in page and "once you have answered" in page
    login(world["coordinator"])
    page = client.get(f"/voice/polls/{poll.id}").get_data(as_text=True)
    assert "data-results" in page


def test_the_printable_results_are_for_the_staff(world, client, login):
    poll = world["poll"]
    service.do_vote(world["resident"], poll.id, poll.choices[0].id)
    login(world["coordinator"])
    page = client.get(f"/voice/polls/{poll.id}/print").get_data(as_text=True)
    assert "data-print" in page and "1 person answered." in page
    assert "Jeanne" not in page  # the sheet for the hall names nobody, even for named polls
    login(world["resident"])
    assert client.get(f"/voice/polls/{poll.id}/print").status_code == 404


def post_poll_form(client, question: str, answers: list[tuple[str, str]]):
    """Send the "ask a question" form: (label, pictogram) answers, open 5 days, anonymous."""
    path = "/voice/polls/new"
    data = {
        "csrf_token": token(client, path),
        "question": question,
        "closes_on": soon(5).date().isoformat(),
        "anonymous": "1",
    }
    for index, (label, icon) in enumerate(answers):
        data |= {f"label_{index}": label, f"icon_{index}": icon}
    return client.post(path, data=data)


def test_staff_create_a_poll_from_the_form(world, client, login):
    login(world["coordinator"])
    assert client.get("/voice/polls/new").status_code == 200
    response = post_poll_form(
        client, "Which day for the party?", [("Saturday", "sun"), ("Sunday", "party-popper")]
    )
    assert response.status_code == 302
    polls = service.list_polls(world["coordinator"])["open"]
    made = next(p for p in polls if p.question == "Which day for the party?")
    assert [c.icon for c in made.choices] == ["sun", "party-popper"]


def test_a_poll_form_with_an_unknown_pictogram_is_shown_again(world, client, login):
    login(world["coordinator"])
    response = post_poll_form(client, "Q?", [("A", "sun"), ("B", "skull")])
    assert response.status_code == 422
    assert "Choose a picture for each answer." in response.get_data(as_text=True)


def test_residents_see_the_ask_form_only_where_the_building_allows(world, client, login):
    login(world["resident"])
    assert client.get("/voice/polls/new").status_code == 404
    service.do_set_residents_may_ask(world["coordinator"], world["building"].id, True)
    assert client.get("/voice/polls/new").status_code == 200


def test_an_idea_is_posted_supported_and_answered_through_the_pages(world, client, login):
    login(world["neighbour"])
    path = "/voice/ideas/new"
    response = client.post(
        path,
        data={"csrf_token": token(client, path), "kind": "idea", "text": "A book exchange shelf"},
    )
    assert response.status_code == 302
    idea_path = response.headers["Location"]
    idea_id = int(idea_path.rsplit("/", 1)[1])
    login(world["resident"])
    response = client.post(
        f"{idea_path}/support", data={"csrf_token": token(client, idea_path), "support": "1"}
    )
    assert response.status_code == 302
    assert "1 support" in client.get(f"{idea_path}/live").get_data(as_text=True)
    login(world["coordinator"])
    response = client.post(
        f"{idea_path}/answer",
        data={"csrf_token": token(client, idea_path), "status": "studying", "answer": ""},
    )
    assert response.status_code == 302
    assert service.access_idea(world["coordinator"], idea_id).status == IdeaStatus.STUDYING
    board = client.get("/voice/ideas").get_data(as_text=True)
    assert "A book exchange shelf" in board and "Under study" in board


def test_an_observation_about_a_person_stays_off_the_board(world, client, login):
    note = world["note"]
    for who in ("neighbour", "coordinator", "concierge"):
        login(world[who])
        assert note.text not in client.get("/voice/ideas/live").get_data(as_text=True)
    login(world["coordinator"])
    assert note.text in client.get("/voice/ideas").get_data(as_text=True)
    assert client.get(f"/voice/ideas/{note.id}").status_code == 200
    for who in ("neighbour", "concierge", "stranger", "other_staff"):
        login(world[who])
        assert client.get(f"/voice/ideas/{note.id}").status_code == 404
        assert client.get(f"/voice/ideas/{note.id}/live").status_code == 404
        assert note.text not in client.get("/voice/ideas").get_data(as_text=True)


ACCESS = [
    # (who, method, path template, expected status)
    ("stranger", "get", "/voice/polls/{poll}", 404),
    ("stranger", "get", "/voice/polls/{poll}/live", 404),
    ("other_staff", "get", "/voice/polls/{poll}", 404),
    ("other_staff", "get", "/voice/polls/{poll}/print", 404),
    ("concierge", "get", "/voice/polls/{poll}/print", 200),
    ("stranger", "get", "/voice/ideas/{idea}", 404),
    ("other_staff", "get", "/voice/ideas/{idea}", 404),
    ("stranger", "get", "/voice/ideas/{idea}/photo", 404),
    ("resident", "get", "/voice/ideas/{idea}", 200),
    ("resident", "get", "/voice/meetings/new", 404),
    ("concierge", "get", "/voice/meetings/new", 404),
    ("coordinator", "get", "/voice/meetings/new", 200),
    ("resident", "get", "/voice/polls/new", 404),
    ("resident", "get", "/voice", 200),
    ("resident", "get", "/voice/decisions", 200),
    ("coordinator", "get", "/voice", 200),
    ("resident", "get", "/voice/ideas/new", 200),
    ("coordinator", "get", "/voice/ideas/new", 404),
    ("resident", "post", "/voice/ideas/{idea}/answer", 404),
    ("concierge", "post", "/voice/ideas/{idea}/answer", 404),
    ("resident", "post", "/voice/polls/{poll}/close", 404),
    ("stranger", "post", "/voice/polls/{poll}/vote", 404),
    ("resident", "post", "/voice/settings", 404),
    ("resident", "post", "/voice/polls/{poll}/print", 404),
]


@pytest.mark.parametrize(("who", "method", "template", "expected"), ACCESS)
def test_access_matrix(world, client, login, who, method, template, expected):
    login(world[who])
    path = template.format(poll=world["poll"].id, idea=world["idea"].id)
    data = {"csrf_token": token(client, "/voice")} if method == "post" else None
    response = getattr(client, method)(path, data=data)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]


def test_a_meeting_from_plan_to_a_decision_done(world, client, login):
    coordinator, resident = world["coordinator"], world["resident"]
    login(coordinator)
    path = "/voice/meetings/new"
    day = soon(3).date().isoformat()
    response = client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "title": "Café concertation",
            "day": day,
            "start": "17:00",
            "end": "18:30",
            "place": "Common room",
            "ideas": [str(world["idea"].id), str(world["note"].id)],
            "polls": [str(world["poll"].id)],
        },
    )
    assert response.status_code == 302
    meeting_path = response.headers["Location"]
    meeting_id = int(meeting_path.rsplit("/", 1)[1])
    meeting = service.access_meeting(coordinator, meeting_id)
    # The private observation never joins an agenda.
    assert [i.idea_id for i in meeting.items if i.idea_id] == [world["idea"].id]
    page = client.get(meeting_path).get_data(as_text=True)
    assert "A bench by the door" in page and "Mme X" not in page
    response = client.post(
        f"{meeting_path}/decisions",
        data={
            "csrf_token": token(client, meeting_path),
            "text": "Buy a bench",
            "who": "The concierge",
            "due_on": soon(30).date().isoformat(),
            "ideas": [str(world["idea"].id)],
        },
    )
    assert response.status_code == 302
    decision = meeting.decisions[0]
    login(resident)
    assert "Buy a bench" in client.get("/voice/decisions").get_data(as_text=True)
    response = client.post(
        f"/voice/decisions/{decision.id}/done", data={"csrf_token": token(client, "/voice")}
    )
    assert response.status_code == 404
    login(coordinator)
    response = client.post(
        f"/voice/decisions/{decision.id}/done", data={"csrf_token": token(client, meeting_path)}
    )
    assert response.status_code == 302
    live = client.get(f"/voice/decisions/live?meeting={meeting_id}").get_data(as_text=True)
    assert 'data-done="1"' in live
    login(world["stranger"])
    assert client.get(meeting_path).status_code == 404
    assert client.get(f"/voice/decisions/live?meeting={meeting_id}").status_code == 404
    assert "Buy a bench" not in client.get("/voice/decisions").get_data(as_text=True)


def test_the_figures_show_who_takes_part(world, client, login):
    poll = world["poll"]
    service.do_vote(world["resident"], poll.id, poll.choices[0].id)
    service.do_support(world["neighbour"], world["idea"].id)
    login(world["coordinator"])
    page = client.get("/staff/figures").get_data(as_text=True)
    assert "who takes part, by age" in page and "who takes part, by household" in page
    csv = client.get("/staff/figures/voice-ages.csv")
    assert csv.status_code == 200
    text = csv.get_data(as_text=True)
    assert "Answered a question;0;0;0;1;0" in text
    assert "Supported an idea;0;0;0;1;0" in text
    households = client.get("/staff/figures/voice-households.csv").get_data(as_text=True)
    assert "Answered a question;1;0;0;0" in households  # Jeanne lives alone
    assert CHOICES[0].label not in text


def test_an_idea_with_a_photo_shows_it_to_those_who_may_see_it(world, client, login):
    from tests.voice.test_service import jpeg

    login(world["resident"])
    path = "/voice/ideas/new"
    response = client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "kind": "observation",
            "text": "The lift light is broken",
            "photo": (__import__("io").BytesIO(jpeg()), "lift.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    idea_path = response.headers["Location"]
    response = client.get(f"{idea_path}/photo")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    response.close()
    login(world["coordinator"])
    response = client.get(f"{idea_path}/photo?size=thumb")
    assert response.status_code == 200
    response.close()
    login(world["neighbour"])  # an observation about a thing is on the board
    response = client.get(f"{idea_path}/photo")
    assert response.status_code == 200
    response.close()
    login(world["stranger"])
    assert client.get(f"{idea_path}/photo").status_code == 404


def test_the_staff_home_has_a_voice_tile_with_what_waits(world, client, login):
    login(world["coordinator"])
    home = client.get("/").get_data(as_text=True)
    assert 'data-tile="voice"' in home and "2 to answer" in home  # the idea, the observation
    login(world["concierge"])
    assert "1 to answer" in client.get("/").get_data(as_text=True)  # the observation is not theirs


WRITES = [
    # (who, path template): each answers 404 and changes nothing
    ("other_staff", "/voice/polls/{poll}/vote"),
    ("other_staff", "/voice/polls/{poll}/close"),
    ("other_staff", "/voice/polls/{poll}/approve"),
    ("other_staff", "/voice/ideas/{idea}/support"),
    ("other_staff", "/voice/ideas/{idea}/answer"),
    ("stranger", "/voice/ideas/{idea}/support"),
    ("neighbour", "/voice/ideas/{note}/support"),
    ("other_staff", "/voice/meetings/{meeting}/minutes"),
    ("other_staff", "/voice/meetings/{meeting}/decisions"),
    ("other_staff", "/voice/decisions/{decision}/done"),
    ("stranger", "/voice/meetings/{meeting}/minutes"),
    ("concierge", "/voice/meetings/{meeting}/minutes"),
    ("concierge", "/voice/meetings/{meeting}/decisions"),
    ("concierge", "/voice/decisions/{decision}/done"),
    ("resident", "/voice/meetings/{meeting}/decisions"),
]


@pytest.mark.parametrize(("who", "template"), WRITES)
def test_writes_check_who_may_do_them_on_each_object(world, client, login, who, template):
    starts = soon(3)
    meeting = service.do_create_meeting(
        world["coordinator"],
        world["building"].id,
        title="Café concertation",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    decision = service.do_add_decision(world["coordinator"], meeting.id, text="Buy a bench")
    db.session.commit()
    login(world[who])
    path = template.format(
        poll=world["poll"].id,
        idea=world["idea"].id,
        note=world["note"].id,
        meeting=meeting.id,
        decision=decision.id,
    )
    data = {
        "csrf_token": token(client, "/voice"),
        "choice": str(world["poll"].choices[0].id),
        "status": "planned",
        "answer": "Soon",
        "minutes": "We met.",
        "text": "Paint the hall",
    }
    assert client.post(path, data=data).status_code == 404
    db.session.expire_all()
    assert service.get_results(world["poll"]).total == 0
    assert service.is_open(world["poll"])
    assert service.count_supporters(world["idea"].id) == 0
    assert world["idea"].status == IdeaStatus.RECEIVED
    assert meeting.minutes == "" and [d.text for d in meeting.decisions] == ["Buy a bench"]
    assert decision.done_at is None


def test_the_figures_find_who_answered_an_anonymous_question_by_their_key(app, client, login):
    """Anonymous answers count who answered (each resident once per line), found again from
    the votes' keys alone, with one statement per figure as before."""
    from portal.figures import service as figures
    from tests.queries import statements as counting_statements

    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    jeanne, paul = make_resident(building), make_resident(building, first_name="Paul")
    marie = make_resident(building, first_name="Marie", birth_year=1990)
    make_resident(building, first_name="Luc")  # never answers
    anonymous = make_poll(coordinator, building, anonymous=True)
    again = make_poll(coordinator, building, anonymous=True, question="And in winter?")
    named = make_poll(coordinator, building, anonymous=False, question="A named one?")
    for voter, poll in ((jeanne, anonymous), (marie, anonymous), (jeanne, again)):
        service.do_vote(voter, poll.id, poll.choices[0].id)
    for voter in (paul, jeanne):
        service.do_vote(voter, named.id, named.choices[1].id)
    elsewhere = make_building()
    far = make_poll(make_staff(Role.COORDINATOR, [elsewhere]), elsewhere, anonymous=True)
    service.do_vote(make_resident(elsewhere), far.id, far.choices[0].id)
    db.session.commit()
    scope = figures.access_scope(coordinator, str(building.id))
    now = datetime.now(UTC) + timedelta(minutes=1)
    shown = figures.check_period(None, None, "Europe/Paris", now)
    with counting_statements() as statements:
        ages = figures.get_figure("voice-ages", scope, shown, now)
    assert len(statements) == 1
    polls = {c.key: v for c, v in zip(ages.columns, ages.rows[0].values, strict=True) if v}
    assert ages.rows[0].key == "polls" and polls == {"18_59": 1, "75_plus": 2}
    households = figures.get_figure("voice-households", scope, shown, now)
    assert households.rows[0].values[0] == 3  # Jeanne, Paul and Marie each live alone
    login(coordinator)
    csv = client.get("/staff/figures/voice-ages.csv").get_data(as_text=True)
    assert "Answered a question;0;1;0;2;0" in csv
