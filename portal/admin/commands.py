"""Operator commands for going live: `flask org create`, `flask staff set-password`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.admin import setup
from portal.auth import links
from portal.auth import service as auth
from portal.errors import DomainError
from portal.people import service as people
from portal.transaction import owns_transaction

org_cli = AppGroup("org", help="The landlord's organisation.")
staff_cli = AppGroup("staff", help="Staff accounts.")


def _base_url() -> str:
    base = current_app.config.get("PORTAL_BASE_URL")
    if not base:
        raise click.ClickException(
            "Set BV_BASE_URL to the portal's public address (e.g. https://portal.example.org): "
            "the links mailed and printed are built from it."
        )
    return str(base)


@org_cli.command("create")
@click.argument("name")
@click.option("--manager-email", required=True, help="The first manager's email address.")
def org_create(name: str, manager_email: str) -> None:
    """Create the landlord's organisation and its first manager; print the manager's
    one-time link (48 hours) to choose a password."""
    base = _base_url()

    @owns_transaction
    def create() -> str:
        _org, _manager, token = setup.do_create_organisation(name, manager_email)
        return token

    with current_app.test_request_context(base_url=base):
        try:
            token = create()
        except DomainError as error:
            raise click.ClickException(error.message) from None
        url = links.link_url(token)
    click.echo(f"Organisation {name!r} created.")
    click.echo(f"The first manager ({manager_email}) sets a password here, within 48 hours:")
    click.echo(url)


@staff_cli.command("set-password")
@click.argument("email")
@click.password_option("--password", prompt="New password", help="Asked for when not given.")
def staff_set_password(email: str, password: str) -> None:
    """Set a staff member's password (12 characters at least) and end their sessions."""

    @owns_transaction
    def save() -> None:
        person = people.find_staff_by_email(email)
        if person is None:
            raise click.ClickException(f"No staff account has the email {email}.")
        auth.do_set_password(person, password)
        auth.do_end_sessions(person)

    try:
        save()
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Password set for {email}; their other sessions are ended.")


COMMANDS = (org_cli, staff_cli)
