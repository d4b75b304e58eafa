"""Residents' voice: polls (one vote per person, anonymity), ideas, meetings and decisions."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from activities import service as activities
from activities.voice import service
from activities.voice.models import (
    IdeaKind,
    IdeaStatus,
    PollStatus,
    PollVote,
)
from activities.voice.service import ChoiceInput
from portal.datarights.export import build_export
from portal.extensions import db
from portal.factory import create_app
from portal.notifications.service import list_notifications
from portal.people.models import Person, Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff
from tests.live import postgres_schema

CHOICES = [ChoiceInput("Yes, a garden", "trees"), ChoiceInput("Music evening", "music")]


def soon(days: int = 7) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def coordinator(building):
    return make_staff(Role.COORDINATOR, [building])


def make_poll(author, building, *, anonymous=True, choices=None, question="What for the summer?"):
    return service.do_create_poll(
        author,
        building.id,
        question=question,
        choices=choices or CHOICES,
        closes_at=soon(),
        anonymous=anonymous,
    )


# Polls -------------------------------------------------------------------------------------


def test_staff_open_a_poll_at_once_and_the_building_is_told(coordinator, building, events):
    poll = make_poll(coordinator, building)
    db.session.commit()
    assert poll.status == PollStatus.OPEN and service.is_open(poll)
    assert [c.icon for c in poll.choices] == ["trees", "music"]
    opened = events.named(service.EVENT_POLL_OPENED)
    assert opened and opened[0].to == f"building:{building.id}"


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([ChoiceInput("Only one", "sun")], "bad_choices"),
        ([ChoiceInput(f"Answer {i}", "sun") for i in range(7)], "bad_choices"),
        ([ChoiceInput("Yes", "sun"), ChoiceInput("No", "🙂")], "bad_icon"),
        ([ChoiceInput("Yes", "sun"), ChoiceInput("No", "../../etc/passwd")], "bad_icon"),
        ([ChoiceInput("Yes", "sun"), ChoiceInput("yes", "moon")], "same_label"),
        ([ChoiceInput("Yes", "sun"), ChoiceInput("x" * 61, "moon")], "bad_label"),
    ],
)
def test_a_poll_has_two_to_six_answers_each_with_a_pictogram_of_the_set(
    coordinator, building, choices, expected
):
    assert code(make_poll, coordinator, building, choices=choices) == expected


def test_the_end_date_comes_later(coordinator, building):
    past = datetime.now(UTC) - timedelta(hours=1)
    assert (
        code(
            service.do_create_poll,
            coordinator,
            building.id,
            question="Q?",
            choices=CHOICES,
            closes_at=past,
        )
        == "end_past"
    )


def test_residents_ask_only_where_the_building_allows_and_after_approval(coordinator, building):
    resident = make_resident(building, locale="en")
    assert code(make_poll, resident, building) == "not_allowed"
    service.do_set_residents_may_ask(coordinator, building.id, True)
    poll = make_poll(resident, building, question="A bench in the garden?")
    assert poll.status == PollStatus.PENDING
    assert "A bench in the garden?" in list_notifications(coordinator.id)[0].title
    neighbour = make_resident(building, locale="en")
    assert code(service.access_poll, neighbour, poll.id) == "not_found"
    assert code(service.do_vote, neighbour, poll.id, poll.choices[0].id) == "not_found"
    assert code(service.do_decide_poll, resident, poll.id, True) == "forbidden"
    service.do_decide_poll(coordinator, poll.id, True)
    assert poll.status == PollStatus.OPEN
    assert service.access_poll(neighbour, poll.id) is poll
    assert "open to the building" in list_notifications(resident.id)[0].title


def test_a_coordinator_declines_a_question_with_a_message(coordinator, building):
    service.do_set_residents_may_ask(coordinator, building.id, True)
    resident = make_resident(building, locale="en")
    poll = make_poll(resident, building)
    assert code(service.do_decide_poll, coordinator, poll.id, False, "") == "empty"
    service.do_decide_poll(coordinator, poll.id, False, "We asked it last month.")
    assert poll.status == PollStatus.DECLINED
    assert "We asked it last month." in list_notifications(resident.id)[0].title


def test_one_vote_per_person_changed_until_the_end(coordinator, building, events):
    poll = make_poll(coordinator, building)
    resident = make_resident(building, locale="en")
    first, second = poll.choices
    service.do_vote(resident, poll.id, first.id)
    service.do_vote(resident, poll.id, second.id)
    service.do_vote(resident, poll.id, second.id)
    db.session.commit()
    results = service.get_results(poll)
    assert results.total == 1
    assert [line.votes for line in results.lines] == [0, 1]
    assert service.get_my_choice_id(resident, poll) == second.id
    assert events.named(service.EVENT_POLL_VOTED)[-1].payload == {"poll_id": poll.id}
    service.do_close_poll(coordinator, poll.id)
    assert code(service.do_vote, resident, poll.id, first.id) == "closed"
    assert service.get_my_choice_id(resident, poll) == second.id


def test_only_the_buildings_residents_vote_and_only_for_its_answers(coordinator, building):
    poll = make_poll(coordinator, building)
    other_poll = make_poll(coordinator, building, question="Another?")
    resident = make_resident(building, locale="en")
    assert code(service.do_vote, resident, poll.id, other_poll.choices[0].id) == "bad_choice"
    assert code(service.do_vote, coordinator, poll.id, poll.choices[0].id) == "not_voter"
    stranger = make_resident(make_building())
    assert code(service.do_vote, stranger, poll.id, poll.choices[0].id) == "not_found"


def test_results_are_for_those_who_voted_and_the_staff(coordinator, building):
    poll = make_poll(coordinator, building)
    voter, other = make_resident(building), make_resident(building, locale="en")
    service.do_vote(voter, poll.id, poll.choices[0].id)
    assert service.may_see_results(voter, poll)
    assert not service.may_see_results(other, poll)
    assert service.may_see_results(coordinator, poll)
    concierge = make_staff(Role.CONCIERGE, [building])
    assert service.may_see_results(concierge, poll)
    assert not service.may_see_results(make_staff(Role.COORDINATOR), poll)


def test_an_anonymous_vote_keeps_no_readable_link_to_its_voter(app, coordinator, building):
    global TEST_SECRET
    TEST_SECRET = app.config["SECRET_KEY"]
    poll = make_poll(coordinator, building, anonymous=True)
    jeanne, paul = make_resident(building), make_resident(building, locale="en")
    service.do_vote(jeanne, poll.id, poll.choices[0].id)
    service.do_vote(paul, poll.id, poll.choices[1].id)
    db.session.commit()
    votes = list(db.session.scalars(select(PollVote).where(PollVote.poll_id == poll.id)))
    assert len(votes) == 2
    for vote in votes:
        assert vote.voter_id is None
        assert len(vote.voter_key) == 64
        assert not vote.voter_key.startswith("p:")
    # The key is a keyed hash: without the app's secret it cannot be made again.
    keys = {vote.voter_key for vote in votes}
    assert service.voter_key(poll, jeanne) in keys
    app.config["SECRET_KEY"] = "another secret"
    assert service.voter_key(poll, jeanne) not in keys
    app.config["SECRET_KEY"] = TEST_SECRET
    # No timestamp or row id on a vote to pair it with who took part.
    columns = {c.key for c in inspect(PollVote).columns}
    assert columns == {"poll_id", "voter_key", "voter_id", "choice_id"}
    # No table of the voice schema holds a person and a poll or an answer but the votes,
    # whose person column stays empty for an anonymous poll: who took part is kept nowhere.
    assert voice_tables_linking_a_person_to_a_poll() == {"voice_poll_votes"}
    # The same person has another key in another poll: keys do not follow a person around.
    other = make_poll(coordinator, building, question="Another?", anonymous=True)
    assert service.voter_key(other, jeanne) != service.voter_key(poll, jeanne)
    # The staff's results carry no names for an anonymous poll.
    results = service.get_results(poll, with_names=True)
    assert all(line.names == () for line in results.lines)
    # The export says she took part, never what she answered.
    exported = json.dumps(build_export(jeanne), default=str)
    assert poll.question in exported
    assert poll.choices[0].label not in exported and poll.choices[1].label not in exported
    # Her own screen finds her answer again through the key.
    assert service.get_my_choice_id(jeanne, poll) == poll.choices[0].id


def voice_tables_linking_a_person_to_a_poll() -> set[str]:
    """The voice's tables holding a reference to a person and one to a poll or an answer."""
    found = set()
    for table in db.metadata.sorted_tables:
        if not table.name.startswith("voice_"):
            continue
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if "people" in targets and targets & {"voice_polls", "voice_poll_choices"}:
            found.add(table.name)
    return found


