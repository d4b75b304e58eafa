"""Residents' voice pages: parse, call the service, render or redirect.

A refusal from the service is answered by the one handler: 404 for what the person may not
see, else what the page declared with on_refusal().
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from activities.voice import bp, service
from activities.voice.forms import (
    AnswerForm,
    DecisionForm,
    IdeaForm,
    MeetingForm,
    MinutesForm,
    PollForm,
    SettingsForm,
    VoteForm,
)
from activities.voice.icons import ANSWER_ICONS
from activities.voice.panel import panel_context
from portal.errors import on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import zone_of
from portal.people import service as people
from portal.uploads import path_of
from portal.urls import is_local_path
from portal.validation import as_id, query_id


def _ids(name: str) -> list[int]:
    """Ids ticked in a list of checkboxes (anything else is left out)."""
    found = (as_id(value) for value in request.form.getlist(name)[:100])
    return [i for i in found if i is not None]


def _back(default: str) -> str:
    """Where a one-tap form sends the person back: a local path it names, else `default`."""
    target = request.form.get("next", "")
    return target if target and is_local_path(target) else default


def _my_building() -> int:
    """The building the person acts for: their own (staff and residents alike)."""
    if current_user.building_id is None:
        abort(404)
    return int(current_user.building_id)


def _staff_only(building_id: int) -> None:
    """Pages and actions for the building's staff: to others they do not exist (404)."""
    if not service.is_staff_of(current_user, building_id):
        abort(404)


def _deciders_only(building_id: int) -> None:
    """Pages and actions for the building's coordinators and managers (404 to others)."""
    if not service.is_decider_of(current_user, building_id):
        abort(404)


# The voice's home ------------------------------------------------------------------------


@bp.get("/voice")
@login_required
def index() -> str:
    """Questions, ideas, meetings and decisions of the building, in one place."""
    building_id = current_user.building_id
    residents_ask = building_id is not None and service.residents_may_ask(building_id)
    return render_template(
        "voice/index.html",
        polls=service.list_polls(current_user),
        meetings=service.list_meetings(current_user, limit=5),
        may_ask=building_id is not None
        and (
            service.is_staff_of(current_user, building_id)
            or (current_user.is_resident and residents_ask)
        ),
        is_decider=building_id is not None and service.is_decider_of(current_user, building_id),
        settings_form=SettingsForm(residents_may_ask=residents_ask),
    )


