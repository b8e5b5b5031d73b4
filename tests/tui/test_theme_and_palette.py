"""Pane borders that show in the light theme, and a palette that says what it does without credentials."""

from __future__ import annotations

import pytest
from test_run_screen import open_replay

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]


def contrast(a, b) -> float:
    return sum(abs(x - y) for x, y in zip(a.rgb, b.rgb, strict=True)) / 3


async def test_light_theme_pane_borders_are_visible_and_the_focused_one_stands_out(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        app.theme = "textual-light"
        await pilot.pause()
        findings, steps = screen.query_one("#findings"), screen.query_one("#steps")
        background = findings.styles.background if findings.styles.background.a else screen.styles.background
        unfocused = findings.styles.border_top[1]
        focused = steps.styles.border_top[1]
        assert contrast(unfocused, background) > 60, "an unfocused border reads on the light background"
        assert steps.styles.border_top[0] == "heavy" and findings.styles.border_top[0] != "heavy"
        assert focused != unfocused


async def test_without_credentials_open_the_sandbox_does_not_say_leave_this_account(sandbox, monkeypatch) -> None:
    import tui.app
    from diagnostics.session import SessionOptions
    from playbooks.workspace import Workspace

    account = Workspace(demo=False, options=SessionOptions(endpoint_url="http://127.0.0.1:9", max_attempts=1,
                                                           connect_timeout=1))
    app = tui.app.AwstriageApp(account)
    async with app.run_test(size=(80, 24)) as pilot:
        from tui_pilot import ready

        await ready(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Open the sandbox")
        assert "Leave this account" not in command.help and "No AWS account is usable here" in command.help
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Credentials and region" in titles and "Credentials" not in titles
