"""Messaging pages and JSON endpoints: parse, call the service, render or answer JSON."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from messaging import bp, service, uploads
from messaging.forms import GroupForm, MessageForm
from messaging.models import ConversationKind
from portal.confirm import confirm_page
from portal.errors import (
    BadRequest,
    DomainError,
    on_refusal,
    render_error,
    reshow_form,
    wants_json,
)
from portal.forms import ConfirmForm, require_confirm_form
from portal.people import service as people
from portal.people.models import Role
from portal.validation import query_cursor


def _neighbours() -> list[people.DirectoryEntry]:
    """People of the person's building one may write to, staff included."""
    building_id = current_user.building_id
    if building_id is None:
        return []
    return people.list_directory_entries(building_id, exclude_id=current_user.id)


# Pages ----------------------------------------------------------------------------------


@bp.get("/messages")
@login_required
def inbox() -> str:
    """The person's conversations, the latest first."""
    everything = _wants_every_conversation()
    limit = None if everything else service.INBOX_LIMIT
    summaries = service.list_conversations(current_user, limit=None if limit is None else limit + 1)
    more = limit is not None and len(summaries) > limit
    return render_template(
        "messaging/inbox.html",
        summaries=summaries[:limit] if more else summaries,
        everything=everything,
        more=more,
    )


def _wants_every_conversation() -> bool:
    """The person asked for all conversations, not the latest only."""
    return request.args.get("all") == "1"


def _conversation_context(conversation: Any, form: MessageForm | None = None) -> dict[str, Any]:
    messages = service.list_messages(current_user, conversation)
    partner_id = service.direct_partner_id(conversation, current_user.id)
    partner = people.get_person(partner_id) if partner_id else None
    can_post, reason, code = True, "", ""
    try:
        service.check_can_post(current_user, conversation)
    except DomainError as error:
        can_post, reason, code = False, error.message, error.code
    form = form or MessageForm(client_id=str(uuid.uuid4()))
    return {
        "conversation": conversation,
        "title": service.conversation_title(current_user, conversation),
        "messages": messages,
        "payloads": [service.message_payload(m) for m in messages],
        "reactions": service.reaction_counts([m.id for m in messages]),
        "read_states": service.read_states(conversation),
        "partner": partner,
        "presence": service.presence_of(partner) if partner else None,
        # Only a block in either direction stops posting: otherwise nobody blocked anyone.
        "blocked": bool(
            partner and code == "blocked" and service.has_blocked(current_user, partner.id)
        ),
        "can_post": can_post,
        "cannot_post_reason": reason,
        "form": form,
        "confirm_form": ConfirmForm(),
        "quick_replies": quick_replies(),
        "reaction_choices": service.REACTION_PICTOGRAMS,
        "page_size": service.PAGE_SIZE,
    }


def quick_replies() -> list[str]:
    """Short answers offered under the composer."""
    return [_("Thank you!"), _("All right"), _("I'm coming"), _("See you soon")]


