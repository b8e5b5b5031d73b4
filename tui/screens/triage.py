"""Triage: the first five minutes. Alarms firing with the playbook each suggests (Enter runs it), AWS
Health events and the account's recent changes; the run is journaled like any playbook's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Markdown, Static

from diagnostics.errors import explain_error
from playbooks.timeline import timeline_markdown
from playbooks.transcript import Transcript
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar


@dataclass
class TriageDone(Message):
    transcript: Transcript | None
    journal_path: Path | None = None
    problem: str | None = None


def suggestion_label(suggestion: dict[str, Any]) -> Text:
    label = Text.assemble((str(suggestion.get("alarm", "")), "bold"), "  → ",
                          (str(suggestion.get("command", "")), "cyan"))
    if suggestion.get("note"):
        label.append(f"\n  {suggestion['note']}", "dim")
    return label


class TriageScreen(Screen[None]):
    HELP = """\
## Triage

The first five minutes: the alarms in ALARM, each with the playbook to run on what it watches
(`Enter` runs it), open AWS Health events, and the account's latest changes. `r` reads everything
again; `Escape` goes back.
"""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="triage.back"),
        Binding("r", "refresh", "Read again", id="triage.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.transcript: Transcript | None = None

    def compose(self) -> ComposeResult:
        yield IdentityBar()
        with VerticalScroll(id="triage"):
            yield Label("The first five minutes", classes="heading")
            yield Static("Reading alarms, AWS Health events and recent changes…", id="triage-status")
            yield Label("Alarms in ALARM: Enter runs the suggested playbook", classes="heading")
            yield FilterList([], id="suggestions")
            yield Markdown("", id="triage-overview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        self.query_one("#suggestions", FilterList).focus_list()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#triage-status", Static).update("Reading alarms, AWS Health events and recent changes…")
        self._read()

    @work(thread=True, exclusive=True, group="triage")
    def _read(self) -> None:
        from playbooks.registry import parse_inputs
        from playbooks.triage import TRIAGE
        from playbooks.workspace import RunHandle

        workspace = self.app.workspace
        try:
            if workspace.demo:
                from diagnostics.sandbox.overview import overview_scenario

                workspace.prepare(overview_scenario())
            handle = RunHandle()
            transcript = workspace.run(TRIAGE, parse_inputs(TRIAGE, {}), [], handle)
        except Exception as exc:  # the session could not open: a sentence, not a crash
            self.post_message(TriageDone(None, problem=explain_error(exc)))
            return
        self.post_message(TriageDone(transcript, handle.journal_path))

    def on_triage_done(self, message: TriageDone) -> None:
        status = self.query_one("#triage-status", Static)
        if message.transcript is None:
            status.update(f"[red]Could not read the account: {message.problem}[/red]")
            return
        self.transcript = message.transcript
        t = message.transcript
        lines = [t.headline]
        lines += [f"{s.title}: {s.detail}" for s in t.steps if s.status in ("error", "no_data")]
        status.update(Text("\n".join(lines)))
        suggestions = t.overview.get("suggestions") or []
        self.query_one("#suggestions", FilterList).set_items(
            [Item(str(i), suggestion_label(s), f"{s.get('alarm')} {s.get('playbook')}".lower())
             for i, s in enumerate(suggestions)])
        self.query_one("#triage-overview", Markdown).update("\n".join(timeline_markdown(t)) or "Nothing is firing.")

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        if self.transcript is None:
            return
        suggestion = (self.transcript.overview.get("suggestions") or [])[int(message.item_id)]
        self.run_suggestion(suggestion)

    def run_suggestion(self, suggestion: dict[str, Any]) -> None:
        """On an account: run the playbook on what the alarm watches. In the sandbox the overview's world is
        not the playbook's: open the playbook's inputs, which build its own broken world."""
        from playbooks.registry import get_playbook, parse_inputs

        playbook = get_playbook(str(suggestion.get("playbook")))
        if self.app.workspace.demo or suggestion.get("note"):
            from tui.screens.inputs import InputsScreen

            if self.app.workspace.demo:
                self.notify("In the sandbox each playbook runs on its own broken world: pick its scenario, then "
                            "ctrl+r.", timeout=6)
            self.app.push_screen(InputsScreen(playbook))
            return
        from tui.screens.run import RunScreen

        try:
            inputs = parse_inputs(playbook, {k: [str(v)] for k, v in (suggestion.get("params") or {}).items()})
        except ValueError as exc:
            self.notify(str(exc), title="Cannot run it as suggested", severity="error")
            return
        self.app.push_screen(RunScreen(playbook, inputs))
