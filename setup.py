"""Build hook: a wheel carries what the portal reads at run time from outside its packages.

pyproject.toml holds the metadata. Building a wheel (`pip install .`, `pip wheel .`,
`make wheel`) copies into `portal/_bundle/`: the migrations, the translations compiled to
.mo files (from the .po sources, with Babel), and the front-end files the portal reads
from node_modules (`npm ci` first: `make assets`). portal/resources.py finds them there
when the package is installed, and in the checkout's own folders otherwise. An editable
install (`pip install -e .`) copies nothing: it reads the checkout.
"""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = runpy.run_path(str(ROOT / "portal" / "resources.py"))
MIGRATION_FILES = ("alembic.ini", "env.py", "script.py.mako", "README", "versions/*.py")


class BuildError(RuntimeError):
    """The checkout lacks something the installed portal needs."""


def compile_translations(target: Path) -> list[Path]:
    """Compile every translations/<lang>/LC_MESSAGES/*.po (standard, easy-to-read) to .mo files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted((ROOT / "translations").glob("*/LC_MESSAGES/*.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        mo_path = target / "translations" / po_path.relative_to(ROOT / "translations")
        mo_path = mo_path.with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)  # as `pybabel compile` does
        written.append(mo_path)
    if not written:
        raise BuildError("no translations/*/LC_MESSAGES/messages.po to compile")
    return written


def copy_files(sources: list[Path], source_root: Path, target: Path) -> list[Path]:
    """Copy files, keeping their path under source_root."""
    written = []
    for source in sources:
        destination = target / source.relative_to(source_root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
    return written


def bundle(target: Path) -> list[Path]:
    """Write portal/_bundle/ under target: translations, migrations, front-end files."""
    if target.exists():
        shutil.rmtree(target)
    written = compile_translations(target)
    migrations = ROOT / "migrations"
    sources = sorted({p for pattern in MIGRATION_FILES for p in migrations.glob(pattern)})
    written += copy_files(sources, ROOT, target)
    dependencies = list(json.loads((ROOT / "package.json").read_text())["dependencies"])
    try:
        front_end = RESOURCES["node_modules_files"](ROOT, dependencies)
    except LookupError as error:
        raise BuildError(str(error)) from error
    written += copy_files(front_end, ROOT, target)
    return written


class BuildWithBundle(build_py):
    """build_py, then the bundle beside the packages (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "portal" / "_bundle"
        self._bundled = [str(path) for path in bundle(target)]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_bundled", [])]


setup(cmdclass={"build_py": BuildWithBundle})
