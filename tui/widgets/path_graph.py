"""The reachability graph drawn in the terminal: both paths as rows of boxes joined by arrows.

The drawing is made by pure functions (``layout_path``, ``layout_graph``) that return rich ``Text``
lines, so it can be tested without an app; ``PathGraph`` only keeps those lines and scrolls them.
It draws the same thing as the HTML exporter's SVG: one column per stage, parallel security groups
stacked in one column, the arrow into a box being the edge that admits or drops the packets.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import networkx as nx
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from diagnostics.reachability.graph import Row, from_node_link, path_rows

EMPTY_SENTENCE = "No path drawn yet: ssh-timeout and slow-performance draw one"
KIND_LABELS = {
    "client": "client",
    "source_eni": "client ENI",
    "source_security_group": "client SG",
    "source_network_acl": "client ACL",
    "source_route_table": "client routes",
    "transit_gateway": "TGW routes",
    "internet_gateway": "internet gw",
    "gateway": "gateway",
    "route_table": "route table",
    "network_acl": "network ACL",
    "security_group": "security group",
    "eni": "ENI",
    "instance": "instance",
}
STATUS_STYLE = {"blocked": "bold red", "warning": "yellow", "ok": "green"}
STATUS_MARK = {"blocked": "✖ ", "warning": "! ", "ok": ""}
# Blocked boxes get a heavy border too, so they stand out without colour.
BORDERS = {"blocked": "┏━┓┃┗━┛", "warning": "┌─┐│└─┘", "ok": "┌─┐│└─┘"}
ARROW_STYLE = {"deny": "bold red", "partial": "yellow", "allow": "dim"}

PATH_TITLES = {"forward": "Forward path: the request, client to instance",
               "return": "Return path: the reply, instance to client"}
BOX_HEIGHT = 4  # top border, kind line, ID line, bottom border
ARROW_LINE = 1  # arrows enter and leave a box on its kind line
GAP = 5  # the arrow between two columns: 2 source stub, 1 junction, 1 mark, 1 head
MAX_CONTENT = 21  # fits every AWS ID (acl-/rtb-/igw-/eni- + 17 hex) in full, and four boxes in 120 columns
MIN_CONTENT = 6
NOTE_MIN_WIDTH = 40  # a note narrower than this under a box on the right starts at the left edge instead


@dataclass(frozen=True)
class _Box:
    kind: str
    ident: str
    extra: str
    status: str
    edge: dict[str, Any] | None
    note: str = ""  # a component graph's own sentence for an amber or red box

    def natural_width(self) -> int:
        """Content width before any abbreviation: the longer of the kind line and the ID."""
        kind = STATUS_MARK.get(self.status, "") + self.kind
        with_extra = f"{kind} {self.extra}" if self.extra else kind
        return max(len(kind), len(self.ident), len(with_extra) if len(with_extra) <= MAX_CONTENT else 0)


def _box_of(node: dict[str, Any], edge: dict[str, Any] | None) -> _Box:
    kind = str(node.get("kind", ""))
    ident = str(node.get("name") or node.get("id", ""))
    label = str(node.get("label") or ident)
    # The label repeats the ID and adds a detail worth showing ("(web)", "(main)", a private IP).
    extra = label.replace(ident, "", 1).strip() if ident in label else label
    if ident == kind and extra:
        # The client's node ID is just "client": its address is what identifies it.
        ident, extra = extra, ""
    status = str(node.get("status", "ok"))
    if node.get("name"):
        extra = ""  # a component's label only spells out its kind and name, which the box shows
    return _Box(KIND_LABELS.get(kind, kind.replace("_", " ")), ident, extra, status, edge, str(node.get("note") or ""))


def abbreviate(ident: str, width: int) -> str:
    """Shorten an ID in the middle, keeping its prefix and its tail, which is how people tell IDs apart."""
    if len(ident) <= width:
        return ident
    if width <= 1:
        return ident[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return ident[:head] + "…" + (ident[-tail:] if tail else "")


def _edge_kind(edge: dict[str, Any] | None) -> str:
    if edge is None:
        return "allow"
    if edge.get("verdict") == "deny":
        return "deny"
    return "partial" if edge.get("partial") else "allow"


def _draw_box(box: _Box, content: int) -> list[Text]:
    """A box of BOX_HEIGHT lines, ``content + 4`` cells wide."""
    tl, h, tr, v, bl, _, br = BORDERS.get(box.status, BORDERS["ok"])
    style = STATUS_STYLE.get(box.status, "")
    kind = STATUS_MARK.get(box.status, "") + box.kind
    kind_line = Text(abbreviate(kind, content), style=f"bold {style}")
    if box.extra and len(kind) + 1 + len(box.extra) <= content:
        kind_line.append(" " + box.extra, style="dim")
    ident_line = Text(abbreviate(box.ident, content), style="bold" if box.status == "blocked" else "")
    lines = [Text(tl + h * (content + 2) + tr, style=style)]
    for inner in (kind_line, ident_line):
        inner.pad_right(content - inner.cell_len)
        lines.append(Text.assemble((v + " ", style), inner, (" " + v, style)))
    lines.append(Text(bl + h * (content + 2) + br, style=style))
    return lines


def _junction(left: bool, right: bool, up: bool, down: bool) -> str:
    table = {
        (True, True, False, False): "─", (True, True, False, True): "┬", (True, True, True, False): "┴",
        (True, True, True, True): "┼", (True, False, False, True): "┐", (True, False, True, False): "┘",
        (False, True, False, True): "┌", (False, True, True, False): "└", (False, False, True, True): "│",
        (True, False, True, True): "┤", (False, True, True, True): "├", (True, False, False, False): "─",
        (False, True, False, False): "─",
    }
    return table.get((left, right, up, down), " ")


def _draw_gap(sources: list[int], targets: list[tuple[int, str]], height: int, continued: bool) -> list[Text]:
    """The arrows between two columns: a stub from each source box, a vertical trunk where one box fans
    out to parallel ones (or they fan back in), and an arrow head into each target box, ✖ where the
    edge drops the packets. ``continued`` draws a wrapped path's re-entry at the start of a line."""
    kinds = {kind for _, kind in targets}
    trunk_style = ARROW_STYLE["deny"] if kinds == {"deny"} else ARROW_STYLE["allow"]
    rows = sources + [r for r, _ in targets]
    low, high = min(rows), max(rows)
    target_kind = dict(targets)
    lines: list[Text] = []
    for r in range(height):
        line = Text()
        left, right = r in sources, r in target_kind
        if left:
            line.append("↪─" if continued else "──", style=trunk_style)
        else:
            line.append("  ")
        vertical_up, vertical_down = low < r <= high, low <= r < high
        char = _junction(left, right, vertical_up, vertical_down)
        line.append(char, style=trunk_style)
        if right:
            kind = target_kind[r]
            line.append("✖" if kind == "deny" else "─", style=ARROW_STYLE[kind])
            line.append("▶", style=ARROW_STYLE[kind])
        else:
            line.append("  ")
        lines.append(line)
    return lines


