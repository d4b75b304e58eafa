"""Screenshots of the resident's home at the six sizes it must fit without scrolling.

Builds the demo building in a temporary SQLite file, starts the real server (`python app.py`)
on it, logs in as the demo's Jeanne (84) with the daily check-in on, and saves one PNG per
size into this folder: tablet portrait (768 x 1024) and landscape (1024 x 768), with text at
100, 150 and 200 %. Run it with `make screens` (needs Debian's chromium, as the browser tests).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.live import live_server  # noqa: E402

OUT = Path(__file__).resolve().parent
VIEWPORTS = {"portrait": (768, 1024), "landscape": (1024, 768)}
TEXT_SIZES = (100, 150, 200)


def build_demo(database_uri: str, folder: Path) -> tuple[int, str]:
    """The demo building; Jeanne enrolled in the daily check-in. Returns her id and card."""
    from portal.auth.service import do_issue_card
    from portal.demo import load_demo
    from portal.extensions import db
    from portal.factory import create_app
    from portal.wellbeing import service as wellbeing

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    with app.app_context(), app.test_request_context():
        db.create_all()
        summary = load_demo()
        jeanne = summary.showcase[0][0]
        wellbeing.do_opt_in(jeanne)
        token = do_issue_card(jeanne, issued_by=None)
        db.session.commit()
        result = jeanne.id, token
        db.session.remove()
        db.engine.dispose()
    return result


def set_text_size(database_uri: str, person_id: int, size: int) -> None:
    """Jeanne's own text size setting, written straight into the demo's database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_uri)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE people SET text_size = :size WHERE id = :id"),
            {"size": size, "id": person_id},
        )
    engine.dispose()


def shoot(out: Path, locale: str) -> list[Path]:
    """Every size's screenshot, named home-<orientation>-<size>.png."""
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uri = f"sqlite:///{folder / 'demo.sqlite3'}"
        person_id, token = build_demo(uri, folder)
        env = {"SECRET_KEY": "screenshots", "BV_UPLOAD_DIR": str(folder / "uploads")}
        with live_server(uri, folder, env) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=server.url, locale=locale)
            page = context.new_page()
            page.goto(f"/login/card/{token}")
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_url("**/")
            for size in TEXT_SIZES:
                set_text_size(uri, person_id, size)
                for name, (width, height) in VIEWPORTS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    page.goto("/")
                    page.wait_for_load_state("load")
                    path = out / f"home-{name}-{size}.png"
                    page.screenshot(path=str(path))  # the first screen only, as a person sees it
                    saved.append(path)
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument("--locale", default="fr-FR", help="the browser's language")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in shoot(args.out, args.locale):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
