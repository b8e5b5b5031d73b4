"""The export dialog with the keyboard alone: focus on the format, arrows choose it, the extension
follows, the path is not selected (a stray key cannot wipe it), files go to the exports folder under
the data directory, and the dialog says where the file went."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, RadioSet
from tui_pilot import ready, wait_for

from tui.screens.export import ExportScreen, exports_dir
from tui.screens.run import RunScreen

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]

RECORDED = Path(__file__).parent / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def open_dialog(pilot) -> ExportScreen:
    await ready(pilot)
    await pilot.app.push_screen(RunScreen.replay(RECORDED))
    await pilot.pause()
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen), what="the export dialog")
    await pilot.pause()
    return pilot.app.screen


async def test_arrows_choose_the_format_and_the_extension_follows(make_app, data_dir) -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        assert dialog.focused is dialog.query_one("#format", RadioSet), "the format has the focus"
        path = dialog.query_one("#path", Input)
        assert Path(path.value).parent == data_dir / "exports" == exports_dir()
        assert path.value.endswith(".md")
        await pilot.press("down")
        assert dialog.fmt == "json" and path.value.endswith(".json")
        assert dialog.query_one("#format", RadioSet).pressed_button.name == "json"
        await pilot.press("down")
        assert dialog.fmt == "html" and path.value.endswith(".html")
        await pilot.press("down")
        assert dialog.fmt == "html", "the ends stop: down on HTML stays on HTML"
        await pilot.press("up", "up", "up")
        assert dialog.fmt == "markdown", "up on Markdown stays on Markdown (no wrap to HTML)"


async def test_help_keys_work_inside_the_export_dialog(make_app, data_dir) -> None:
    from tui.screens.help import KeysScreen, WidgetHelpScreen

    async with make_app().run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, KeysScreen)
        await pilot.press("escape")
        assert pilot.app.screen is dialog
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, WidgetHelpScreen)


async def test_the_path_is_not_selected_so_a_stray_key_cannot_wipe_it(make_app, data_dir) -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        path = dialog.query_one("#path", Input)
        before = path.value
        await pilot.press("tab")
        assert dialog.focused is path and path.selection.is_empty
        await pilot.press("x")
        assert path.value.startswith(before[:-3]) and len(path.value) == len(before) + 1


async def test_enter_saves_to_the_exports_folder_and_says_where(make_app, data_dir) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen), what="the dialog to close")
        written = dialog.saved
        assert written is not None and written.parent == (data_dir / "exports").resolve()
        assert written.suffix == ".html" and written.read_text().startswith("<!DOCTYPE html>")
        assert any(str(written) in str(n.message) for n in app._notifications), "the app says where the file went"


async def test_a_path_that_cannot_be_written_is_a_sentence(make_app, data_dir, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    async with make_app().run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#path", Input).value = str(blocker / "out.md")
        await pilot.press("ctrl+s")
        assert isinstance(pilot.app.screen, ExportScreen) and dialog.saved is None
        assert "Could not save" in str(dialog.query_one("#export-status").content)


async def test_a_path_typed_with_another_formats_extension_chooses_that_format(make_app, data_dir, tmp_path) -> None:
    """`incident.html` typed over the Markdown default saves a page, not Markdown under an .html name."""
    async with make_app().run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        await pilot.press("tab")
        path = dialog.query_one("#path", Input)
        path.value = str(tmp_path / "incident.html")
        await pilot.pause()
        assert dialog.fmt == "html" and dialog.query_one("#format", RadioSet).pressed_button.name == "html"
        assert path.value == str(tmp_path / "incident.html"), "the typed name is kept"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: dialog.saved is not None, what="the save")
        assert dialog.saved.read_text().startswith("<!DOCTYPE html>")
