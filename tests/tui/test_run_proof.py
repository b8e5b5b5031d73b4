"""A finding's proof on the run screen: the series as a sparkline with min, max, last and its limit, the log
lines that show it. Replays of recorded sandbox runs (lambda-timeout, slow-t3-credits-exhausted): stable
pictures, no run."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from tui_pilot import plain, ready, wait_for

from diagnostics.proof import BLOCKS
from tui.screens.run import RunScreen

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]

APPS = Path(__file__).parent / "snapshot_apps"
LAMBDA_TIMEOUT = APPS / "lambda-timeout.jsonl"
T3_CREDITS = APPS / "slow-t3-credits-exhausted.jsonl"


async def open_replay(pilot, journal: Path) -> RunScreen:
    await ready(pilot)
    screen = RunScreen.replay(journal)
    await pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: pilot.app.screen is screen and screen.transcript.findings, what="the replay")
    await pilot.pause()
    return screen


async def test_choosing_the_timeout_finding_shows_its_durations_and_the_lines_before_it(make_app) -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, LAMBDA_TIMEOUT)
        index = next(i for i, f in enumerate(screen.transcript.findings) if f["code"] == "LAMBDA_TIMEOUT")
        screen._select_finding(index)
        await pilot.pause()
        detail = plain(screen.query_one("#finding-detail", Static))
        assert "Proof" in detail
        assert "REPORT lines Duration (LogGroup=/aws/lambda/partner-sync), per invocation" in detail
        spark = next(line.strip() for line in detail.splitlines() if line.strip() and set(line.strip()) <= set(BLOCKS))
        assert spark[-1] == BLOCKS[-1], "the last invocations ran into the timeout: full bars"
        assert "limit 3,000 ms (timeout)" in detail
        assert "Task timed out after 3.00 seconds" in detail
        assert "calling https://api.partner.example.com/v2/orders/sync" in detail, "the line before the timeout"


async def test_a_finding_without_proof_shows_no_proof_heading(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot, APPS / "ssh-nacl-return-traffic.jsonl")
        assert "Proof" not in plain(screen.query_one("#finding-detail", Static))


def test_the_credit_balance_sparkline_at_80x24(snap_compare, make_app) -> None:
    """The t3 story points at CPUCreditBalance and CPUUtilization: both drawn, each with its limit, inside 80
    columns (Tab twice: the detail pane has the room; a page down brings the proof under the fix)."""
    async def before(pilot) -> None:
        await open_replay(pilot, T3_CREDITS)
        await pilot.press("tab", "tab", "pagedown")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


def test_the_timeout_log_lines_at_120x40(snap_compare, make_app) -> None:
    """The detail pane scrolled a little: the durations against the timeout and the lines that time out."""
    async def before(pilot) -> None:
        await open_replay(pilot, LAMBDA_TIMEOUT)
        await pilot.press("tab", "tab", *["down"] * 14)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=before)