@bp.get("/messages/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> str:
    conv = service.access_conversation(current_user, conversation_id)
    return render_template("messaging/conversation.html", **_conversation_context(conv))


@bp.post("/messages/<int:conversation_id>")
@login_required
def send_from_form(conversation_id: int) -> tuple[str, int] | Response:
    """The composer without JavaScript: send, or show the page again with what was typed."""
    conv = service.access_conversation(current_user, conversation_id)
    form = MessageForm()

    def page() -> str:
        return render_template("messaging/conversation.html", **_conversation_context(conv, form))

    on_refusal(reshow_form(page))
    if not form.validate_on_submit():
        return page(), 422
    service.do_send_message(
        current_user, conv.id, client_id=form.client_id.data, body=form.body.data
    )
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.get("/messages/new")
@login_required
def new_message() -> str:
    """The people of the building one may write to."""
    return render_template(
        "messaging/new.html", neighbours=_neighbours(), confirm_form=ConfirmForm()
    )


@bp.post("/messages/with/<int:person_id>")
@login_required
def start_direct(person_id: int) -> Response:
    """Open (or create) the one-to-one conversation with someone."""
    require_confirm_form()
    conv = service.get_or_create_direct(current_user, person_id)
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.get("/messages/desk")
@login_required
def desk() -> Response:
    """The resident's conversation with the concierge desk."""
    if not current_user.is_resident:
        abort(404)
    conv = service.get_or_create_desk(current_user)
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.route("/messages/groups/new", methods=["GET", "POST"])
@login_required
def new_group() -> str | tuple[str, int] | Response:
    """The form of a new group: its name and who is in it."""
    form = GroupForm()
    neighbours = _neighbours()
    form.members.choices = [(p.id, p.full_name) for p in neighbours]

    def page() -> str:
        return render_template("messaging/group_new.html", form=form)

    if request.method == "GET":
        return page()
    on_refusal(reshow_form(page))
    if not form.validate_on_submit():
        return page(), 422
    conv = service.do_create_group(current_user, form.title.data or "", form.members.data)
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.route("/messages/<int:conversation_id>/leave", methods=["GET", "POST"])
@login_required
def leave(conversation_id: int) -> str | Response:
    """Leave a group, after the plain confirmation ("Leave the group?")."""
    conv = service.access_conversation(current_user, conversation_id)
    if request.method == "GET":
        back = url_for("messaging.conversation", conversation_id=conv.id)
        if conv.kind != ConversationKind.GROUP:
            return redirect(back)
        return confirm_page(
            question=_(
                "Leave the group %(name)s?", name=service.conversation_title(current_user, conv)
            ),
            consequence=_("You will no longer get its messages. You cannot come back on your own."),
            yes=_("Yes, leave the group"),
            no=_("No, stay in the group"),
            action=url_for("messaging.leave", conversation_id=conv.id),
            back=back,
            pictogram="log-out",
        )
    require_confirm_form()
    on_refusal(url_for("messaging.conversation", conversation_id=conv.id))
    service.do_leave(current_user, conv)
    flash(_("You have left the group."), "success")
    return redirect(url_for("messaging.inbox"))


@bp.get("/messages/<int:conversation_id>/block")
@login_required
def block_confirm(conversation_id: int) -> str | Response:
    """Ask first ("Block Gabriel?") from the one-to-one conversation; nothing changes yet."""
    conv = service.access_conversation(current_user, conversation_id)
    back = url_for("messaging.conversation", conversation_id=conv.id)
    partner_id = service.direct_partner_id(conv, current_user.id)
    partner = people.get_person(partner_id) if partner_id else None
    if partner is None or partner.is_staff or service.has_blocked(current_user, partner.id):
        return redirect(back)
    return confirm_page(
        question=_("Block %(name)s?", name=partner.first_name),
        consequence=_(
            "%(name)s can no longer write to you, and you cannot write to them. "
            "You can unblock them later on this page.",
            name=partner.first_name,
        ),
        yes=_("Yes, block %(name)s", name=partner.first_name),
        no=_("No, go back"),
        action=url_for("messaging.block", person_id=partner.id),
        back=back,
        pictogram="ban",
    )


@bp.post("/messages/block/<int:person_id>")
@login_required
def block(person_id: int) -> Response:
    """Block someone, or let them write again (undo)."""
    require_confirm_form()
    target = service.get_or_create_direct(current_user, person_id)
    on_refusal(url_for("messaging.conversation", conversation_id=target.id))
    if request.form.get("undo"):
        service.do_unblock(current_user, person_id)
        flash(_("This person can write to you again."), "success")
    else:
        service.do_block(current_user, person_id)
        flash(_("This person can no longer write to you."), "success")
    return redirect(url_for("messaging.conversation", conversation_id=target.id))


@bp.post("/messages/report/<bigid:message_id>")
@login_required
def report(message_id: int) -> Response:
    """Report a message to the coordinator."""
    require_confirm_form()
    on_refusal(url_for("messaging.inbox"))
    reported = service.do_report(current_user, message_id, request.form.get("reason", ""))
    if wants_json():
        return jsonify({"ok": True, "message": _("Thank you. The coordinator will look at it.")})
    flash(_("Thank you. The coordinator will look at it."), "success")
    return redirect(
        url_for("messaging.conversation", conversation_id=reported.message.conversation_id)
    )


@bp.get("/messages/search")
@login_required
def search_page() -> str:
    """Messages containing some words, in the person's conversations."""
    query = request.args.get("q", "")
    results = service.search(current_user, query)
    titles = service.conversation_titles(current_user, (m.conversation for m in results))
    return render_template("messaging/search.html", query=query, results=results, titles=titles)


@bp.get("/messages/reports")
@login_required
def reports() -> str:
    """The coordinator's list of reported messages."""
    if current_user.role not in (Role.COORDINATOR, Role.MANAGER):
        abort(404)
    return render_template(
        "messaging/reports.html",
        reports=service.list_open_reports(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.post("/messages/reports/<bigid:message_id>/<action>")
@login_required
def moderate(message_id: int, action: str) -> Response:
    """Hide a reported message, or close its reports."""
    if not ConfirmForm().validate_on_submit() or action not in {"hide", "dismiss"}:
        abort(400)
    # Someone who may not moderate this message is told it does not exist.
    on_refusal(lambda _error: render_error(404))
    if action == "hide":
        service.do_hide_message(current_user, message_id)
        flash(_("The message is hidden for everyone."), "success")
    else:
        service.do_dismiss_reports(current_user, message_id)
        flash(_("The report is closed; the message stays."), "success")
    return redirect(url_for("messaging.reports"))


@bp.get("/media/<int:attachment_id>")
@login_required
def media(attachment_id: int) -> Response:
    """A photo or recording, to those who may see it."""
    attachment = service.access_attachment(current_user, attachment_id)
    name = attachment.file_name
    if request.args.get("size") == "thumb" and attachment.thumb_name:
        name = attachment.thumb_name
    response = send_file(uploads.path_of(name), mimetype=attachment.mime_type, max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# JSON -----------------------------------------------------------------------------------


@bp.get("/api/messaging/conversations")
@login_required
def api_conversations() -> Response:
    """The inbox as JSON."""
    limit = None if _wants_every_conversation() else service.INBOX_LIMIT
    summaries = service.list_conversations(current_user, limit=limit)
    return jsonify(
        {
            "ok": True,
            "conversations": [service.summary_payload(s) for s in summaries],
            "unread_total": sum(s.unread for s in summaries),
        }
    )


@bp.get("/api/messaging/conversations/<int:conversation_id>/messages")
@login_required
def api_messages(conversation_id: int) -> Response:
    """A page of a conversation's messages: the latest, older or newer ones."""
    conv = service.access_conversation(current_user, conversation_id)
    # 0 or a message id; anything else (huge, negative, text) is a bad request.
    before_id, after_id = query_cursor("before"), query_cursor("after")
    messages = service.list_messages(current_user, conv, before_id=before_id, after_id=after_id)
    return jsonify(
        {
            "ok": True,
            "messages": [service.message_payload(m) for m in messages],
            "reactions": {
                str(k): v for k, v in service.reaction_counts([m.id for m in messages]).items()
            },
            "read_states": service.read_states(conv),
            "has_more": len(messages) == service.PAGE_SIZE and after_id is None,
        }
    )


@bp.post("/api/messaging/conversations/<int:conversation_id>/messages")
@login_required
def api_send(conversation_id: int) -> Response | tuple[Response, int]:
    """Send a message over HTTP (the same send as the socket event)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The request could not be understood."))
    result = service.do_send_message(
        current_user,
        conversation_id,
        client_id=data.get("client_id"),
        kind=str(data.get("kind") or "text"),
        body=data.get("body", ""),
        attachment_id=data.get("attachment_id"),
    )
    body = {"ok": True, "message": result.payload, "duplicate": not result.created}
    return jsonify(body), 201 if result.created else 200


@bp.post("/api/messaging/uploads")
@login_required
def api_upload() -> Response | tuple[Response, int]:
    """Upload a photo or recording, to be sent in a message afterwards."""
    file = request.files.get("file")
    kind = request.form.get("kind", "")
    if file is None:
        raise BadRequest(_("No file was sent."), "empty")
    attachment = service.do_save_upload(
        current_user, kind, file.read(), request.form.get("duration_ms")
    )
    return jsonify({"ok": True, "attachment": service.attachment_payload(attachment)}), 201


@bp.get("/api/messaging/unread")
@login_required
def api_unread() -> Response:
    """The unread count of the Messages tile."""
    return jsonify({"ok": True, "count": service.total_unread(current_user)})


@bp.get("/api/messaging/search")
@login_required
def api_search() -> Response:
    """Search results as JSON."""
    results = service.search(current_user, request.args.get("q", ""))
    return jsonify({"ok": True, "messages": [service.message_payload(m) for m in results]})
