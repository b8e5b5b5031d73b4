"""SVG snapshots of the screens people see first: home, a run with its graph, the export dialog.

The run is a replay of a recorded sandbox journal: moto invents new IDs on every run, a recording
keeps the picture stable. Update with `pytest tests/tui --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_pilot import SIZE, ready, wait_for

from tui.screens.export import ExportScreen
from tui.screens.run import RunScreen

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]

RECORDED_RUN = Path(__file__).parent / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"


def test_home(snap_compare, make_app) -> None:
    async def before(pilot) -> None:
        await ready(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=before)


@pytest.mark.parametrize("size", [(80, 24), SIZE, (200, 50)], ids=["80x24", "120x40", "200x50"])
def test_run_reflows(snap_compare, make_app, size) -> None:
    """80x24: panes stacked, the path one line; 120x40 and 200x50: side by side, the graph open below with
    its blocking row in view."""
    async def before(pilot) -> None:
        await ready(pilot)
        await pilot.app.push_screen(RunScreen.replay(RECORDED_RUN))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=before)


def test_run_reading_the_fix_at_80x24(snap_compare, make_app) -> None:
    """Tab twice: the detail pane has the focus and the room; the primary fix is readable, wrapped."""
    async def before(pilot) -> None:
        await ready(pilot)
        await pilot.app.push_screen(RunScreen.replay(RECORDED_RUN))
        await pilot.pause()
        await pilot.press("tab", "tab", "end")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


def test_export_dialog(snap_compare, make_app) -> None:
    async def before(pilot) -> None:
        await ready(pilot)
        await pilot.app.push_screen(RunScreen.replay(RECORDED_RUN))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen), what="the export dialog")
        pilot.app.screen.query_one("#path", Input).value = "/tmp/incident-4711.md"
        status = pilot.app.screen.query_one("#export-status")
        status.update("Exports folder: /home/oncall/.local/share/awstriage/exports")  # the same on every machine
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)
