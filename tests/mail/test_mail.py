"""Mail leaves over real SMTP, only once the transaction that made it commits."""

from __future__ import annotations

import logging

import pytest

from portal import mail
from portal.extensions import db
from portal.transaction import owns_transaction
from tests.smtp import body_of


def test_smtp_url_gives_the_server_the_port_and_the_security():
    settings = mail.smtp_settings("smtp://ann%40x.fr:s%3Dcret@mail.example:587?starttls=yes")
    assert settings["MAIL_SERVER"] == "mail.example"
    assert settings["MAIL_PORT"] == 587
    assert settings["MAIL_USERNAME"] == "ann@x.fr"
    assert settings["MAIL_PASSWORD"] == "s=cret"
    assert settings["MAIL_USE_TLS"] is True
    assert settings["MAIL_USE_SSL"] is False
    assert mail.smtp_settings("smtps://mail.example")["MAIL_PORT"] == 465


def test_a_url_that_is_not_smtp_is_refused():
    with pytest.raises(ValueError, match="BV_SMTP_URL"):
        mail.smtp_settings("http://mail.example")


def test_deliver_hands_the_mail_to_the_smtp_server(smtp_app, inbox):
    sent = mail.deliver([mail.OutgoingMail("anne@example.org", "Bonjour", "Ligne un\nLigne deux")])
    assert sent == 1
    [received] = inbox.wait_for(1)
    assert received["To"] == "anne@example.org"
    assert received["Subject"] == "Bonjour"
    assert "Ligne deux" in body_of(received)


def test_mail_sent_after_commit_leaves_only_when_the_work_commits(smtp_app, inbox):
    @owns_transaction
    def work(fail: bool) -> None:
        mail.send_after_commit(mail.OutgoingMail("bob@example.org", f"fail={fail}", "x"))
        db.session.execute(db.text("SELECT 1"))
        if fail:
            raise RuntimeError("undone")

    with pytest.raises(RuntimeError):
        work(True)
    work(False)
    [received] = inbox.wait_for(1)
    assert received["Subject"] == "fail=False"
    assert len(inbox.messages) == 1


def test_a_server_that_is_away_is_reported_and_loses_nothing_saved(app, caplog):
    from tests.live import free_port

    app.config["PORTAL_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    mail.init_app(app)
    with pytest.raises(mail.MailError):
        mail.deliver([mail.OutgoingMail("c@example.org", "s", "b")])

    @owns_transaction
    def work() -> None:
        mail.send_after_commit(mail.OutgoingMail("c@example.org", "s", "b"))

    with caplog.at_level(logging.ERROR, logger="portal.mail"):
        work()
    assert "mail to c@example.org not sent" in caplog.text


def test_tests_keep_mail_in_memory_without_a_server(app):
    mail.deliver([mail.OutgoingMail("d@example.org", "Objet", "Corps")])
    assert [m.subject for m in mail.outbox()] == ["Objet"]


def test_development_writes_mail_to_the_log(app, caplog):
    app.config.update(PORTAL_MAIL_TO_LOG=True)
    mail.init_app(app)
    with caplog.at_level(logging.INFO, logger="portal.mail"):
        mail.deliver([mail.OutgoingMail("e@example.org", "Lien", "https://x/lien")])
    assert "e@example.org" in caplog.text
    assert "https://x/lien" in caplog.text
