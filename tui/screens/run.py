"""Run: live steps, the selected step's detail and why, findings with fixes, the path graph, the call log.

The screen folds the runner's events into its own TranscriptBuilder, exactly as the journal and the
exporters do, so what is on screen, in the journal and in an export can never disagree. A replayed
journal goes through the same fold.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Static

from diagnostics.errors import explain_error
from playbooks.exporters import STATUS_MARKS, VERDICT_WORDS, summary_line
from playbooks.journal import JournalError, read_journal
from playbooks.model import Playbook
from playbooks.transcript import StepRecord, Transcript, TranscriptBuilder
from playbooks.workspace import RunHandle
from tui.messages import RunDone, RunEvent, RunFailed
from tui.widgets.call_log import CallLog
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar
from tui.widgets.path_graph import PathGraph

STATUS_STYLE = {"ok": "green", "problem": "bold red", "warning": "yellow", "no_data": "yellow", "skipped": "dim",
                "error": "red", "pending": "dim", "running": "bold cyan"}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
VERDICT_STYLE = {"problem_found": "bold red", "no_problem_found": "bold green", "incomplete": "bold yellow"}


def step_label(step: StepRecord, running_for: float | None = None) -> Text:
    mark = STATUS_MARKS.get(step.status, "?")
    style = STATUS_STYLE.get(step.status, "")
    if step.elapsed_ms is not None:
        elapsed = f"{step.elapsed_ms / 1000:.2f}s"
    elif running_for is not None:
        elapsed = f"{running_for:.1f}s"
    else:
        elapsed = ""
    return Text.assemble((f"{mark} ", style), (f"{step.title:<40.40}", style if step.status != "ok" else ""),
                         (f"{elapsed:>7}", "dim"))


def keep_tail(text: str, width: int) -> str:
    """ARNs and IDs say the most at their end (the policy's name, the rule): cut from the front."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def finding_label(finding: dict[str, Any]) -> Text:
    severity = finding.get("severity", "info")
    return Text.assemble((f"{severity:<8}", SEVERITY_STYLE.get(severity, "")), (finding.get("code", ""), "bold"),
                         "\n        ", (keep_tail(finding.get("resource", ""), 40), "dim"))


def step_detail(step: StepRecord, guided: bool) -> Group:
    parts: list[Any] = [Text.assemble((step.title, "bold"), "  ",
                                      (step.status, STATUS_STYLE.get(step.status, "")))]
    if step.detail:
        parts.append(Text(step.detail))
    elif step.status == "running":
        parts.append(Text("Asking AWS…", style="dim"))
    if guided:
        if step.why:
            parts += [Text(""), Text.assemble(("Why we check this: ", "bold magenta"), step.why)]
        if step.good:
            parts.append(Text.assemble(("What good looks like: ", "bold magenta"), step.good))
    if step.api_calls:
        calls = ", ".join(f"{c.get('service')}:{c.get('operation')}" + (f" ({c['error']})" if c.get("error") else "")
                          for c in step.api_calls)
        parts += [Text(""), Text(f"AWS calls: {calls}", style="dim")]
    return Group(*parts)


def finding_detail(finding: dict[str, Any]) -> Group:
    severity = finding.get("severity", "info")
    parts: list[Any] = [
        Text.assemble((f"{severity.upper()} ", SEVERITY_STYLE.get(severity, "")), (finding.get("code", ""), "bold")),
        Text.assemble(("at fault: ", "dim"), (finding.get("resource", ""), "bold")),
        Text(finding.get("summary", "")),
    ]
    fixes = finding.get("remediation") or []
    if fixes:
        parts.append(Text("Fix (c copies; awstriage never runs it):", style="bold"))
        parts += [Text(f"  {cmd}", style="green") for cmd in fixes]
    return Group(*parts)


class RunScreen(Screen[None]):
    HELP = """\
## Run

Steps run top to bottom; each shows its status and time. `Enter` on a step or finding shows its
detail; `g` shows or hides why each step exists. Findings name the component at fault and the fix:
`c` copies the fix. `l` shows the log of every AWS call, `e` exports the transcript, `Escape`
cancels a run in progress (the transcript so far is kept) or goes back.
"""

    BINDINGS = [
        Binding("escape", "back", "Cancel/Back", id="run.back"),
        Binding("c", "copy_fix", "Copy fix", id="run.copy_fix"),
        Binding("e", "export", "Export", id="run.export"),
        Binding("l", "toggle_log", "Call log", id="run.call_log"),
        Binding("slash", "filter_calls", "Filter calls", show=False, id="run.filter_calls"),
        Binding("tab", "focus_next", "Next pane", show=False, id="run.next_pane"),
    ]

    def __init__(self, playbook: Playbook | None, inputs: dict[str, Any] | None = None,
                 events: list[dict[str, Any]] | None = None, source: Path | None = None) -> None:
        super().__init__()
        self.playbook = playbook
        self.inputs = inputs or {}
        self.builder = TranscriptBuilder()
        self.handle = RunHandle()
        self.running = False
        self.replayed = events is not None
        self._events = events or []
        self._source = source
        self._step_started: dict[str, float] = {}
        self._selected_step: str | None = None
        self._selected_finding: int | None = None
        self.copied: str | None = None
        self.journal_path: Path | None = source

    @classmethod
    def replay(cls, path: Path) -> RunScreen:
        """A past run from its journal, read-only."""
        try:
            events = read_journal(path)
        except JournalError as exc:
            events = [{"type": "run_started", "playbook": "?", "title": f"Unreadable journal: {exc}", "steps": []}]
        return cls(None, events=events, source=path)

    @property
    def transcript(self) -> Transcript:
        return self.builder.transcript

    def compose(self) -> ComposeResult:
        yield IdentityBar()
        yield Static("", id="verdict")
        with Horizontal(id="run-top"):
            with VerticalScroll(id="run-left"):
                yield Label("Steps", classes="heading")
                yield FilterList([], id="steps")
                yield Label("Findings", classes="heading")
                yield FilterList([], id="findings")
            with VerticalScroll(id="run-right"):
                yield Static("", id="finding-detail")
                yield Static("", id="step-detail")
        yield PathGraph(id="graph")
        yield Input(placeholder="filter the calls: service, operation or error", id="calls-filter", compact=True)
        yield CallLog(id="calls")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        self.query_one("#graph").display = False
        self.query_one("#calls").display = False
        self.query_one("#calls-filter").display = False
        self.watch(self.app, "guided", lambda _: self._show_step(), init=False)
        if self.replayed:
            for event in self._events:
                self._apply(event)
            self._select_culprit()
            self._render_all()
        else:
            self.running = True
            self.set_interval(0.25, self._tick)
            self._run()
        self.query_one("#steps", FilterList).focus_list()

    # -- the run, in a thread --------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="run")
    def _run(self) -> None:
        assert self.playbook is not None
        try:
            transcript = self.app.workspace.run(self.playbook, self.inputs,
                                                [lambda e: self.post_message(RunEvent(e.to_dict()))], self.handle)
        except Exception as exc:  # the runner never raises for AWS failures; this is the setup failing
            self.post_message(RunFailed(explain_error(exc)))
            return
        self.post_message(RunDone(transcript, self.handle.journal_path))

    def on_run_event(self, message: RunEvent) -> None:
        self._apply(message.event)
        self._render_all()

    def _apply(self, event: dict[str, Any]) -> None:
        self.builder.add(event)
        kind = event.get("type")
        if kind == "step_started":
            self._step_started[event["step_id"]] = time.monotonic()
            if self._selected_step is None or self.app.guided:
                # Guided mode follows the running step; otherwise the first step stays selected until the user moves.
                self._selected_step = event["step_id"]
        elif kind == "api_call":
            self.query_one(CallLog).add_call(event.get("step_id"), event.get("call") or {})
        elif kind == "graph":
            graph = self.query_one(PathGraph)
            graph.display = True
            graph.show(event.get("graph"))
        elif kind == "finding" and self._selected_finding is None:
            self._selected_finding = 0

    def on_run_done(self, message: RunDone) -> None:
        self.running = False
        self._select_culprit()
        self.journal_path = message.journal_path
        where = f" Journal: {message.journal_path}" if message.journal_path else ""
        if self.handle.journal_problem:
            self.notify(self.handle.journal_problem, severity="warning")
        self.notify(f"{summary_line(self.transcript)}.{where}", title="Run finished", timeout=6)
        self._render_all()

    def on_run_failed(self, message: RunFailed) -> None:
        self.running = False
        self.notify(message.reason, title="The run could not start", severity="error", timeout=10)
        self._render_all()

    def _select_culprit(self) -> None:
        """After a run, show what matters: the first step that found a problem, the worst finding."""
        steps = self.transcript.steps
        culprit = next((s for s in steps if s.status == "problem"), None) or next(
            (s for s in steps if s.status in ("error", "warning")), None)
        if culprit is not None:
            self._selected_step = culprit.id
        findings = self.transcript.findings
        if findings:
            rank = {"error": 0, "warning": 1, "info": 2}
            self._selected_finding = min(range(len(findings)), key=lambda i: rank.get(findings[i].get("severity"), 3))

    def _tick(self) -> None:
        if self.running and any(s.status == "running" for s in self.transcript.steps):
            self._render_steps()

    # -- drawing ------------------------------------------------------------------------------------------------------
    def _render_all(self) -> None:
        self._render_verdict()
        self._render_steps()
        self._render_findings()
        self._show_step()
        self._show_finding()

    def _render_verdict(self) -> None:
        t = self.transcript
        title = t.title or (self.playbook.title if self.playbook else "")
        text = Text.assemble((f"{title}  ", "bold"))
        if self.replayed:
            text.append("replay  ", style="reverse")
        if self.running:
            done = sum(1 for s in t.steps if s.status not in ("pending", "running"))
            text.append(f"running… {done}/{len(t.steps)} steps   Escape cancels", style="cyan")
        elif t.finished_at or t.truncated:
            text.append(summary_line(t) if t.finished_at else VERDICT_WORDS.get(t.verdict, t.verdict),
                        style=VERDICT_STYLE.get(t.verdict, ""))
            if t.cancelled:
                text.append("  (cancelled)", style="yellow")
        self.query_one("#verdict", Static).update(text)

    def _render_steps(self) -> None:
        now = time.monotonic()
        items = []
        for step in self.transcript.steps:
            started = self._step_started.get(step.id)
            running_for = now - started if step.status == "running" and started else None
            items.append(Item(step.id, step_label(step, running_for), f"{step.title} {step.status}".lower()))
        steps = self.query_one("#steps", FilterList)
        steps.set_items(items)
        steps.highlight(self._selected_step)

    def _render_findings(self) -> None:
        items = [Item(str(i), finding_label(f), " ".join(str(f.get(k, "")) for k in
                                                         ("code", "resource", "summary", "severity")).lower())
                 for i, f in enumerate(self.transcript.findings)]
        findings = self.query_one("#findings", FilterList)
        findings.set_items(items)
        if self._selected_finding is not None:
            findings.highlight(str(self._selected_finding))

    def _show_step(self) -> None:
        step = self.transcript.step(self._selected_step) if self._selected_step else None
        self.query_one("#step-detail", Static).update(
            step_detail(step, self.app.guided) if step else Text("No step selected.", style="dim"))

    def _show_finding(self) -> None:
        findings = self.transcript.findings
        widget = self.query_one("#finding-detail", Static)
        if self._selected_finding is None or self._selected_finding >= len(findings):
            widget.update(Text("No findings yet." if self.running else "", style="dim"))
            return
        widget.update(finding_detail(findings[self._selected_finding]))

    # -- selection ----------------------------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        owner = event.option_list.parent
        if event.option.id is None or not isinstance(owner, FilterList):
            return
        if owner.id == "steps":
            self._selected_step = event.option.id
            self._show_step()
        elif owner.id == "findings":
            self._selected_finding = int(event.option.id)
            self._show_finding()

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        # Enter drills down: the detail pane takes the focus so it can scroll; Escape comes back.
        self.query_one("#run-right").focus()

    # -- actions ---------------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        box = self.query_one("#calls-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(CallLog).focus()
            return
        for filter_list in self.query(FilterList):
            if filter_list.clear_filter():
                return
        if self.focused is self.query_one("#run-right"):
            self.query_one("#steps", FilterList).focus_list()
            return
        if self.running:
            self.handle.cancel.set()
            self.notify("Cancelling after the current step; the transcript so far is kept.", timeout=4)
            return
        self.app.pop_screen()

    def action_copy_fix(self) -> None:
        findings = self.transcript.findings
        index = self._selected_finding
        if index is None or index >= len(findings):
            self.notify("No finding selected.", severity="warning")
            return
        fixes = findings[index].get("remediation") or []
        if not fixes:
            self.notify("This finding has no fix command.", severity="warning")
            return
        self.copied = "\n".join(fixes)
        self.app.copy_to_clipboard(self.copied)
        self.notify(f"Copied {len(fixes)} command{'s' if len(fixes) != 1 else ''} to the clipboard.", timeout=3)

    def action_toggle_log(self) -> None:
        log = self.query_one(CallLog)
        log.display = not log.display
        self.set_class(log.display, "-log")  # the graph gives the log room
        if log.display:
            log.focus()
        else:
            self.query_one("#calls-filter").display = False
            self.query_one("#steps", FilterList).focus_list()

    def action_filter_calls(self) -> None:
        """`/` on the call log (the lists have their own `/`)."""
        log = self.query_one(CallLog)
        if not log.display:
            log.display = True
            self.add_class("-log")
        box = self.query_one("#calls-filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "calls-filter":
            self.query_one(CallLog).set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "calls-filter":
            self.query_one(CallLog).focus()

    def action_export(self) -> None:
        from tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.transcript))
