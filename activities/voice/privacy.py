"""Residents' voice in a person's data rights.

Export: the questions they asked, their answers to named questions, the anonymous questions
of their building they took part in WITHOUT the answer, their ideas and observations with
the answers, the ideas they support. No table records who took part in an anonymous
question: their key for each anonymous question of their building is computed again (with
the app's secret, service.anonymous_keys) and looked for among its votes. The answer stays
out of the export: the vote row carries no person, only that key, and an export must not
become the way to pair a voter with an anonymous answer. (Questions of a building the
person has left are not found: their key is only computed for their present building.)

Erasure: ideas and questions stay for the building without their author (author NULL, by
the generic rule); the photos of their ideas go, rows' names and files; named votes and
supports go with the person (ON DELETE CASCADE on `voter_id` / `person_id`). Anonymous
votes hold no person id, so nothing person-linked is left in them once the person is gone:
they stay, counted in the results. Their key is an HMAC of the person's id with the app's
secret; only someone holding both SECRET_KEY and the erased person's former id could
compute it again, and the person row it would point to no longer exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from activities.voice.models import Idea, IdeaSupport, Poll, PollChoice, PollVote
from activities.voice.service import anonymous_keys
from portal.datarights.erasure import DomainErasure, ErasurePlan, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_voice(person: Person) -> dict[str, Any]:
    asked = db.session.scalars(select(Poll).where(Poll.author_id == person.id).order_by(Poll.id))
    named = db.session.execute(
        select(Poll.question, PollChoice.label)
        .join(PollVote, PollVote.poll_id == Poll.id)
        .join(PollChoice, PollChoice.id == PollVote.choice_id)
        .where(PollVote.voter_id == person.id, Poll.anonymous.is_(False))
        .order_by(Poll.id)
    )
    anonymous = _anonymous_questions_answered(person)
    ideas = db.session.scalars(select(Idea).where(Idea.author_id == person.id).order_by(Idea.id))
    supported = db.session.scalars(
        select(Idea.id)
        .join(IdeaSupport, IdeaSupport.idea_id == Idea.id)
        .where(IdeaSupport.person_id == person.id)
        .order_by(Idea.id)
    )
    return {
        "questions_asked": [
            {
                "question": p.question,
                "status": p.status,
                "anonymous": p.anonymous,
                "closes_at": p.closes_at,
                "created_at": p.created_at,
            }
            for p in asked
        ],
        "named_answers": [{"question": q, "answer": a} for q, a in named],
        "anonymous_questions_answered": list(anonymous),
        "ideas": [
            {
                "id": i.id,
                "kind": i.kind,
                "text": i.text,
                "about_a_person": i.private,
                "photo": bool(i.photo_name),
                "status": i.status,
                "answer": i.answer,
                "created_at": i.created_at,
            }
            for i in ideas
        ],
        "ideas_supported": list(supported),
    }


def _anonymous_questions_answered(person: Person) -> list[str]:
    """The anonymous questions of the person's building holding a vote with their key."""
    if person.building_id is None:
        return []
    polls = db.session.execute(
        select(Poll.id, Poll.question)
        .where(Poll.building_id == person.building_id, Poll.anonymous.is_(True))
        .order_by(Poll.id)
    ).all()
    if not polls:
        return []
    keys = {poll_id: anonymous_keys(poll_id, [person.id])[person.id] for poll_id, _q in polls}
    stmt = select(PollVote.poll_id, PollVote.voter_key).where(
        PollVote.poll_id.in_(keys), PollVote.voter_key.in_(keys.values())
    )
    found = {(poll_id, key) for poll_id, key in db.session.execute(stmt)}
    return [question for poll_id, question in polls if (poll_id, keys[poll_id]) in found]


def forget_idea_photos(plan: ErasurePlan, person_id: int) -> None:
    """The photos of the person's ideas go (files after the commit); the ideas stay."""
    rows = db.session.execute(
        select(Idea.id, Idea.photo_name, Idea.thumb_name).where(
            Idea.author_id == person_id, Idea.photo_name.is_not(None)
        )
    ).all()
    for _id, name, thumb in rows:
        plan.files.extend(n for n in (name, thumb) if n)
    if rows:
        result = db.session.execute(
            update(Idea)
            .where(Idea.id.in_([r[0] for r in rows]))
            .values(photo_name=None, thumb_name=None)
        )
        plan.count("voice_ideas.photo_name:null", result)


register_exporter("voice", export_voice, order=35)
register_erasure("activities.voice", DomainErasure(before=forget_idea_photos))