def every_row() -> dict[str, list[str]]:
    """Every row of every table, as text, table by table (what a reader of the database sees)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(table.select()))
    return rows


def test_an_anonymous_vote_cannot_be_paired_with_its_voter_from_the_database_alone(
    app, coordinator, building, client, login
):
    """Voting writes one row, in voice_poll_votes, naming nobody: no row written with it (same
    transaction, same PostgreSQL xmin, next SQLite rowid) tells who the voter was."""
    from tests.voice.test_routes import token

    poll = make_poll(coordinator, building, anonymous=True)
    jeanne, paul = make_resident(building), make_resident(building, locale="en")
    db.session.commit()
    for voter, choice in ((jeanne, poll.choices[0]), (paul, poll.choices[1])):
        login(voter)
        csrf = token(client, f"/voice/polls/{poll.id}")
        db.session.rollback()
        before = every_row()
        response = client.post(
            f"/voice/polls/{poll.id}/vote", data={"csrf_token": csrf, "choice": str(choice.id)}
        )
        assert response.status_code == 302
        db.session.rollback()
        after = every_row()
        changed = {name for name in before if before[name] != after[name]}
        assert changed == {"voice_poll_votes"}
        (new,) = set(after["voice_poll_votes"]) - set(before["voice_poll_votes"])
        assert len(after["voice_poll_votes"]) == len(before["voice_poll_votes"]) + 1
        vote = db.session.scalars(
            select(PollVote).where(
                PollVote.poll_id == poll.id, PollVote.voter_key == service.voter_key(poll, voter)
            )
        ).one()
        assert new == repr((vote.poll_id, vote.voter_key, None, choice.id))  # no person id
    # Both took part, found again only through their keys (the app's secret).
    assert service.has_voted(jeanne, poll) and service.has_voted(paul, poll)
    assert not service.has_voted(make_resident(building), poll)


def test_the_export_finds_the_anonymous_questions_answered_by_the_persons_key(
    coordinator, building
):
    answered = make_poll(coordinator, building, anonymous=True, question="Answered?")
    make_poll(coordinator, building, anonymous=True, question="Left aside?")
    jeanne, paul = make_resident(building), make_resident(building)
    service.do_vote(jeanne, answered.id, answered.choices[1].id)
    named = make_poll(coordinator, building, anonymous=False, question="Named?")
    service.do_vote(jeanne, named.id, named.choices[0].id)
    db.session.commit()
    assert build_export(jeanne)["voice"]["anonymous_questions_answered"] == ["Answered?"]
    assert build_export(paul)["voice"]["anonymous_questions_answered"] == []
    # Erased, she leaves her answer in the results, with nothing in it that names her.
    from portal.datarights.erasure import erase

    erase(jeanne, actor=None)
    db.session.commit()
    (vote,) = db.session.scalars(select(PollVote).where(PollVote.poll_id == answered.id))
    assert vote.voter_id is None and vote.choice_id == answered.choices[1].id
    assert service.get_results(answered).total == 1
    assert service.get_results(named).total == 0  # a named vote goes with the person


def test_a_named_poll_keeps_the_person_for_the_staff(coordinator, building):
    poll = make_poll(coordinator, building, anonymous=False)
    jeanne = make_resident(building, first_name="Jeanne")
    service.do_vote(jeanne, poll.id, poll.choices[1].id)
    results = service.get_results(poll, with_names=True)
    assert results.lines[1].names == (jeanne.full_name,)
    exported = build_export(jeanne)["voice"]
    assert exported["named_answers"] == [{"question": poll.question, "answer": "Music evening"}]


def vote_at_once(uri: str, runners: int = 8) -> tuple[int, int, list[str]]:
    """Residents (each twice, in two threads) vote in the same instant, each thread with its
    own connection; returns the votes stored, the participants and the outcomes."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        building = make_building()
        coordinator = make_staff(Role.COORDINATOR, [building])
        poll = make_poll(coordinator, building, anonymous=True)
        poll_id, choices = poll.id, [c.id for c in poll.choices]
        ids = [make_resident(building, pin=None).id for _ in range(runners // 2)]
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(runners)
    outcomes: list[str] = []

    def run(person_id: int, choice_id: int) -> None:
        with app.app_context():
            person = db.session.get(Person, person_id)
            barrier.wait()
            try:
                service.do_vote(person, poll_id, choice_id)
                db.session.commit()  # as the request that calls it would
                outcomes.append("ok")
            except Exception as error:
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(pid, choices[i % 2])) for pid in ids for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        votes = len(list(db.session.scalars(select(PollVote).where(PollVote.poll_id == poll_id))))
        # Who took part, found again from the votes' keys (nothing else records it).
        stmt = select(PollVote.voter_key).where(PollVote.poll_id == poll_id)
        keys = set(db.session.scalars(stmt))
        took_part = sum(key in keys for key in service.anonymous_keys(poll_id, ids).values())
        db.session.remove()
        db.engine.dispose()
    return votes, took_part, outcomes


def test_one_vote_per_person_when_everyone_taps_at_once_on_sqlite(tmp_path):
    votes, took_part, outcomes = vote_at_once(f"sqlite:///{tmp_path / 'votes.sqlite3'}")
    assert outcomes == ["ok"] * 8
    assert (votes, took_part) == (4, 4)


@pytest.mark.postgres
def test_one_vote_per_person_when_everyone_taps_at_once_on_postgresql():
    with postgres_schema("votes") as url:
        votes, took_part, outcomes = vote_at_once(url)
    assert outcomes == ["ok"] * 8
    assert (votes, took_part) == (4, 4)


# Ideas and observations ----------------------------------------------------------------------


def test_an_idea_is_on_the_board_supported_once_and_answered(coordinator, building, events):
    author, neighbour = make_resident(building, locale="en"), make_resident(building, locale="en")
    idea = service.do_post_idea(author, kind="idea", text="A vegetable garden on the roof")
    assert [v.idea.id for v in service.list_board(neighbour)] == [idea.id]
    assert service.do_support(neighbour, idea.id) == 1
    assert service.do_support(neighbour, idea.id) == 1  # a second tap adds nothing
    assert service.do_support(author, idea.id) == 2
    assert service.do_support(author, idea.id, support=False) == 1
    assert code(service.do_answer_idea, neighbour, idea.id, "planned", "") == "forbidden"
    assert code(service.do_answer_idea, coordinator, idea.id, "not_kept", " ") == "reason_needed"
    service.do_answer_idea(coordinator, idea.id, IdeaStatus.PLANNED, "In the spring.")
    db.session.commit()
    assert idea.status == IdeaStatus.PLANNED and idea.answer == "In the spring."
    assert list_notifications(author.id)[0].title == "Your idea has an answer: Planned"
    rooms = {e.to for e in events.named(service.EVENT_IDEA_CHANGED)}
    assert rooms == {f"building:{building.id}", f"user:{author.id}"}


def test_the_author_is_told_in_their_own_language(coordinator, building):
    author = make_resident(building, locale="fr")
    idea = service.do_post_idea(author, kind="idea", text="Un banc")
    service.do_answer_idea(coordinator, idea.id, "done", "")
    title = list_notifications(author.id)[0].title
    # Written in French (the sentence's own translation comes with the merged catalogue).
    assert title.endswith(": Fait")


def test_an_observation_about_a_person_reaches_only_the_coordinator(coordinator, building, events):
    author = make_resident(building, locale="en")
    neighbour = make_resident(building, locale="en")
    concierge = make_staff(Role.CONCIERGE, [building])
    manager = make_staff(Role.MANAGER, [building])
    elsewhere = make_staff(Role.COORDINATOR)
    note = service.do_post_idea(
        author,
        kind=IdeaKind.OBSERVATION,
        text="Mme X on the 3rd floor seems alone and tired",
        about_person=True,
    )
    db.session.commit()
    assert note.private
    # Never on the board, for anyone.
    for person in (author, neighbour, coordinator, concierge, manager):
        assert note.id not in [v.idea.id for v in service.list_board(person)]
    # Readable by its author and the building's coordinators only.
    assert service.access_idea(author, note.id) is note
    assert service.access_idea(coordinator, note.id) is note
    assert [i.id for i in service.list_private(coordinator)] == [note.id]
    for person in (neighbour, concierge, manager, elsewhere):
        assert code(service.access_idea, person, note.id) == "not_found"
        assert service.list_private(person) == []
    assert code(service.do_support, neighbour, note.id) == "not_found"
    # The live event goes to the coordinators and the author, never to the building room.
    rooms = {e.to for e in events.named(service.EVENT_IDEA_CHANGED)}
    assert rooms == {f"user:{coordinator.id}", f"user:{author.id}"}
    notified = [
        n.person_id
        for p in (coordinator, concierge, manager, neighbour)
        for n in list_notifications(p.id)
    ]
    assert notified == [coordinator.id]


# Meetings and decisions ------------------------------------------------------------------


def test_a_meeting_is_an_activity_with_an_agenda_and_decisions(coordinator, building, events):
    resident, absent, away = (make_resident(building) for _ in range(3))
    idea = service.do_post_idea(resident, kind="idea", text="Benches in the courtyard")
    poll = make_poll(coordinator, building)
    starts = datetime.now(UTC) + timedelta(days=2)
    meeting = service.do_create_meeting(
        coordinator,
        building.id,
        title="Café concertation",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        idea_ids=[idea.id],
        poll_ids=[poll.id],
    )
    activity = service.get_activity_of(meeting)
    assert activity.category.value == "meeting"
    assert [(i.idea_id, i.poll_id) for i in meeting.items] == [(idea.id, None), (None, poll.id)]
    occurrence = service.first_occurrence(meeting)
    activities.do_sign_up(resident, occurrence.id)
    activities.do_sign_up(absent, occurrence.id)
    decision = service.do_add_decision(
        coordinator,
        meeting.id,
        text="Two benches by June",
        who="The landlord",
        due_on=(starts + timedelta(days=60)).date(),
        idea_ids=[idea.id],
    )
    assert [i.id for i in decision.ideas] == [idea.id]
    assert code(service.do_mark_done, resident, decision.id) == "forbidden"
    for signup, person in activities.list_participants(occurrence.id):
        signup.attended = person.id == resident.id
    service.do_mark_done(coordinator, decision.id)
    db.session.commit()
    assert decision.done_at is not None
    assert "Two benches by June" in list_notifications(resident.id)[0].title
    assert list_notifications(absent.id) == []
    assert list_notifications(away.id) == []
    assert code(service.do_mark_done, coordinator, decision.id) == "done"
    assert [d.id for d in service.list_decisions(away)] == [decision.id]
    assert events.named(service.EVENT_DECISION_CHANGED)
    stranger = make_resident(make_building())
    assert code(service.access_meeting, stranger, meeting.id) == "not_found"
    assert code(service.access_decision, stranger, decision.id) == "not_found"


# Data rights -------------------------------------------------------------------------------


def jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), "#336699").save(buffer, "JPEG")
    return buffer.getvalue()


def test_erasing_an_author_keeps_the_idea_without_them_or_their_photo(app, coordinator, building):
    from portal.datarights.erasure import erase
    from portal.uploads import path_of

    author, supporter = make_resident(building), make_resident(building, locale="en")
    idea = service.do_post_idea(author, kind="idea", text="A shelf of books", photo=jpeg())
    photo = path_of(idea.photo_name)
    assert photo.exists()
    poll = make_poll(coordinator, building, anonymous=False)
    anonymous = make_poll(coordinator, building, question="Secret?", anonymous=True)
    service.do_vote(author, poll.id, poll.choices[0].id)
    service.do_vote(author, anonymous.id, anonymous.choices[0].id)
    service.do_support(author, idea.id)
    service.do_support(supporter, idea.id)
    db.session.commit()
    erase(author, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert idea.author_id is None and idea.text == "A shelf of books"
    assert idea.photo_name is None and not photo.exists()
    assert service.count_supporters(idea.id) == 1
    assert service.get_results(poll).total == 0  # the named vote went with her
    assert service.get_results(anonymous).total == 1  # the anonymous one names nobody
