"""Home: the five playbooks, recent transcripts, and (in the sandbox) where a newcomer starts."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Markdown

from playbooks.exporters import journal_summary
from playbooks.journal import recent_journals
from playbooks.registry import all_playbooks
from tui.screens.run import keep_tail
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar


def start_here_text() -> str:
    return (files("assets") / "help" / "start_here.md").read_text(encoding="utf-8")


VERDICT_STYLE = {"problem found": "red", "no problem found": "green", "incomplete": "yellow", "cancelled": "yellow",
                 "unfinished": "yellow", "unreadable": "red"}


def journal_label(path: Path) -> Text:
    """'ssh-timeout  problem found  i-0abc…  (ssh-nacl-return-traffic)' over '2026-11-27 12:04:01 UTC'."""
    when, playbook, verdict, target, scenario = journal_summary(path)
    return Text.assemble((f"{playbook:<17}", "bold"), (f"{verdict:<17}", VERDICT_STYLE.get(verdict, "")),
                         (keep_tail(target, 40) if target else "", ""),
                         "\n", (f"{when} UTC", "dim"), (f"  sandbox: {scenario}" if scenario else "", "dim"))


class HomeScreen(Screen[None]):
    HELP = """\
## Home

Pick the problem you are paged for. `Enter` opens the playbook's inputs; `/` filters the list;
`tab` moves to the recent transcripts, which reopen a past run read-only.
"""

    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False, id="home.clear_filter"),
        Binding("r", "refresh_recent", "Refresh recent", show=False, id="home.refresh"),
        Binding("c", "app.credentials", "Credentials", id="home.credentials"),
    ]

    def compose(self) -> ComposeResult:
        yield IdentityBar()
        with Horizontal(id="home"):
            with Vertical(id="home-main"):
                yield Label("What is broken?", classes="heading")
                yield FilterList(self._playbook_items(), id="playbooks")
                yield Label("Recent transcripts", classes="heading")
                yield FilterList([], id="recent")
            if self.app.workspace.demo:
                with VerticalScroll(id="start-here"):
                    yield Markdown(start_here_text())
        yield Footer()

    def _playbook_items(self) -> list[Item]:
        items = []
        for playbook in all_playbooks():
            label = Text.assemble((playbook.title, "bold"), (f"  {playbook.name}\n", "dim"),
                                  (playbook.purpose, "dim"), "\n")
            items.append(Item(playbook.name, label, f"{playbook.name} {playbook.title} {playbook.purpose}".lower()))
        return items

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        self.action_refresh_recent()
        playbooks = self.query_one("#playbooks", FilterList)
        playbooks.focus_list()
        if self.app.workspace.demo:
            # The walkthrough starts with ssh-timeout: highlight it for the newcomer.
            ids = playbooks.visible_ids()
            if "ssh-timeout" in ids:
                playbooks.option_list.highlighted = ids.index("ssh-timeout")

    def on_screen_resume(self) -> None:
        self.action_refresh_recent()

    def action_refresh_recent(self) -> None:
        paths = recent_journals(limit=15)
        self.query_one("#recent", FilterList).set_items(
            [Item(str(p), label, f"{p.name} {label.plain}".lower()) for p in paths for label in [journal_label(p)]])

    def action_clear_filter(self) -> None:
        for filter_list in self.query(FilterList):
            filter_list.clear_filter()

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        if message.list.id == "playbooks":
            self.app.action_open_playbook(message.item_id)
        else:
            from tui.screens.run import RunScreen

            self.app.push_screen(RunScreen.replay(Path(message.item_id)))
