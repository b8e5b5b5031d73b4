"""Triage: the first five minutes. Alarms firing with the playbook each suggests (Enter opens it with the
suggested parameters filled in), AWS Health events and the account's recent changes; the run is journaled like
any playbook's.

Everything is drawn to be read at 80x24: rows wrap instead of being cut, the selected alarm's full details show
under the list, and each change is a short block (time, who, what on what) rather than a table row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static

from diagnostics.errors import explain_error
from playbooks.timeline import CORRELATION
from playbooks.transcript import Transcript
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar

# CloudTrail names some events with the API version they were made with (Lambda's PutFunctionConcurrency20171031,
# UpdateFunctionConfiguration20150331v2): the action is the name without it.
_API_VERSION = re.compile(r"(?<=[A-Za-z])\d{8}(v\d+)?$")


def change_name(event: str) -> str:
    return _API_VERSION.sub("", event)


def plain_status(status: str) -> str:
    """``no_data`` and friends as words (the run screen's words)."""
    from tui.screens.run import STATUS_WORDS

    return STATUS_WORDS.get(status, status.replace("_", " "))


@dataclass
class TriageDone(Message):
    transcript: Transcript | None
    journal_path: Path | None = None
    problem: str | None = None


def _reason(detail: str) -> str:
    return detail.removeprefix("Not run: ").strip().rstrip(".")


def triage_headline(t: Transcript) -> Text:
    """The headline from what was read: the alarms firing, or why they could not be read; never a step's question
    worn as a verdict, and never "nothing is firing" when nothing was read."""
    alarms = t.overview.get("alarms") or []
    step = t.step("alarms")
    if alarms:
        names = ", ".join(str(a.get("name")) for a in alarms[:4]) + (" …" if len(alarms) > 4 else "")
        count = len(alarms)
        return Text(f"{count} alarm{'' if count == 1 else 's'} firing: {names}", style="bold red")
    if step is None or step.status not in ("ok",):
        why = _reason(step.detail) if step and step.detail else "the run stopped before reading them"
        return Text(f"Could not read the alarms: {why}.", style="bold yellow")
    return Text("Nothing is firing: no CloudWatch alarm is in ALARM.", style="bold green")


def unread_lines(t: Transcript) -> list[Text]:
    """What could not be read, each reason once (without credentials every step has the same 40 words), as
    sentences, not "could not decide: 'Who am I?' (error)"."""
    alarms = t.step("alarms")
    said = {_reason(alarms.detail)} if alarms and alarms.status != "ok" and alarms.detail else set()
    same: list[str] = []
    out: list[Text] = []
    for s in t.steps:
        if s.status not in ("error", "no_data", "skipped") or not s.detail or s.id == "alarms":
            continue
        reason = _reason(s.detail)
        if reason in said:
            same.append(s.title)
            continue
        said.add(reason)
        out.append(Text.assemble((f"{s.title} ", "bold"), (f"({plain_status(s.status)}): ", "dim"), reason + "."))
    if same:
        out.insert(0, Text.assemble(("Not read either, for the same reason: ", "dim"), "; ".join(same)))
    return out


def suggestion_label(alarm: dict[str, Any], suggestion: dict[str, Any] | None) -> Text:
    """Two short lines that wrap: the alarm and since when, then what Enter opens."""
    label = Text.assemble((str(alarm.get("name", "")), "bold"), (f"  since {alarm.get('since', '?')}", "dim"))
    if suggestion:
        params = ", ".join(f"{k}={v}" for k, v in (suggestion.get("params") or {}).items())
        label.append(f"\n  → {suggestion.get('playbook')}" + (f" on {params}" if params else ""), "cyan")
    else:
        label.append("\n  no playbook fits this alarm", "dim")
    return label


def alarm_details(alarm: dict[str, Any], suggestion: dict[str, Any] | None) -> Group:
    dims = ", ".join(f"{k}={v}" for k, v in (alarm.get("dimensions") or {}).items())
    parts: list[Any] = [
        Text.assemble(("Alarm ", "dim"), (str(alarm.get("name")), "bold")),
        Text.assemble(("In ALARM since ", "dim"), str(alarm.get("since", "?")), (" (UTC)", "dim")),
        Text.assemble(("Metric ", "dim"), f"{alarm.get('namespace')} {alarm.get('metric')}",
                      (f"  ({dims})" if dims else "", "dim")),
    ]
    if alarm.get("reason"):
        parts.append(Text.assemble(("Why ", "dim"), str(alarm["reason"])))
    if suggestion:
        parts.append(Text.assemble(("Suggested ", "dim"), (str(suggestion.get("playbook")), "bold cyan"),
                                   ": " + str(suggestion.get("why", ""))))
        if suggestion.get("note"):
            parts.append(Text(f"Note: {suggestion['note']}", style="yellow"))
        parts.append(Text(f"Command line: {suggestion.get('command')}", style="dim"))
    return Group(*parts)


def changes_view(t: Transcript) -> Group | None:
    """Each change as a short block that wraps: when, what on what, who (the whole ARN), the parameters."""
    if not t.changes:
        return None
    parts: list[Any] = [Text("What changed (oldest first, UTC)", style="bold")]
    for c in t.changes:
        suspect = bool(c.get("suspect"))
        parts.append(Text.assemble(("▶ " if suspect else "  ", "bold red"), (str(c.get("at")), "bold" if suspect
                                                                             else ""), "  ",
                                   (change_name(str(c.get("event"))), "bold"),
                                   (f" on {c['resource']}" if c.get("resource") else "", "")))
        who = str(c.get("principal", "?")) + (f" (session {c['session_name']})" if c.get("session_name") else "")
        parts.append(Text.assemble("    by ", (who, "cyan"), (f" via {c['agent']}" if c.get("agent") else "", "dim")))
        params = ", ".join(f"{k}={v}" for k, v in (c.get("params") or {}).items())
        if params:
            parts.append(Text(f"    {params}", style="dim"))
        if suspect:
            parts.append(Text(f"    {CORRELATION}", style="yellow"))
    return Group(*parts)


def health_view(t: Transcript) -> Group | None:
    events = t.overview.get("health") or []
    if not events:
        return None
    return Group(Text("AWS Health events", style="bold"), *[
        Text(f"  {e.get('service')} {e.get('type')} ({e.get('category')}) in {e.get('region')}, "
             f"{e.get('status')} since {e.get('start')}") for e in events])


class TriageScreen(Screen[None]):
    HELP = """\
## Triage

The first five minutes: the alarms in ALARM, each with the playbook to run on what it watches
(`Enter` opens that playbook with the suggested parameters filled in; `ctrl+r` there runs it), open
AWS Health events, and the account's latest changes. The selected alarm's details show under the
list. `r` reads everything again; `Escape` goes back.
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
            yield Label("Alarms in ALARM: Enter opens the suggested playbook", classes="heading")
            yield FilterList([], id="suggestions")
            yield Static("", id="alarm-detail")
            yield Static("", id="alarm-others")
            yield Static("", id="triage-health")
            yield Static("", id="triage-changes")
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

    def _alarms(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """The list's rows, in the order of the suggestions (an item's id is its suggestion's index)."""
        if self.transcript is None:
            return []
        overview = self.transcript.overview
        alarms = {a.get("name"): a for a in overview.get("alarms") or []}
        return [(alarms.get(s.get("alarm")) or {"name": s.get("alarm")}, s) for s in overview.get("suggestions") or []]

    def _unsuggested(self) -> list[dict[str, Any]]:
        if self.transcript is None:
            return []
        named = {s.get("alarm") for s in self.transcript.overview.get("suggestions") or []}
        return [a for a in self.transcript.overview.get("alarms") or [] if a.get("name") not in named]

    def on_triage_done(self, message: TriageDone) -> None:
        status = self.query_one("#triage-status", Static)
        if message.transcript is None:
            status.update(Text(f"Could not read the account: {message.problem}", style="red"))
            return
        self.transcript = t = message.transcript
        status.update(Group(triage_headline(t), *unread_lines(t)))
        alarms = self._alarms()
        self.query_one("#suggestions", FilterList).set_items(
            [Item(str(i), suggestion_label(a, s), f"{a.get('name')} {s.get('playbook') if s else ''}".lower())
             for i, (a, s) in enumerate(alarms)])
        self.query_one("#suggestions").display = bool(alarms)
        others = self._unsuggested()
        self.query_one("#alarm-others", Static).update(Group(*[
            Text.assemble(("Also firing, no playbook fits: ", "dim"), (str(a.get("name")), "bold"),
                          f" since {a.get('since')} ({a.get('namespace')} {a.get('metric')})") for a in others]))
        self._show_alarm(0)
        health, changes = health_view(t), changes_view(t)
        self.query_one("#triage-health", Static).update(health or "")
        self.query_one("#triage-changes", Static).update(changes or "")

    def _show_alarm(self, index: int) -> None:
        alarms = self._alarms()
        detail = self.query_one("#alarm-detail", Static)
        detail.display = 0 <= index < len(alarms)
        if detail.display:
            detail.update(alarm_details(*alarms[index]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id.isdigit():
            self._show_alarm(int(event.option.id))

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        alarms = self._alarms()
        index = int(message.item_id)
        if 0 <= index < len(alarms) and alarms[index][1] is not None:
            self.open_suggestion(alarms[index][1])

    def open_suggestion(self, suggestion: dict[str, Any]) -> None:
        """Open the suggested playbook's form with the suggested parameters as values (never a run on Enter: the
        person sees what will run, then ctrl+r). In the sandbox the form stays on the overview's world, where the
        alarm's resource is, and says so before it opens."""
        from playbooks.registry import get_playbook
        from tui.screens.inputs import InputsScreen

        playbook = get_playbook(str(suggestion.get("playbook")))
        params = {str(k): str(v) for k, v in (suggestion.get("params") or {}).items()}
        filled = ", ".join(f"{k}={v}" for k, v in params.items()) or "nothing"
        if self.app.workspace.demo:
            self.notify(f"Opening {playbook.title} with {filled} filled in, in the sandbox's triage world where this "
                        "alarm fires. ctrl+r runs it there; ctrl+o loads the playbook's own scenario instead.",
                        title="In the sandbox", timeout=6)
        self.app.push_screen(InputsScreen(playbook, prefill=params))
