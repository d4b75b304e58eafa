"""Residents' voice in a person's data rights.

Export: the questions they asked, their answers to named questions, the anonymous questions
they took part in WITHOUT the answer (an anonymous vote is stored without any readable link
to its voter, so it cannot be given back either), their ideas and observations with the
answers, the ideas they support.

Erasure: ideas and questions stay for the building without their author (author NULL, by
the generic rule); the photos of their ideas go, rows' names and files; named votes,
participations and supports go with the person (ON DELETE CASCADE). Anonymous votes name
nobody and stay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from activities.voice.models import Idea, IdeaSupport, Poll, PollChoice, PollParticipant, PollVote
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
    anonymous = db.session.scalars(
        select(Poll.question)
        .join(PollParticipant, PollParticipant.poll_id == Poll.id)
        .where(PollParticipant.person_id == person.id, Poll.anonymous.is_(True))
        .order_by(Poll.id)
    )
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