def _columns(rows: list[Row]) -> list[list[_Box]]:
    """Group the rows by stage, keeping their order: parallel security groups share one column."""
    columns: dict[int, list[_Box]] = {}
    for node, edge in rows:
        columns.setdefault(int(node.get("stage", len(columns))), []).append(_box_of(node, edge))
    return [columns[stage] for stage in sorted(columns)]


def _content_width(column: list[_Box], cap: int) -> int:
    return max(MIN_CONTENT, min(cap, max(box.natural_width() for box in column)))


def _pack_greedy(widths: list[int], width: int, most: int) -> list[list[int]]:
    lines: list[list[int]] = []
    used = 0
    for index, column_width in enumerate(widths):
        cost = column_width + (GAP if index else 0)
        if lines and used + cost <= width and len(lines[-1]) < most:
            lines[-1].append(index)
            used += cost
        else:
            lines.append([index])
            used = cost
    return lines


def _pack(widths: list[int], width: int) -> list[list[int]]:
    """Split the columns into lines of at most ``width`` cells; every column but the very first is
    preceded by an arrow, also at the start of a continuation line. The lines are balanced (4 + 3
    rather than 6 + 1) so that no line carries a lone box."""
    greedy = _pack_greedy(widths, width, len(widths))
    count = len(greedy)
    if count == 1:
        return greedy
    balanced = _pack_greedy(widths, width, -(-len(widths) // count))
    return balanced if len(balanced) == count else greedy


def _path_direction(rows: list[Row]) -> str:
    for _, edge in rows:
        if edge is not None and edge.get("direction"):
            return str(edge["direction"])
    return "forward"


def _note(box: _Box, direction: str) -> tuple[str, str] | None:
    """The sentence under a blocked or partial box: the rule that drops (or half-admits) the packets."""
    kind = _edge_kind(box.edge)
    rule = str((box.edge or {}).get("rule") or "")
    if box.note and box.status in ("blocked", "warning"):
        return (f"{STATUS_MARK[box.status]}{box.ident}: {box.note}", STATUS_STYLE[box.status])
    if kind == "deny":
        return f"✖ {box.ident}: {rule or 'drops the packets here'}", ARROW_STYLE["deny"]
    if box.status == "blocked":
        # The component is at fault on the other path: say where to look rather than show an allow rule.
        other = "return" if direction == "forward" else "forward"
        return f"✖ {box.ident} blocks the {other} path", "red"
    edge = box.edge or {}
    if edge.get("certainty") == "conditional":
        # Dropped for some kinds of client only: name who is cut off, the drawing's own words.
        return f"? {box.ident}: conditional: {edge.get('condition') or rule}", "yellow"
    if kind == "partial" or box.status == "warning":
        return f"! {box.ident}: {rule or 'see the findings'}", "yellow"
    return None


def _notes(placed: list[tuple[int, _Box]], direction: str, width: int) -> list[Text]:
    lines: list[Text] = []
    for x, box in placed:
        note = _note(box, direction)
        if note is None:
            continue
        sentence, style = note
        start = x if width - x >= NOTE_MIN_WIDTH else 0
        wrapped = textwrap.wrap(sentence, max(10, width - start), subsequent_indent="  ", break_on_hyphens=False)
        lines += [Text(" " * start + part, style=style) for part in wrapped]
    return lines


def layout_path(rows: list[Row], width: int) -> list[str | Text]:
    """One path (the rows path_rows gives for it) drawn as lines of at most ``width`` cells.

    Boxes hold the short kind and the component ID; a path too long for the width wraps onto more
    lines of boxes (the continuation starts with ↪), and IDs are shortened in the middle only when a
    single box would not fit. Under each line of boxes, the rule that blocks a red box is spelled out.
    """
    if not rows:
        return []
    requested, width = width, max(width, GAP + MIN_CONTENT + 4)
    columns = _columns(rows)
    cap = min(MAX_CONTENT, width - GAP - 4)
    contents = [_content_width(column, cap) for column in columns]
    direction = _path_direction(rows)
    out: list[str | Text] = []
    for line_index, members in enumerate(_pack([c + 4 for c in contents], width)):
        if line_index:
            out.append("")
        height = max(len(columns[i]) for i in members) * BOX_HEIGHT
        block = [Text() for _ in range(height)]
        placed: list[tuple[int, _Box]] = []
        for position, index in enumerate(members):
            column = columns[index]
            if index:
                previous = columns[index - 1]
                continued = position == 0
                sources = [ARROW_LINE] if continued else [k * BOX_HEIGHT + ARROW_LINE for k in range(len(previous))]
                targets = [(k * BOX_HEIGHT + ARROW_LINE, _edge_kind(box.edge)) for k, box in enumerate(column)]
                for text, gap in zip(block, _draw_gap(sources, targets, height, continued), strict=True):
                    text.append_text(gap)
            x = block[0].cell_len
            drawn = [line for box in column for line in _draw_box(box, contents[index])]
            blank = " " * (contents[index] + 4)
            for r, text in enumerate(block):
                text.append_text(drawn[r] if r < len(drawn) else Text(blank))
            placed += [(x, box) for box in column]
        out += [text for text in block]
        out += _notes(placed, direction, width)
    return [_crop(line, requested) for line in out]


def _coerce(graph: nx.DiGraph | dict[str, Any] | None) -> nx.DiGraph | None:
    if graph is None or isinstance(graph, nx.DiGraph):
        return graph
    if isinstance(graph, dict):
        return from_node_link(graph) if graph.get("nodes") else None
    raise TypeError(f"PathGraph shows a networkx DiGraph or node-link dict, not {type(graph).__name__}")


def layout_graph(graph: nx.DiGraph | dict[str, Any] | None, width: int) -> list[str | Text]:
    """The whole drawing: the verdict, the forward path, then the return path, and a legend."""
    graph = _coerce(graph)
    if graph is None or graph.number_of_nodes() == 0:
        return [Text(EMPTY_SENTENCE, style="dim italic")]
    forward, back = path_rows(graph)
    out: list[str | Text] = []
    summary = str(graph.graph.get("summary") or "")
    if summary:
        style = {"blocked": "bold red", "conditional": "bold yellow"}.get(str(graph.graph.get("verdict")), "bold")
        out += [Text(line, style=style) for line in textwrap.wrap(summary, width, break_on_hyphens=False)] + [""]
    titles = {**PATH_TITLES, **(graph.graph.get("titles") or {})}
    for title, rows in ((titles["forward"], forward), (titles["return"], back)):
        if rows:
            out += [Text(title, style="bold underline"), *layout_path(rows, width), ""]
    if graph.graph.get("legend") == "components":
        legend = Text.assemble(("■ ok", "green"), "  ", ("■ warning", "yellow"), "  ", ("■ at fault", "bold red"),
                               style="dim")
    else:
        legend = Text.assemble(("■ ok", "green"), "  ", ("■ partial", "yellow"), "  ", ("■ blocked", "bold red"),
                               "  ", ("✖▶ packets dropped here", "bold red"), style="dim")
    if any(d.get("certainty") == "conditional" for _, d in graph.nodes(data=True)):
        legend.append_text(Text.assemble("  ", ("? conditional: only some kinds of client", "yellow")))
    out.append(legend)
    return [_crop(line, width) for line in out]


def _crop(line: str | Text, width: int) -> str | Text:
    """Nothing may spill past the width, whatever the data: a narrow pane crops rather than wraps boxes."""
    if isinstance(line, str):
        return line[:width]
    return line[:width] if line.cell_len > width else line


class PathGraph(ScrollView, can_focus=True):
    """The reachability graph of an ssh-timeout run, drawn with boxes and arrows; scrolls with the keys."""

    HELP = """\
## Path graph

The packets' way to the instance (**forward path**) and the replies' way back (**return path**),
left to right. Each box is one component: its kind on top (internet gw, route table, network ACL,
security group, ENI, instance) and its ID below. Parallel security groups are stacked in one column:
any one of them may admit the traffic.

- **Green** box: the component lets the traffic through.
- **Yellow** box (`!`): it admits only part of the sources, or something deserves a look. A note
  starting with `?` is conditional: the component drops the packets only for some kinds of client
  (a network ACL that lets replies out to some ephemeral ports), and the note names them.
- **Red** box with a heavy border (`✖`): the component at fault. The red arrow `✖▶` into it is
  where the packets are dropped, and the rule that drops them is written under the box.
- A line starting with `↪` continues the path from the line above.

A network ACL can be red on the forward path although the request got in: ACLs are stateless,
and the note under the box says which path it drops.

Scroll with the arrow keys, Page Up/Down, Home and End.
"""

    DEFAULT_CSS = """
    PathGraph {
        height: 1fr;
        min-height: 3;
        background: $surface;
        scrollbar-gutter: stable;
    }
    PathGraph:focus {
        background-tint: $foreground 3%;
    }
    """

    graph: reactive[nx.DiGraph | None] = reactive(None, always_update=True, layout=False)

    def __init__(self, graph: nx.DiGraph | dict[str, Any] | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Text] = []
        self._strips: dict[int, Strip] = {}
        self._laid_out_width = 0
        self.set_reactive(PathGraph.graph, _coerce(graph))

    # --- public API ---

    def show(self, graph: nx.DiGraph | dict[str, Any] | None) -> None:
        """Draw this graph (a DiGraph, or the node-link dict a transcript keeps); None clears it."""
        self.graph = _coerce(graph)

    @property
    def lines(self) -> list[Text]:
        """What is drawn, one Text per line, at the current width."""
        if not self._lines:
            self._relayout()
        return list(self._lines)

    @property
    def plain(self) -> str:
        """The drawing as plain text: handy for tests and for copying."""
        return "\n".join(line.plain.rstrip() for line in self.lines)

    # --- drawing ---

    def watch_graph(self) -> None:
        self._relayout()
        self.scroll_home(animate=False)

    def on_resize(self) -> None:
        if self._draw_width() != self._laid_out_width:
            self._relayout()

    def _draw_width(self) -> int:
        # Before the first layout there is no size yet: draw for the 120 columns the app is made for.
        return self.scrollable_content_region.width or self.size.width or 120

    def _relayout(self) -> None:
        width = self._draw_width()
        self._laid_out_width = width
        self._lines = [Text(line) if isinstance(line, str) else line for line in layout_graph(self.graph, width)]
        self._strips.clear()
        widest = max((line.cell_len for line in self._lines), default=0)
        self.virtual_size = Size(widest, len(self._lines))
        self.refresh()

    def _console(self) -> Console:
        try:
            return self.app.console
        except Exception:  # no app (a test drawing the widget alone)
            return Console(width=self._laid_out_width or 120)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            # Text.render drops a Text's own style when it has no spans: carry it over as a span.
            text = Text()
            text.append_text(self._lines[index])
            segments = [seg for seg in text.render(self._console()) if seg.text != "\n"]
            strip = self._strips[index] = Strip(segments, text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base or Style())


__all__ = ["EMPTY_SENTENCE", "PathGraph", "abbreviate", "layout_graph", "layout_path"]
