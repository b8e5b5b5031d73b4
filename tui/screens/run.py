"""Run: live steps, the selected step's detail and why, findings with fixes, the path graph, the call log.

The screen folds the runner's events into its own TranscriptBuilder, exactly as the journal and the
exporters do, so what is on screen, in the journal and in an export can never disagree. A replayed
journal goes through the same fold.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from diagnostics.errors import explain_error
from diagnostics.proof import MetricProof, sparkline, stats_words
from playbooks.exporters import (
    STATUS_MARKS,
    VERDICT_WORDS,
    FixChoice,
    copy_text,
    finding_title,
    fix_choices,
    summary_line,
)
from playbooks.journal import JournalError, read_journal
from playbooks.model import Playbook
from playbooks.proof_view import log_heading, log_lines, metric_heading, proofs_of
from playbooks.transcript import StepRecord, Transcript, TranscriptBuilder
from playbooks.workspace import RunHandle
from tui.messages import RunDone, RunEvent, RunFailed
from tui.widgets.call_log import CallLog
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar
from tui.widgets.path_graph import KIND_LABELS, PathGraph

NARROW_WIDTH = 110  # below this the panes stack: steps, findings, detail
TALL_ENOUGH = 36  # from this height the path graph opens under the panes; below it, one summary line

STATUS_STYLE = {"ok": "green", "problem": "bold red", "warning": "yellow", "no_data": "yellow", "skipped": "dim",
                "error": "red", "pending": "dim", "running": "bold cyan"}
# The step's status as words, never the engine's identifiers ("no_data").
STATUS_WORDS = {"ok": "ok", "problem": "problem", "warning": "warning", "no_data": "no data", "skipped": "skipped",
                "error": "could not read", "pending": "waiting", "running": "running"}
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
    role = "" if step.decides else " (cross-check)"
    text = Text.assemble((f"{mark} ", style), (step.title, style if step.status != "ok" else ""), (role, "dim"),
                         (f"  {elapsed}" if elapsed else "", "dim"))
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


# The words the glossary (F1, assets/help/glossary.md) explains, as they appear in step texts.
GLOSSARY_TERMS = ("ARN", "CIDR", "ENI", "security group", "network ACL", "ephemeral port", "route table",
                  "implicit deny", "explicit deny", "SCP", "permissions boundary", "reserved concurrency",
                  "CPU credits", "throttl")


def glossary_terms(text: str) -> list[str]:
    lowered = text.lower()
    return [("throttling" if term == "throttl" else term) for term in GLOSSARY_TERMS
            if (term.lower() in lowered if not term.isupper() else re.search(rf"\b{term}s?\b", text))]


def keep_tail(text: str, width: int) -> str:
    """ARNs and IDs say the most at their end (the policy's name, the rule): cut from the front."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def finding_label(finding: dict[str, Any]) -> Text:
    """One line: severity, the plain title first, then the component at fault (its tail); the code is in the detail."""
    severity = finding.get("severity", "info")
    conditional = " (conditional)" if finding.get("certainty") == "conditional" else ""
    text = Text.assemble((f"{severity.upper():<7}", SEVERITY_STYLE.get(severity, "")),
                         (finding_title(finding), "bold"), (conditional, "yellow"), "  ",
                         (keep_tail(finding.get("resource", ""), 30), "dim"))
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def step_detail(step: StepRecord, guided: bool) -> Group:
    parts: list[Any] = [Text.assemble((step.title, "bold"), "  ",
                                      (STATUS_WORDS.get(step.status, step.status.replace("_", " ")),
                                       STATUS_STYLE.get(step.status, "")))]
    if step.detail:
        parts.append(Text(step.detail))
    elif step.status == "running":
        parts.append(Text("Asking AWS…", style="dim"))
    if guided:
        if step.why:
            parts += [Text(""), Text.assemble(("Why we check this: ", "bold magenta"), step.why)]
        if step.good:
            parts.append(Text.assemble(("What good looks like: ", "bold magenta"), step.good))
        terms = glossary_terms(" ".join((step.why, step.good, step.detail)))
        if terms:
            parts.append(Text(f"Words used here: {', '.join(terms)}. F1 explains them.", style="dim"))
    if step.api_calls:
        calls = ", ".join(f"{c.get('service')}:{c.get('operation')}" + (f" ({c['error']})" if c.get("error") else "")
                          for c in step.api_calls)
        parts += [Text(""), Text(f"AWS calls: {calls}", style="dim")]
    return Group(*parts)


def copy_key(choice: FixChoice) -> str:
    return "c" if choice.primary else str(choice.number)


def runnable(choice: FixChoice) -> list[str]:
    """The commands a shell would run: a fix made only of comments is a review, not something to paste."""
    return [c for c in choice.commands if c.strip() and not c.lstrip().startswith("#")]


def wrap_command(command: str, width: int) -> list[str]:
    """A shell command cut into lines for reading: at spaces (the line ends with `` \\``, as a shell continues
    it) and, inside a token too long for a line (a JSON policy document), after its commas; never inside a word
    unless one piece alone is wider than the pane. What is copied is the command itself, not these lines."""
    width = max(20, width)
    lines: list[str] = []
    current = ""
    for token in command.split(" "):
        pieces = re.findall(r"[^,]*,|[^,]+", token) or [""]
        for j, piece in enumerate(pieces):
            sep = " " if j == 0 and current else ""
            if current.strip() and len(current) + len(sep) + len(piece) + (2 if j == 0 else 0) > width:
                lines.append(current + (" \\" if j == 0 else ""))
                current = "    " + piece
            else:
                current += sep + piece
    lines.append(current)
    return lines


class CommandText:
    """A command drawn with :func:`wrap_command` at the width the pane gives it."""

    def __init__(self, command: str, style: str = "") -> None:
        self.command = command
        self.style = style

    def __rich_console__(self, console: Any, options: Any) -> Any:
        for line in wrap_command(self.command, options.max_width):
            text = Text(line, style=self.style)
            text.overflow = "fold"
            yield text


def _choice_parts(choice: FixChoice) -> list[Any]:
    key = copy_key(choice)
    if not runnable(choice):
        how = "a review: nothing to copy"
    else:
        how = f"press {key} twice to copy" if choice.careful else f"press {key} to copy"
    if choice.primary:
        never = "" if not runnable(choice) else "; awstriage never runs it"
        head = Text.assemble(("Fix", "bold green"), (f"  ({how}{never})", "dim"))
    else:
        head = Text.assemble((f"Alternative {choice.number}: ", "bold"), choice.summary, (f"  ({how})", "dim"))
    parts: list[Any] = [head]
    if choice.careful:
        parts.append(Text(f"  CAUTION: {choice.disrupts}", style="bold yellow"))
    # Indented as a block and wrapped at spaces and commas, so a long policy reads as one command.
    parts += [Padding(CommandText(cmd, style="green" if choice.primary else ""), (0, 0, 0, 2))
              for cmd in choice.commands]
    return parts


class SparkText:
    """A series drawn in block characters as wide as the pane allows (at most 60 cells), then its min, max,
    last value, unit, period and limit on the next line."""

    def __init__(self, proof: MetricProof) -> None:
        self.proof = proof

    def __rich_console__(self, console: Any, options: Any) -> Any:
        width = max(8, min(60, options.max_width - 2))
        yield Text("  " + sparkline(self.proof, width), style="bold cyan")
        words = Text("  " + stats_words(self.proof), style="dim")
        words.overflow = "fold"
        yield words


def proof_parts(finding: dict[str, Any]) -> list[Any]:
    """What the finding rests on: each series as a sparkline, each log read as its lines in a block."""
    parts: list[Any] = []
    for proof in proofs_of(finding):
        if parts:
            parts.append(Text(""))
        if isinstance(proof, MetricProof):
            parts += [Text(metric_heading(proof), style="bold"), SparkText(proof)]
        else:
            parts.append(Text(log_heading(proof), style="bold"))
            for line in log_lines(proof):
                text = Text(line, style="on grey15")
                text.overflow = "fold"
                parts.append(Padding(text, (0, 0, 0, 2)))
    return [Text(""), Text("Proof", style="bold underline"), *parts] if parts else []


def finding_detail(finding: dict[str, Any]) -> Group:
    """The finding in plain words: its summary, then the primary fix (in view at 80x24), then when it holds (a
    condition can be long) and the numbered alternatives."""
    severity = finding.get("severity", "info")
    conditional = finding.get("certainty") == "conditional"
    parts: list[Any] = [
        Text.assemble((f"{severity.upper()}  ", SEVERITY_STYLE.get(severity, "")), (finding_title(finding), "bold"),
                      ("  (conditional: see below)" if conditional else "", "yellow")),
        Text.assemble(("at fault: ", "dim"), (finding.get("resource", ""), "bold"), ("  " + finding.get("code", ""),
                                                                                       "dim")),
    ]
    # The summary's first sentence says what is wrong; the rest (often why, at length) waits until after the fix,
    # so the fix is on screen at 80x24 even under a long explanation.
    lead, _, rest = (finding.get("summary") or "").partition(". ")
    if lead:
        parts.append(Text(lead + ("." if rest else "")))
    choices = fix_choices(finding)
    has_primary = bool(choices) and choices[0].primary
    if has_primary:
        parts += [Text(""), *_choice_parts(choices[0])]
    if rest:
        parts += [Text(""), Text(rest)]
    if conditional:
        parts += [Text(""), Text.assemble(("Conditional: ", "bold yellow"),
                                          finding.get("condition") or "holds only under conditions not observed")]
    parts += proof_parts(finding)
    for choice in choices[1:] if has_primary else choices:
        parts += [Text(""), *_choice_parts(choice)]
    return Group(*parts)


def is_drawn_path(graph: dict[str, Any] | None) -> bool:
    """A graph whose links have a direction can be drawn: ssh-timeout's network path (a forward and a return
    way) and slow-performance's request path (front to back). A journal written before slow-performance drew
    its path holds a plain list of components: the line above the footer is its whole picture."""
    return bool(graph) and any(link.get("direction") in ("forward", "return")
                               for link in graph.get("links") or graph.get("edges") or [])


def is_component_graph(graph: dict[str, Any]) -> bool:
    """slow-performance's components (see diagnostics.performance.graph), drawn or not."""
    return (graph.get("graph") or {}).get("legend") == "components" or not is_drawn_path(graph)


def components_summary(graph: dict[str, Any]) -> Text:
    """A component graph as one wrapped line, from the front to the back: "ALB web → target group tg → i-0abc"."""
    nodes = {n.get("id"): n for n in graph.get("nodes") or []}
    links = graph.get("links") or graph.get("edges") or []
    children: dict[Any, list[Any]] = {}
    for link in links:
        children.setdefault(link.get("source"), []).append(link.get("target"))
    targets = {link.get("target") for link in links}
    level = [n for n in nodes if n not in targets]
    seen: set[Any] = set()
    stages: list[str] = []
    while level:
        level = [n for n in level if n not in seen]
        seen.update(level)
        if level:
            stages.append(", ".join(str(nodes[n].get("label") or n) for n in level if n in nodes))
        level = [c for n in level for c in children.get(n, [])]
    return Text.assemble(("Components: ", "bold"), " → ".join(s for s in stages if s))


def path_summary(graph: dict[str, Any] | None) -> Text:
    """The path graph in one line: where each direction stops, or that it gets through."""
    if not graph:
        return Text("")
    if is_component_graph(graph):
        return components_summary(graph)
    from diagnostics.reachability.graph import from_node_link, path_rows

    forward, back = path_rows(from_node_link(graph))
    text = Text("Path: ", style="bold")
    for name, rows in (("forward", forward), ("return", back)):
        if not rows:
            continue
        # Where the packets are dropped is the edge that denies them (a blocked box may be blocked on the other way).
        blocked = [node for node, edge in rows if edge and edge.get("verdict") == "deny"]
        # A hop that drops the packets only for some clients is neither a drop nor a pass: say it is conditional.
        maybe = [node for node, edge in rows if edge and edge.get("certainty") == "conditional"
                 and edge.get("verdict") != "deny"]
        if blocked:
            where = ", ".join(f"{KIND_LABELS.get(str(n.get('kind')), n.get('kind'))} {n.get('id')}" for n in blocked)
            text.append(f"{name} ✖ dropped at {where}", style="bold red")
        elif maybe:
            where = ", ".join(f"{KIND_LABELS.get(str(n.get('kind')), n.get('kind'))} {n.get('id')}" for n in maybe)
            text.append(f"{name} ? conditional at {where}", style="bold yellow")
        else:
            text.append(f"{name} ✔ {len(rows)} hops", style="green")
        text.append("   ")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def call_view(call: dict[str, Any], step_title: str | None) -> Group:
    params = json.dumps(call.get("params") or {}, indent=2, default=str)
    outcome = call.get("error") or "ok"
    return Group(
        Text.assemble(("AWS call ", "bold"), (f"{call.get('service')}:{call.get('operation')}", "bold cyan"),
                      (f"  {outcome}, {float(call.get('duration_ms') or 0):.0f} ms", "dim")),
        Text(f"Step: {step_title}" if step_title else "", style="dim"),
        Text("Parameters, as recorded (secrets were redacted before anything was kept):", style="dim"),
        Padding(Text(params), (0, 0, 0, 2)))


class CallScreen(ModalScreen[None]):
    """One AWS call's parameters, over the run screen; Escape or Enter closes it."""

    HELP = """\
## An AWS call

The call's service, operation, outcome and duration, and the parameters it was made with (secrets were
redacted before anything was recorded). `Escape` or `Enter` closes it.
"""
    BINDINGS = [Binding("escape,enter", "close", "Close", id="call.close")]

    def __init__(self, call: dict[str, Any], step_title: str | None) -> None:
        super().__init__()
        self.call = call
        self.step_title = step_title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(call_view(self.call, self.step_title), id="call-view")

    def action_close(self) -> None:
        self.dismiss(None)


class RunScreen(Screen[None]):
    HELP = """\
## The run screen

A playbook runs its steps top to bottom; each step asks AWS one question and says what it saw.

- **Steps** (top left): ✔ healthy, ✖ the problem, ! a warning, ∅ no data (its source was empty: the
  detail says which and how to get data), ⚠ could not read, – skipped. `Enter` on a step shows its
  findings.
- **Findings**: what is at fault, in plain words first; `Enter` on a finding selects the step that
  found it and opens the detail.
- **Detail**: the finding, whether it is *certain* or *conditional* (and when it holds), and its
  fixes as a choice. `c` copies the **primary fix** (the least disruptive change) with a comment
  naming the finding; `1`-`9` copy an alternative. A fix that stops, replaces or loosens something
  is marked CAUTION and is copied only when you press its key twice. awstriage never runs a fix.
  Under **Proof**, what the finding rests on: each metric as a sparkline with its min, max, last value
  and the limit it is judged against, and the log lines that show it. A source without data draws nothing.
- **Path** (ssh-timeout): one line says where the packets are dropped; `p` opens the drawing, `z`
  gives it the whole screen.

`Tab`/`shift+Tab` move between panes (the focused one has a bright border), `l` shows every AWS
call, `e` exports the transcript, `Escape` cancels a run in progress (the transcript so far is kept)
or goes back. The headline at the top is the verdict: what was observed, nothing more.
"""

    BINDINGS = [
        Binding("c", "copy_fix", "Copy fix", id="run.copy_fix"),
        *[Binding(str(n), f"copy_alternative({n})", f"Copy alternative {n}", show=False,
                  id=f"run.copy_alternative_{n}") for n in range(1, 10)],
        Binding("e", "export", "Export", id="run.export"),
        Binding("tab", "next_pane", "Next pane", id="run.next_pane"),
        Binding("p", "toggle_graph", "Path", id="run.graph"),
        Binding("l", "toggle_log", "Call log", id="run.call_log"),
        # A priority binding: the app runs it the moment the key arrives, before the focused list and before the
        # screen's queue of run events, so Escape cancels at the step it was pressed at, not several steps later.
        Binding("escape", "back", "Back", id="run.back", priority=True),
        Binding("z", "maximise_graph", "Maximise path", show=False, id="run.graph_max"),
        Binding("slash", "filter_calls", "Filter calls", show=False, id="run.filter_calls"),
        Binding("shift+tab", "previous_pane", "Previous pane", show=False, id="run.previous_pane"),
    ]

    def __init__(self, playbook: Playbook | None, inputs: dict[str, Any] | None = None,
                 events: list[dict[str, Any]] | None = None, source: Path | None = None) -> None:
        super().__init__()
        self.playbook = playbook
        self.inputs = inputs or {}
        self.builder = TranscriptBuilder()
        self.handle = RunHandle()
        self.running = False
        self.cancelling = False  # Escape was pressed during the run: the runner stops before its next step
        self._dirty = False  # run events arrived since the last drawing (drawn on the timer, not per event)
        self.replayed = events is not None
        self._events = events or []
        self._source = source
        self._step_started: dict[str, float] = {}
        self._selected_step: str | None = None
        self._selected_finding: int | None = None
        self._armed: tuple[int, int] | None = None  # (finding, choice) a careful fix waits for its second press
        self._graph_open: bool | None = None  # None: decided by the terminal's height
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
        with Container(id="run-body"):
            with Vertical(id="run-left"):
                yield FilterList([], id="steps", classes="pane")
                yield FilterList([], id="findings", classes="pane")
            with VerticalScroll(id="run-right", classes="pane"):
                yield Static("", id="finding-detail")
                yield Static("", id="step-detail")
        yield Static("", id="path-summary")
        yield PathGraph(id="graph", classes="pane")
        yield Input(placeholder="filter the calls: service, operation or error", id="calls-filter", compact=True)
        yield CallLog(id="calls", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        self.query_one("#findings").border_title = "Findings"
        self.query_one("#run-right").border_title = "Detail"
        self.query_one("#graph").border_title = "Path  (p closes, z maximises)"
        self.query_one("#calls").border_title = "AWS calls  (/ filters)"
        self.query_one("#graph").display = False
        self.query_one("#path-summary").display = False
        self.query_one("#calls").display = False
        self.query_one("#calls-filter").display = False
        self._reflow()
        self.watch(self.app, "guided", lambda _: self._show_detail(), init=False)
        if self.replayed:
            for event in self._events:
                self._apply(event)
            self._select_culprit()
            self._render_all()
        else:
            self.running = True
            self.set_interval(0.1, self._tick)
            self._run()
        self.query_one("#steps", FilterList).focus_list()

    # -- layout ---------------------------------------------------------------------------------------------------
    def on_descendant_focus(self) -> None:
        # On a narrow screen the pane in use gets the room (lazygit does the same): reading the detail folds the steps.
        self.set_class(self._current_pane() == 2, "-reading")

    def on_resize(self) -> None:
        self._reflow()

    def _reflow(self) -> None:
        """Wide: steps and findings beside the detail. Narrow: stacked, each readable; the graph a summary line."""
        self.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")
        self._show_graph()

    def _show_graph(self) -> None:
        has_graph = self.transcript.graph is not None
        if has_graph and not is_drawn_path(self.transcript.graph):
            # Components, not a network path: the list line is the whole picture; no drawing to open.
            self.query_one("#graph").display = False
            self.query_one("#path-summary").display = True
            return
        is_open = self._graph_open if self._graph_open is not None else self.app.size.height >= TALL_ENOUGH
        graph = self.query_one("#graph", PathGraph)
        graph.display = has_graph and (is_open or self.has_class("-maximised"))
        self.query_one("#path-summary").display = has_graph and not graph.display
        if graph.display:
            self.call_after_refresh(self._scroll_to_blocker)

    def _scroll_to_blocker(self) -> None:
        """The row that drops the packets is the one to see: scroll the drawing to it."""
        graph = self.query_one("#graph", PathGraph)
        lines = graph.lines
        # The red arrow "✖▶" is where the packets are dropped; a red box alone may be blocked on the other way.
        first = next((i for i, line in enumerate(lines) if "✖▶" in line.plain), None)
        if first is None:
            first = next((i for i, line in enumerate(lines) if "✖" in line.plain), None)
        if first is None or first + 3 <= graph.scrollable_content_region.height:
            return
        graph.scroll_to(y=max(0, first - 3), animate=False)  # the path's heading and the box top stay in view

    def _panes(self) -> list[Any]:
        """The panes Tab walks through, in reading order; only the visible ones."""
        panes: list[Any] = [self.query_one("#steps", FilterList), self.query_one("#findings", FilterList),
                            self.query_one("#run-right")]
        if self.has_class("-maximised"):
            panes = []
        panes += [w for w in (self.query_one("#graph"), self.query_one("#calls")) if w.display]
        return panes

    def _current_pane(self) -> int:
        panes = self._panes()
        focused = self.focused
        for i, pane in enumerate(panes):
            node = focused
            while node is not None:
                if node is pane:
                    return i
                node = node.parent if node.parent is not self else None
        return -1

    def _focus_pane(self, pane: Any) -> None:
        if isinstance(pane, FilterList):
            pane.focus_list()
        else:
            pane.focus()

    def action_next_pane(self) -> None:
        panes = self._panes()
        if panes:
            self._focus_pane(panes[(self._current_pane() + 1) % len(panes)])

    def action_previous_pane(self) -> None:
        panes = self._panes()
        if panes:
            current = self._current_pane()
            self._focus_pane(panes[(current - 1) % len(panes)] if current >= 0 else panes[-1])

    def action_toggle_graph(self) -> None:
        if not is_drawn_path(self.transcript.graph):
            self.notify("This playbook draws no network path" + (": its components are the line above the footer."
                                                                  if self.transcript.graph else "."), timeout=3)
            return
        if self.has_class("-maximised"):
            self.remove_class("-maximised")
            self._graph_open = False
        else:
            self._graph_open = not self.query_one("#graph").display
        self._show_graph()
        if self.query_one("#graph").display:
            self.query_one("#graph").focus()
        elif self._current_pane() < 0:
            self.query_one("#steps", FilterList).focus_list()

    def action_maximise_graph(self) -> None:
        if not is_drawn_path(self.transcript.graph):
            self.notify("This playbook draws no path.", timeout=3)
            return
        self.toggle_class("-maximised")
        self._show_graph()
        if self.has_class("-maximised"):
            self.query_one("#graph").focus()
        else:
            self.query_one("#steps", FilterList).focus_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers only keys that do something here."""
        if action in ("copy_fix", "copy_alternative"):
            return True  # the keys always answer: a copy, or a sentence saying why there is none
        return self.offers(action, parameters)

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """What the palette lists: only actions that do something here (a key may still answer with a reason)."""
        if action == "copy_fix":
            finding = self._finding()
            return bool(finding and finding.get("remediation"))
        if action == "copy_alternative":
            finding = self._finding()
            return bool(finding) and 1 <= int(str(parameters[0])) <= len(finding.get("alternatives") or [])
        if action in ("toggle_graph", "maximise_graph"):
            return is_drawn_path(self.transcript.graph)
        if action == "export":
            return bool(self.transcript.steps)
        return True

    # -- the run, in a thread --------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="run")
    def _run(self) -> None:
        assert self.playbook is not None
        try:
            transcript = self.app.workspace.run(self.playbook, self.inputs,
                                                [lambda e: self.post_message(RunEvent(e.to_dict()))], self.handle)
        except Exception as exc:  # the runner never raises for AWS failures; this is the setup failing
            # A ValueError here is the workspace refusing the inputs (an ARN in another region or account):
            # its message is already the sentence to show.
            self.post_message(RunFailed(str(exc) if isinstance(exc, ValueError) else explain_error(exc)))
            return
        self.post_message(RunDone(transcript, self.handle.journal_path))

    def on_run_event(self, message: RunEvent) -> None:
        # Folded at once, drawn on the timer: drawing every API call made the screen fall seconds behind the run.
        self._apply(message.event)
        self._dirty = True

    def on_unmount(self) -> None:
        """A run screen that goes away, however it goes, stops its run: nothing runs where nobody sees it."""
        if self.running:
            self.handle.cancel.set()

    def _apply(self, event: dict[str, Any]) -> None:
        self.builder.add(event)
        kind = event.get("type")
        if kind == "step_started":
            self._step_started[event["step_id"]] = time.monotonic()
            if self._selected_step is None or self.app.guided:
                # Guided mode follows the running step; otherwise the first step stays selected until the user moves.
                self._selected_step = event["step_id"]
        elif kind == "api_call":
            step = self.transcript.step(event.get("step_id") or "")
            self.query_one(CallLog).add_call(event.get("step_id"), event.get("call") or {},
                                             step.title if step else None)
        elif kind == "graph":
            self.query_one(PathGraph).show(event.get("graph"))
            self.query_one("#path-summary", Static).update(path_summary(event.get("graph")))
            self._show_graph()
        elif kind == "finding" and self._selected_finding is None:
            self._selected_finding = 0
        # No refresh_bindings here: rebuilding the footer for every API call made the screen lag the run by
        # seconds; the timer's drawing refreshes it.

    def on_run_done(self, message: RunDone) -> None:
        self.running = False
        self.cancelling = False
        self._dirty = False
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
        """After a run, show what matters: the worst finding and the step that found it."""
        steps = self.transcript.steps
        findings = self.transcript.findings
        if findings:
            rank = {"error": 0, "warning": 1, "info": 2}
            self._selected_finding = min(range(len(findings)), key=lambda i: rank.get(findings[i].get("severity"), 3))
            step = findings[self._selected_finding].get("step")
            if step and self.transcript.step(step):
                self._selected_step = step
                return
        culprit = next((s for s in steps if s.status == "problem"), None) or next(
            (s for s in steps if s.status in ("error", "no_data", "warning")), None)
        if culprit is not None:
            self._selected_step = culprit.id

    def _tick(self) -> None:
        if self._dirty:
            self._dirty = False
            self._render_all()
        elif self.running and any(s.status == "running" for s in self.transcript.steps):
            self._render_steps()

    # -- drawing ------------------------------------------------------------------------------------------------------
    def _render_all(self) -> None:
        self._render_verdict()
        self._render_steps()
        self._render_findings()
        self._show_detail()
        self.refresh_bindings()

    def _render_verdict(self) -> None:
        t = self.transcript
        title = t.title or (self.playbook.title if self.playbook else "")
        self.query_one("#steps").border_title = f"Steps: {title}" if title else "Steps"
        text = Text()
        if self.replayed:
            text.append("replay  ", style="reverse")
        if self.running:
            done = sum(1 for s in t.steps if s.status not in ("pending", "running"))
            if self.cancelling:
                text.append(f"Cancelling… {done}/{len(t.steps)} steps: the run stops before its next step; "
                            "the transcript so far is kept", style="bold yellow")
            else:
                text.append(f"Running… {done}/{len(t.steps)} steps   Escape cancels", style="cyan")
        elif t.finished_at or t.truncated:
            # The headline as the engine words it: it counts warnings and says when a run was cancelled.
            text.append(summary_line(t) if t.finished_at else VERDICT_WORDS.get(t.verdict, t.verdict),
                        style=VERDICT_STYLE.get(t.verdict, ""))
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
                                                         ("code", "resource", "summary", "severity")).lower()
                      + " " + finding_title(f).lower())
                 for i, f in enumerate(self.transcript.findings)]
        findings = self.query_one("#findings", FilterList)
        findings.set_items(items)
        findings.border_title = f"Findings ({len(items)})" if items else "Findings"
        if self._selected_finding is not None:
            findings.highlight(str(self._selected_finding))

    def _finding(self) -> dict[str, Any] | None:
        findings = self.transcript.findings
        index = self._selected_finding
        return findings[index] if index is not None and index < len(findings) else None

    def _show_detail(self) -> None:
        step = self.transcript.step(self._selected_step) if self._selected_step else None
        self.query_one("#step-detail", Static).update(
            step_detail(step, self.app.guided) if step else Text("No step selected.", style="dim"))
        finding = self._finding()
        widget = self.query_one("#finding-detail", Static)
        widget.display = finding is not None or self.running
        if finding is None:
            widget.update(Text("No findings yet." if self.running else "", style="dim"))
        else:
            widget.update(finding_detail(finding))
        self.query_one("#run-right").border_title = (f"Detail: {finding_title(finding)}" if finding
                                                     else "Detail")

    # kept for callers that show one part
    _show_step = _show_detail
    _show_finding = _show_detail

    # -- selection ----------------------------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        owner = event.option_list.parent
        if event.option.id is None or not isinstance(owner, FilterList) or not owner.option_list.has_focus:
            return
        current = event.option_list.highlighted_option
        if current is None or current.id != event.option.id:
            return  # a stale highlight: the list has moved on since (the run re-renders it as it goes)
        if owner.id == "steps":
            self._select_step(event.option.id)
        elif owner.id == "findings":
            self._select_finding(int(event.option.id))

    def _select_step(self, step_id: str) -> None:
        """A step and its findings go together: choosing a step shows its first finding, if it has one."""
        if step_id == self._selected_step:
            return
        self._selected_step = step_id
        mine = [i for i, f in enumerate(self.transcript.findings) if f.get("step") == step_id]
        self._selected_finding = mine[0] if mine else None
        if mine:
            self.query_one("#findings", FilterList).highlight(str(mine[0]))
        self._armed = None
        self._show_detail()
        self.query_one("#run-right").scroll_home(animate=False)  # a new choice reads from its top
        self.refresh_bindings()

    def _select_finding(self, index: int) -> None:
        """Choosing a finding selects the step that found it."""
        self._selected_finding = index
        step = self.transcript.findings[index].get("step") if index < len(self.transcript.findings) else None
        if step and self.transcript.step(step):
            self._selected_step = step
            self.query_one("#steps", FilterList).highlight(step)
        self._armed = None
        self._show_detail()
        self.query_one("#run-right").scroll_home(animate=False)  # a new choice reads from its top
        self.refresh_bindings()

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        """Enter on a step shows its findings; Enter on a finding selects its step and opens the detail."""
        if message.list.id == "steps":
            self._select_step(message.item_id)
            if self._selected_finding is not None and self.transcript.findings[self._selected_finding].get(
                    "step") == message.item_id:
                findings = self.query_one("#findings", FilterList)
                findings.highlight(str(self._selected_finding))
                findings.focus_list()
                return
        elif message.list.id == "findings":
            self._select_finding(int(message.item_id))
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
        if self.has_class("-maximised"):
            self.action_maximise_graph()
            return
        if self.running:
            # While it runs, Escape cancels and the screen stays, saying so, until the runner reports the run
            # finished; only an Escape after that goes back.
            self.handle.cancel.set()
            self.cancelling = True  # the headline says it (a toast would cover the headline at 80x24)
            self._render_verdict()
            return
        self.app.pop_screen()

    def action_copy_fix(self) -> None:
        self._copy(0)

    def action_copy_alternative(self, number: int) -> None:
        self._copy(number)

    def _copy(self, number: int) -> None:
        """Copy one fix: the primary with `c`, an alternative by its number; a careful one only on a second press.
        Every press answers: a copy, or the sentence that says why there is none."""
        finding = self._finding()
        if finding is None:
            if self.transcript.findings:
                self.notify("No fix for this step; select a finding (shift+Tab or Tab to Findings, then Enter).",
                            severity="warning", timeout=4)
            else:
                self.notify("Nothing to copy: this run has no findings." if not self.running
                            else "Nothing to copy yet: no finding so far.", severity="warning", timeout=4)
            return
        choices = fix_choices(finding)
        choice = next((c for c in choices if c.number == number), None)
        if choice is None:
            others = len([c for c in choices if not c.primary])
            what = "no fix" if number == 0 else f"no alternative {number}"
            has = f" (it has {others} alternative{'s' if others != 1 else ''})" if number and others else ""
            self.notify(f"This finding has {what}{has}.", severity="warning", timeout=4)
            return
        if not runnable(choice):
            review = " ".join(c.lstrip("# ").strip() for c in choice.commands if c.strip()) or choice.summary
            review = review if len(review) <= 160 else review[:159] + "… (the detail has it all)"
            kind = "primary fix" if choice.primary else f"alternative {number}"
            self.notify(f"This finding's {kind} is a review, not a command: {review}", title="Nothing copied",
                        timeout=8)
            return
        key = (self._selected_finding or 0, number)
        if choice.careful and self._armed != key:
            self._armed = key
            self.notify(f"{choice.label} {choice.disrupts}. Press {copy_key(choice)} again to copy it anyway.",
                        title="CAUTION", severity="warning", timeout=6)
            return
        self._armed = None
        self.copied = copy_text(finding, choice)
        self.app.copy_to_clipboard(self.copied)
        saved = self._save_copy(self.copied)
        count = len(runnable(choice))
        first = not getattr(self.app, "told_clipboard", False)
        self.app.told_clipboard = True  # type: ignore[attr-defined]  # the OSC 52 caveat is said once a session
        where = f" Also saved to {saved}." if saved else ""
        how = ("Sent to the clipboard (your terminal must allow OSC 52)" if first else "Sent to the clipboard")
        self.notify(f"{how}: {choice.label.lower()}, {count} command{'s' if count != 1 else ''} for "
                    f"{finding.get('code')}.{where}", timeout=4)

    def _save_copy(self, text: str) -> Path | None:
        """The copied text in a file too: a terminal may drop the clipboard escape (OSC 52) without a word."""
        from playbooks.journal import journal_dir

        try:
            path = journal_dir().parent / "last-copied-fix.sh"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError:
            return None
        return path

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

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a call-log row shows that call's parameters (redacted before they were recorded) in the detail."""
        log = self.query_one(CallLog)
        if event.data_table is not log:
            return
        calls = log.visible_calls
        if not 0 <= event.cursor_row < len(calls):
            return
        step_id, call = calls[event.cursor_row]
        step = self.transcript.step(step_id) if step_id else None
        # A modal, not the detail pane: at 80x24 with the log open the detail pane has no rows left to show it in.
        self.app.push_screen(CallScreen(call, step.title if step else None))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "calls-filter":
            self.query_one(CallLog).set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "calls-filter":
            self.query_one(CallLog).focus()

    def action_export(self) -> None:
        from tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.transcript))
