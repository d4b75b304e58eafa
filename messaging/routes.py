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
from portal.auth.forms import ConfirmForm
from portal.errors import DomainError
from portal.people import service as people
from portal.people.models import Role


def _or_404(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        raise


def _json_error(error: DomainError, status: int = 422) -> tuple[Response, int]:
    status = 404 if error.code == "not_found" else status
    return jsonify({"ok": False, "error": error.code, "message": error.message}), status


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
        "reaction_choices": service.REACTIONS,
        "page_size": service.PAGE_SIZE,
    }


def quick_replies() -> list[str]:
    return [_("Thank you!"), _("All right"), _("I'm coming"), _("See you soon")]


@bp.get("/messages/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> str:
    conv = _or_404(service.access_conversation, current_user, conversation_id)
    return render_template("messaging/conversation.html", **_conversation_context(conv))


@bp.post("/messages/<int:conversation_id>")
@login_required
def send_from_form(conversation_id: int) -> str | tuple[str, int] | Response:
    conv = _or_404(service.access_conversation, current_user, conversation_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.do_send_message(
                current_user, conv.id, client_id=form.client_id.data, body=form.body.data
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("messaging.conversation", conversation_id=conv.id))
    html = render_template("messaging/conversation.html", **_conversation_context(conv, form))
    return html, 422


@bp.get("/messages/new")
@login_required
def new_message() -> str:
    return render_template(
        "messaging/new.html", neighbours=_neighbours(), confirm_form=ConfirmForm()
    )


@bp.post("/messages/with/<int:person_id>")
@login_required
def start_direct(person_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    conv = _or_404(service.get_or_create_direct, current_user, person_id)
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.get("/messages/desk")
@login_required
def desk() -> Response:
    if not current_user.is_resident:
        abort(404)
    conv = service.get_or_create_desk(current_user)
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.route("/messages/groups/new", methods=["GET", "POST"])
@login_required
def new_group() -> str | tuple[str, int] | Response:
    form = GroupForm()
    neighbours = _neighbours()
    form.members.choices = [(p.id, p.full_name) for p in neighbours]
    if form.validate_on_submit():
        try:
            conv = service.do_create_group(current_user, form.title.data or "", form.members.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("messaging.conversation", conversation_id=conv.id))
    status = 422 if request.method == "POST" else 200
    return render_template("messaging/group_new.html", form=form), status


@bp.post("/messages/<int:conversation_id>/leave")
@login_required
def leave(conversation_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    conv = _or_404(service.access_conversation, current_user, conversation_id)
    try:
        service.do_leave(current_user, conv)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("messaging.conversation", conversation_id=conv.id))
    flash(_("You have left the group."), "success")
    return redirect(url_for("messaging.inbox"))


@bp.post("/messages/block/<int:person_id>")
@login_required
def block(person_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = _or_404(service.get_or_create_direct, current_user, person_id)
    try:
        if request.form.get("undo"):
            service.do_unblock(current_user, person_id)
            flash(_("This person can write to you again."), "success")
        else:
            service.do_block(current_user, person_id)
            flash(_("This person can no longer write to you."), "success")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("messaging.conversation", conversation_id=target.id))


@bp.post("/messages/report/<int:message_id>")
@login_required
def report(message_id: int) -> Response | tuple[Response, int]:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reported = service.do_report(current_user, message_id, request.form.get("reason", ""))
    except DomainError as error:
        if request.accept_mimetypes.best == "application/json":
            return _json_error(error)
        if error.code == "not_found":
            abort(404)
        flash(error.message, "error")
        return redirect(url_for("messaging.inbox"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "message": _("Thank you. The coordinator will look at it.")})
    flash(_("Thank you. The coordinator will look at it."), "success")
    return redirect(
        url_for("messaging.conversation", conversation_id=reported.message.conversation_id)
    )


@bp.get("/messages/search")
@login_required
def search_page() -> str:
    query = request.args.get("q", "")
    results = service.search(current_user, query)
    titles = service.conversation_titles(current_user, (m.conversation for m in results))
    return render_template("messaging/search.html", query=query, results=results, titles=titles)


@bp.get("/messages/reports")
@login_required
def reports() -> str:
    if current_user.role not in (Role.COORDINATOR, Role.MANAGER):
        abort(404)
    return render_template(
        "messaging/reports.html",
        reports=service.list_open_reports(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.post("/messages/reports/<int:message_id>/<action>")
@login_required
def moderate(message_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit() or action not in {"hide", "dismiss"}:
        abort(400)
    try:
        if action == "hide":
            service.do_hide_message(current_user, message_id)
            flash(_("The message is hidden for everyone."), "success")
        else:
            service.do_dismiss_reports(current_user, message_id)
            flash(_("The report is closed; the message stays."), "success")
    except DomainError as error:
        if error.code in {"not_found", "forbidden"}:
            abort(404)
        flash(error.message, "error")
    return redirect(url_for("messaging.reports"))


@bp.get("/media/<int:attachment_id>")
@login_required
def media(attachment_id: int) -> Response:
    attachment = _or_404(service.access_attachment, current_user, attachment_id)
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
    limit = None if _wants_every_conversation() else service.INBOX_LIMIT
    summaries = service.list_conversations(current_user, limit=limit)
    return jsonify(
        {
            "ok": True,
            "conversations": [service.summary_payload(s) for s in summaries],
            "unread_total": sum(s.unread for s in summaries),
        }
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        abort(400)
    return int(value)


@bp.get("/api/messaging/conversations/<int:conversation_id>/messages")
@login_required
def api_messages(conversation_id: int) -> Response | tuple[Response, int]:
    try:
        conv = service.access_conversation(current_user, conversation_id)
    except DomainError as error:
        return _json_error(error)
    messages = service.list_messages(
        current_user, conv, before_id=_int_arg("before"), after_id=_int_arg("after")
    )
    return jsonify(
        {
            "ok": True,
            "messages": [service.message_payload(m) for m in messages],
            "reactions": {
                str(k): v for k, v in service.reaction_counts([m.id for m in messages]).items()
            },
            "read_states": service.read_states(conv),
            "has_more": len(messages) == service.PAGE_SIZE and _int_arg("after") is None,
        }
    )


@bp.post("/api/messaging/conversations/<int:conversation_id>/messages")
@login_required
def api_send(conversation_id: int) -> Response | tuple[Response, int]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(
            DomainError(_("The request could not be understood."), "bad_request"), 400
        )
    try:
        result = service.do_send_message(
            current_user,
            conversation_id,
            client_id=data.get("client_id"),
            kind=str(data.get("kind") or "text"),
            body=data.get("body", ""),
            attachment_id=data.get("attachment_id"),
        )
    except DomainError as error:
        return _json_error(error)
    body = {"ok": True, "message": result.payload, "duplicate": not result.created}
    return jsonify(body), 201 if result.created else 200


@bp.post("/api/messaging/uploads")
@login_required
def api_upload() -> Response | tuple[Response, int]:
    file = request.files.get("file")
    kind = request.form.get("kind", "")
    if file is None:
        return _json_error(DomainError(_("No file was sent."), "empty"), 400)
    try:
        attachment = service.do_save_upload(
            current_user, kind, file.read(), request.form.get("duration_ms")
        )
    except DomainError as error:
        return _json_error(error)
    return jsonify({"ok": True, "attachment": service.attachment_payload(attachment)}), 201


@bp.get("/api/messaging/unread")
@login_required
def api_unread() -> Response:
    return jsonify({"ok": True, "count": service.total_unread(current_user)})


@bp.get("/api/messaging/search")
@login_required
def api_search() -> Response:
    results = service.search(current_user, request.args.get("q", ""))
    return jsonify({"ok": True, "messages": [service.message_payload(m) for m in results]})
