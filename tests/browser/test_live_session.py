"""Real time in the browser: the page's socket connects, and logging out elsewhere ends it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import NewPage, Seed, log_out, login_with_card, wait_connected

# A function, not an expression: polling an expression needs eval, which the CSP forbids.


@pytest.mark.browser
def test_logging_out_on_another_tablet_sends_this_page_back_to_login(
    new_page: NewPage, seed: Seed
) -> None:
    marcel = seed.residents["marcel"]
    living_room = new_page()
    login_with_card(living_room, marcel)
    wait_connected(living_room, timeout=5_000)

    bedroom = new_page()
    login_with_card(bedroom, marcel)
    wait_connected(bedroom, timeout=5_000)
    log_out(bedroom)

    living_room.wait_for_url("**/login", timeout=5_000)
    # The session is really over there too: home leads back to the login page.
    living_room.goto("/")
    living_room.wait_for_url("**/login")