@bp.post("/voice/settings")
@login_required
def settings() -> Response:
    """The coordinator lets residents ask questions (each one approved), or not."""
    building_id = _my_building()
    _deciders_only(building_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(url_for("voice.index"))
    service.do_set_residents_may_ask(current_user, building_id, bool(form.residents_may_ask.data))
    flash(_("Saved."), "success")
    return redirect(url_for("voice.index"))


# Polls -----------------------------------------------------------------------------------


@bp.get("/voice/polls")
@login_required
def polls() -> Response:
    return redirect(url_for("voice.index"))


@bp.route("/voice/polls/new", methods=["GET", "POST"])
@login_required
def new_poll() -> str | tuple[str, int] | Response:
    """Staff ask the building a question; residents too where the building allows it."""
    building_id = _my_building()
    staff = service.is_staff_of(current_user, building_id)
    if not staff and not (current_user.is_resident and service.residents_may_ask(building_id)):
        abort(404)
    form = PollForm()

    def page() -> str:
        return render_template("voice/poll_new.html", form=form, staff=staff, icons=ANSWER_ICONS)

    if not form.is_submitted():
        form.closes_on.data = datetime.now(zone_of(current_user)).date() + timedelta(days=7)
        form.icon_0.data, form.icon_1.data = "thumbs-up", "thumbs-down"
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    zone = zone_of(current_user)
    # Open until the end of the last day, in the building's time.
    closes_at = datetime.combine(form.closes_on.data + timedelta(days=1), time(0, 0), tzinfo=zone)
    poll = service.do_create_poll(
        current_user,
        building_id,
        question=form.question.data or "",
        choices=[service.ChoiceInput(label, icon) for label, icon in form.answers()],
        closes_at=closes_at,
        anonymous=form.anonymous.data != "0",
    )
    if staff:
        flash(_("The question is open. Everyone can answer."), "success")
    else:
        flash(_("Thank you! The coordinator reads your question first."), "success")
    return redirect(url_for("voice.poll", poll_id=poll.id))


def _poll_context(poll_id: int) -> dict[str, object]:
    poll = service.access_poll(current_user, poll_id)
    staff = service.is_staff_of(current_user, poll.building_id)
    sees = service.may_see_results(current_user, poll)
    return {
        "poll": poll,
        "open": service.is_open(poll),
        "may_vote": service.may_vote(current_user, poll),
        "my_choice": service.get_my_choice_id(current_user, poll),
        "results": service.get_results(poll, with_names=staff) if sees else None,
        "staff": staff,
        "decider": service.is_decider_of(current_user, poll.building_id),
        "last_day": poll.closes_at - timedelta(minutes=1),
    }


@bp.get("/voice/polls/<int:poll_id>")
@login_required
def poll(poll_id: int) -> str:
    """The question: answer it in one tap; the results once answered (and for the staff)."""
    return render_template(
        "voice/poll.html", confirm_form=ConfirmForm(), next_url="", **_poll_context(poll_id)
    )


@bp.get("/voice/polls/<int:poll_id>/live")
@login_required
def poll_live(poll_id: int) -> str:
    """The answer buttons and the bars, re-read by live.js when someone votes."""
    return render_template(
        "voice/_poll_body.html",
        next_url=request.args.get("next", "") if is_local_path(request.args.get("next")) else "",
        **_poll_context(poll_id),
    )


@bp.post("/voice/polls/<int:poll_id>/vote")
@login_required
def vote(poll_id: int) -> Response:
    """One tap: this answer is mine (it replaces the one I gave before)."""
    service.access_poll(current_user, poll_id)
    back = _back(url_for("voice.poll", poll_id=poll_id))
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(back)
    service.do_vote(current_user, poll_id, int(form.choice.data or 0))
    flash(_("Your answer is saved. You can change it until the end."), "success")
    return redirect(back)


@bp.post("/voice/polls/<int:poll_id>/<decision>")
@login_required
def decide_poll(poll_id: int, decision: str) -> Response:
    """Coordinator: publish or decline a resident's question; staff: close one now."""
    if decision not in {"approve", "decline", "close"}:
        abort(404)
    poll = service.access_poll(current_user, poll_id)
    _staff_only(poll.building_id)
    require_confirm_form()
    back = url_for("voice.poll", poll_id=poll_id)
    on_refusal(back)
    if decision == "close":
        service.do_close_poll(current_user, poll_id)
        flash(_("The question is closed. The results stay."), "success")
    else:
        service.do_decide_poll(
            current_user, poll_id, decision == "approve", request.form.get("message", "")
        )
        flash(_("Your answer has been sent to the resident."), "success")
    return redirect(back)


@bp.get("/voice/polls/<int:poll_id>/print")
@login_required
def poll_print(poll_id: int) -> str:
    """The results on paper, for the hall (staff)."""
    poll = service.access_poll(current_user, poll_id)
    _staff_only(poll.building_id)
    return render_template(
        "voice/poll_print.html",
        poll=poll,
        results=service.get_results(poll),
        open=service.is_open(poll),
        building=people.get_building(poll.building_id),
    )


# Ideas -----------------------------------------------------------------------------------


@bp.get("/voice/ideas")
@login_required
def ideas() -> str:
    """The idea box: everyone's ideas with their answers; one's observations apart."""
    return render_template(
        "voice/ideas.html",
        board=service.list_board(current_user),
        private=service.list_private(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.get("/voice/ideas/live")
@login_required
def ideas_live() -> str:
    return render_template(
        "voice/_ideas_board.html",
        board=service.list_board(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/voice/ideas/new", methods=["GET", "POST"])
@login_required
def new_idea() -> str | tuple[str, int] | Response:
    """A resident shares an idea or something they noticed."""
    if not current_user.is_resident or current_user.building_id is None:
        abort(404)
    form = IdeaForm()

    def page() -> str:
        return render_template("voice/idea_new.html", form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    idea = service.do_post_idea(
        current_user,
        kind=form.kind.data or "",
        text=form.text.data or "",
        about_person=bool(form.about_person.data),
        photo=form.photo.data.read() if form.photo.data else None,
    )
    if idea.private:
        flash(_("Thank you. Only the coordinator reads it."), "success")
    else:
        flash(_("Thank you! Your idea is in the idea box."), "success")
    return redirect(url_for("voice.idea", idea_id=idea.id))


def _idea_context(idea_id: int) -> dict[str, object]:
    idea = service.access_idea(current_user, idea_id)
    return {
        "view": service.get_idea_view(current_user, idea),
        "idea": idea,
        "may_support": service.may_support(current_user, idea),
        "decider": service.is_decider_of(current_user, idea.building_id),
    }


@bp.get("/voice/ideas/<int:idea_id>")
@login_required
def idea(idea_id: int) -> str:
    context = _idea_context(idea_id)
    form = AnswerForm()
    found = context["idea"]
    form.status.data = found.status.value  # type: ignore[attr-defined]
    form.answer.data = found.answer  # type: ignore[attr-defined]
    return render_template(
        "voice/idea.html", confirm_form=ConfirmForm(), answer_form=form, **context
    )


@bp.get("/voice/ideas/<int:idea_id>/live")
@login_required
def idea_live(idea_id: int) -> str:
    """The idea's status, answer and supporters, re-read when they change."""
    return render_template(
        "voice/_idea_status.html", confirm_form=ConfirmForm(), **_idea_context(idea_id)
    )


@bp.post("/voice/ideas/<int:idea_id>/support")
@login_required
def support(idea_id: int) -> Response:
    """One tap to support an idea, or to take the support back."""
    service.access_idea(current_user, idea_id)
    require_confirm_form()
    back = _back(url_for("voice.idea", idea_id=idea_id))
    on_refusal(back)
    wanted = request.form.get("support", "1") != "0"
    service.do_support(current_user, idea_id, wanted)
    flash(
        _("Thank you for your support.") if wanted else _("Your support is taken back."), "success"
    )
    return redirect(back)


@bp.post("/voice/ideas/<int:idea_id>/answer")
@login_required
def answer_idea(idea_id: int) -> str | tuple[str, int] | Response:
    """The coordinator answers an idea publicly (the author is told)."""
    found = service.access_idea(current_user, idea_id)
    _deciders_only(found.building_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(url_for("voice.idea", idea_id=idea_id))
    service.do_answer_idea(current_user, idea_id, form.status.data or "", form.answer.data or "")
    flash(_("Your answer is published. The author is told."), "success")
    return redirect(url_for("voice.idea", idea_id=idea_id))


@bp.get("/voice/ideas/<int:idea_id>/photo")
@login_required
def idea_photo(idea_id: int) -> Response:
    found = service.access_idea(current_user, idea_id)
    name = found.thumb_name if request.args.get("size") == "thumb" else found.photo_name
    if not name:
        abort(404)
    response = send_file(path_of(name), mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Meetings and decisions ------------------------------------------------------------------


@bp.route("/voice/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting() -> str | tuple[str, int] | Response:
    """The coordinator plans a building meeting with an agenda of ideas and questions."""
    building_id = _my_building()
    _deciders_only(building_id)
    form = MeetingForm()
    ideas_list, polls_list = service.list_agenda_sources(current_user, building_id)

    def page() -> str:
        return render_template(
            "voice/meeting_new.html", form=form, ideas=ideas_list, polls=polls_list
        )

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    zone = zone_of(current_user)
    meeting = service.do_create_meeting(
        current_user,
        building_id,
        title=form.title.data or "",
        starts_at=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        ends_at=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
        place=form.place.data or "",
        capacity=form.capacity.data,
        idea_ids=_ids("ideas"),
        poll_ids=_ids("polls"),
        notes=form.notes.data or "",
    )
    flash(_("The meeting is in the calendar."), "success")
    return redirect(url_for("voice.meeting", meeting_id=meeting.id))


@bp.get("/voice/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int) -> str:
    """A meeting: its agenda, how to come, and after it the minutes and the decisions."""
    found = service.access_meeting(current_user, meeting_id)
    decider = service.is_decider_of(current_user, found.building_id)
    ideas_list = service.list_agenda_sources(current_user, found.building_id)[0] if decider else []
    return render_template(
        "voice/meeting.html",
        meeting=found,
        activity=service.get_activity_of(found),
        occurrence=service.first_occurrence(found),
        decider=decider,
        minutes_form=MinutesForm(minutes=found.minutes),
        decision_form=DecisionForm(),
        confirm_form=ConfirmForm(),
        ideas=ideas_list,
    )


@bp.post("/voice/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int) -> Response:
    found = service.access_meeting(current_user, meeting_id)
    _deciders_only(found.building_id)
    form = MinutesForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(url_for("voice.meeting", meeting_id=meeting_id))
    service.do_write_minutes(current_user, meeting_id, form.minutes.data or "")
    flash(_("The minutes are saved."), "success")
    return redirect(url_for("voice.meeting", meeting_id=meeting_id))


@bp.post("/voice/meetings/<int:meeting_id>/decisions")
@login_required
def add_decision(meeting_id: int) -> Response:
    found = service.access_meeting(current_user, meeting_id)
    _deciders_only(found.building_id)
    form = DecisionForm()
    back = url_for("voice.meeting", meeting_id=meeting_id)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        flash(str(errors[0]) if errors else _("Write the decision."), "error")
        return redirect(back)
    on_refusal(back)
    service.do_add_decision(
        current_user,
        meeting_id,
        text=form.text.data or "",
        who=form.who.data or "",
        due_on=form.due_on.data,
        idea_ids=_ids("ideas"),
    )
    flash(_("The decision is saved."), "success")
    return redirect(back)


@bp.post("/voice/decisions/<int:decision_id>/done")
@login_required
def decision_done(decision_id: int) -> Response:
    """The coordinator marks a decision done: those who took part are told."""
    found = service.access_decision(current_user, decision_id)
    _deciders_only(found.meeting.building_id)
    require_confirm_form()
    back = _back(url_for("voice.meeting", meeting_id=found.meeting_id))
    on_refusal(back)
    service.do_mark_done(current_user, decision_id)
    flash(_("Marked as done. The participants are told."), "success")
    return redirect(back)


@bp.get("/voice/decisions")
@login_required
def decisions() -> str:
    """What the building's meetings decided, and what is done."""
    return render_template(
        "voice/decisions.html",
        decisions=service.list_decisions(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.get("/voice/decisions/live")
@login_required
def decisions_live() -> str:
    """The decisions (of one meeting, with `meeting`), re-read when one changes."""
    meeting_id = query_id("meeting")
    if meeting_id is None:
        return render_template(
            "voice/_decisions.html",
            decisions=service.list_decisions(current_user),
            with_actions=False,
        )
    found = service.access_meeting(current_user, meeting_id)
    return render_template(
        "voice/_decisions.html",
        decisions=found.decisions,
        with_actions=service.is_decider_of(current_user, found.building_id),
    )


@bp.get("/voice/home-panel")
@login_required
def home_panel() -> str:
    """The home's "Question of the week" panel, re-read by live.js."""
    context = panel_context(current_user)
    if context is None:
        abort(404)
    return render_template("voice/_home_panel_body.html", context=context)
