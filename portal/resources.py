"""Where the portal reads its translations, migrations and front-end files, and keeps its data.

Run from a source checkout, they are the checkout's own top-level folders (`translations/`,
`migrations/`, `node_modules/`, `var/`). Installed from a wheel, the build (setup.py) has
copied the first three into the package under `_bundle/`, and data goes to `BV_DATA_DIR`,
else to `var/` in the current directory. Standard library only: setup.py reads this file
without importing the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
BUNDLE_DIR = PACKAGE_DIR / "_bundle"

# What the portal reads at run time from each npm package of package.json's "dependencies":
# glob patterns under node_modules/<package>/. The build ships these files in the wheel and
# refuses a dependency missing here (devDependencies, such as axe-core, serve tests only).
NODE_MODULES_FILES: dict[str, tuple[str, ...]] = {
    "socket.io-client": ("dist/socket.io.min.js",),
    "chart.js": ("dist/chart.umd.min.js",),
    "lucide-static": ("icons/*.svg", "LICENSE"),  # pictograms drawn inline (portal/icons.py)
}

# Front-end files from npm that the portal serves itself (`/vendor/...`, portal/home/routes.py).
VENDOR_FILES = frozenset(
    {"socket.io-client/dist/socket.io.min.js", "chart.js/dist/chart.umd.min.js"}
)

# What the build copies from the checkout into the package (folder under _bundle/).
BUNDLED = ("translations", "migrations", "node_modules")


def in_checkout() -> bool:
    """True when the code runs from a source checkout (an editable install included)."""
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (
        CHECKOUT_DIR / "migrations" / "env.py"
    ).is_file()


def resource_dir(name: str) -> Path:
    """The checkout's top-level folder `name`, or its copy inside the installed package."""
    if name not in BUNDLED:
        raise ValueError(f"not a bundled resource: {name!r}")
    return CHECKOUT_DIR / name if in_checkout() else BUNDLE_DIR / name


def node_modules_files(root: Path, dependencies: list[str]) -> list[Path]:
    """The files of these npm packages (under root/node_modules) the portal reads at run time.

    Raises LookupError for a package not in NODE_MODULES_FILES, or one whose files are missing.
    """
    found: set[Path] = set()
    for package in dependencies:
        if package not in NODE_MODULES_FILES:
            raise LookupError(f"say in portal/resources.py which files of {package} to ship")
        for pattern in NODE_MODULES_FILES[package]:
            matches = [p for p in (root / "node_modules" / package).glob(pattern) if p.is_file()]
            if not matches:
                raise LookupError(f"node_modules/{package}/{pattern}: run `npm ci` (make assets)")
            found.update(matches)
    return sorted(found)


def default_data_dir(cwd: Path) -> Path:
    """The checkout's var/ in development; var/ in the current directory when installed."""
    return CHECKOUT_DIR / "var" if in_checkout() else cwd / "var"
