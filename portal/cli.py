"""Command-line groups: translate, scheduler, demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.config import PROJECT_ROOT
from portal.easyread import EASY_DOMAIN
from portal.transaction import owns_transaction

translate = AppGroup("translate", help="Extract, update and compile the translations.")
scheduler_cli = AppGroup("scheduler", help="Run the job scheduler.")
demo = AppGroup("demo", help="Demo data.")

POT_FILE = PROJECT_ROOT / "translations" / "messages.pot"
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
TRANSLATIONS = PROJECT_ROOT / "translations"
SOURCE_DIRS = ["portal", "messaging", "activities", "concierge"]


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    subprocess.run(command, check=True, cwd=PROJECT_ROOT)


def extract_messages(output: Path = POT_FILE) -> None:
    """Write the message template from the sources."""
    dirs = [d for d in SOURCE_DIRS if (PROJECT_ROOT / d).is_dir()]
    options = ["-F", str(BABEL_CFG), "-k", "_l", "--no-location", "--sort-output"]
    project = ["--project", "Bon Voisin", "--copyright-holder", "Bon Voisin"]
    _pybabel("extract", *options, *project, "-o", str(output), *dirs)


@translate.command("extract")
def extract_command() -> None:
    """Write translations/messages.pot from the sources."""
    extract_messages()


SOURCE_LOCALE = "en"  # msgids are written in English


def fill_source_catalogue(locale: str = SOURCE_LOCALE) -> int:
    """In the source language's catalogue, an untranslated entry reads as its msgid."""
    from babel.messages.pofile import read_po, write_po

    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, omit_header=False)
    return filled


@translate.command("update")
def update_command() -> None:
    """Extract, merge new strings into every catalogue, and fill the English one."""
    extract_messages()
    _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")
    click.echo(f"{fill_source_catalogue()} English entries filled from the source.")


@translate.command("compile")
def compile_command() -> None:
    """Compile every catalogue to .mo files (the standard ones and the easy-to-read ones)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
    if any(TRANSLATIONS.glob(f"*/LC_MESSAGES/{EASY_DOMAIN}.po")):
        _pybabel("compile", "-d", str(TRANSLATIONS), "-D", EASY_DOMAIN, "--statistics")


@translate.command("easy-update")
def easy_update_command() -> None:
    """Add the new resident-facing strings to every easy.po (empty), drop those gone."""
    from portal import easyread

    for locale, count in easyread.update_catalogues(TRANSLATIONS).items():
        click.echo(f"{locale}: {count} easy-to-read texts to write.")


@translate.command("easy-check")
def easy_check_command() -> None:
    """List the resident-facing strings without an easy-to-read version, or breaking its rules."""
    from portal import easyread

    problems = easyread.catalogue_problems(TRANSLATIONS)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(f"{len(problems)} easy-to-read problems.")
    click.echo("Every resident-facing string has an easy-to-read version.")


@translate.command("init")
@click.argument("lang")
def init_command(lang: str) -> None:
    """Start a catalogue for a new language."""
    extract_messages()
    _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "-l", lang)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler alone; it stands for election with the web workers (BV_SCHEDULER=1)."""
    from portal import logs, scheduler

    logs.configure(current_app.config["LOG_JSON"])
    scheduler.run_standalone(current_app._get_current_object())  # type: ignore[attr-defined]


@demo.command("load")
def demo_load() -> None:
    """Load (or refresh) the demo building, then print how to log in."""
    from portal import demo as demo_data

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("The demo building is not loaded in production.")
    # The command owns its transaction, as a request does: the cards it prints are saved.
    summary = owns_transaction(demo_data.load_demo)()
    click.echo(demo_data.format_logins(summary))


def init_app(app: Flask) -> None:
    from portal.admin.commands import COMMANDS

    for group in (translate, scheduler_cli, demo, *COMMANDS):
        app.cli.add_command(group)
