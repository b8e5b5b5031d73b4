"""The reachability graph and the AWS call log widgets: the drawing itself (pure, no app), then each
widget mounted in a tiny app as a person would see it, and one SVG snapshot of the graph."""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rich.text import Text
from textual.app import App, ComposeResult

# The reachability tests' small world builds real graphs through the evaluator.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reachability"))

from world import (
    ACL,
    CLIENT,
    ENI,
    IGW,
    INSTANCE,
    RTB_MAIN,
    SG,
    World,
    nacl_entry,
    permission,
    security_group,
)

from diagnostics.reachability import path_rows
from diagnostics.reachability.graph import from_node_link
from tui.widgets.call_log import CallLog
from tui.widgets.path_graph import EMPTY_SENTENCE, PathGraph, abbreviate, layout_graph, layout_path

pytestmark = pytest.mark.tui

SNAPSHOT_GRAPH = Path(__file__).with_name("snapshot_apps") / "nacl_return_graph.json"
FORWARD_IDS = [CLIENT, IGW, RTB_MAIN, ACL, SG, ENI, INSTANCE]
RETURN_IDS = [INSTANCE, ENI, ACL, RTB_MAIN, IGW, CLIENT]
NACL_RULE = "no rule allows tcp ports 1024-65535"


def nacl_return_blocked() -> nx.DiGraph:
    """The ssh-nacl-return-traffic fault: SSH gets in, the ACL's outbound rules drop the replies."""
    world = World()
    world.set_acl_entries(nacl_entry(100), nacl_entry(100, egress=True, protocol="6", ports=(80, 443)))
    return world.evaluate().graph()


def two_security_groups(second_admits: bool = True) -> nx.DiGraph:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    admits = "203.0.113.0/24" if second_admits else "192.0.2.0/24"
    world.groups.append(security_group("sg-0ops", "ops", [permission(cidrs=(admits,))], []))
    world.eni["Groups"].append({"GroupId": "sg-0ops", "GroupName": "ops"})
    return world.evaluate().graph()


def real_ids_graph() -> nx.DiGraph:
    """A sandbox run's graph: full-length AWS IDs, as a user sees them."""
    return from_node_link(json.loads(SNAPSHOT_GRAPH.read_text()))


def plain(lines: list[str | Text]) -> list[str]:
    return [line.plain if isinstance(line, Text) else line for line in lines]


def box_positions(lines: list[str], ident: str) -> tuple[int, int]:
    """(line, column) of the box showing ``ident``: the ID line inside a box border, not a note."""
    for y, line in enumerate(lines):
        for border in ("│ ", "┃ "):
            x = line.find(border + ident + " ")
            if x >= 0:
                return y, x
    raise AssertionError(f"no box shows {ident}:\n" + "\n".join(lines))


def widest(lines: list[str | Text]) -> int:
    return max(line.cell_len if isinstance(line, Text) else len(line) for line in lines)


# --- layout_path: the drawing, without an app ---------------------------------------------------


def test_forward_boxes_run_client_to_instance_and_return_back() -> None:
    forward, back = path_rows(nacl_return_blocked())
    for rows, ids in ((forward, FORWARD_IDS), (back, RETURN_IDS)):
        lines = plain(layout_path(rows, 120))
        positions = [box_positions(lines, ident) for ident in ids]
        assert positions == sorted(positions), positions  # left to right, wrapped lines below
        assert widest(lines) <= 120


def test_arrows_join_the_boxes_and_the_dropping_one_is_red_with_a_cross() -> None:
    _, back = path_rows(nacl_return_blocked())
    lines = layout_path(back, 120)
    texts = plain(lines)
    y, x = box_positions(texts, ACL)
    kind_line = texts[y - 1]
    assert "✖▶┃ ✖ network ACL" in kind_line  # the arrow into the ACL drops the replies
    boxes = texts[y - 2].count("┌") + texts[y - 2].count("┏")
    assert kind_line.count("▶") == boxes - (0 if kind_line.startswith("↪") else 1)  # an arrow into every box
    cross = kind_line.index("✖▶")
    styles = [str(span.style) for span in lines[y - 1].spans if span.start <= cross < span.end]
    assert any("red" in style for style in styles), styles
    # The box of the component at fault is red, with a heavy border that shows without colour too.
    assert texts[y - 2][x] == "┏" and texts[y + 1][x] == "┗"
    border = [str(s.style) for s in lines[y - 2].spans if s.start <= x < s.end]
    assert any("red" in style for style in border), border


def test_the_blocking_rule_is_written_under_the_blocked_box() -> None:
    graph = nacl_return_blocked()
    _, back = path_rows(graph)
    texts = plain(layout_path(back, 120))
    y, _ = box_positions(texts, ACL)
    below = "\n".join(texts[y + 2:])
    assert ACL in below and NACL_RULE in " ".join(below.split())
    assert graph.edges[ENI, ACL]["rule"].split()[0] in below


def test_the_forward_path_says_which_path_its_red_box_blocks() -> None:
    forward, _ = path_rows(nacl_return_blocked())
    text = "\n".join(plain(layout_path(forward, 120)))
    assert f"✖ {ACL} blocks the return path" in text
    assert "✖▶" not in text  # the request itself is let in: no arrow drops it


def test_open_path_has_no_red_and_no_notes() -> None:
    forward, back = path_rows(World().evaluate().graph())
    for rows in (forward, back):
        lines = layout_path(rows, 120)
        assert not any("✖" in line for line in plain(lines))
        assert not any("red" in str(span.style) for line in lines if isinstance(line, Text) for span in line.spans)


@pytest.mark.parametrize("width", [120, 100, 80, 60, 40])
def test_full_length_ids_wrap_to_fit_the_width(width: int) -> None:
    graph = real_ids_graph()
    forward, back = path_rows(graph)
    for rows in (forward, back):
        lines = plain(layout_path(rows, width))
        assert widest(lines) <= width
        assert any(line.startswith("↪") for line in lines)  # seven 25-cell boxes never fit on one line
        for node, _ in rows:
            ident = node["id"] if node["kind"] != "client" else node["label"].split()[-1]
            if width >= 40:
                box_positions(lines, ident)  # every ID still whole


def test_a_whole_graph_fits_120_columns_and_wraps_in_balanced_lines() -> None:
    lines = plain(layout_graph(real_ids_graph(), 120))
    assert widest(lines) <= 120
    forward_rows = [line for line in lines if line.startswith(("│ client", "↪───▶"))]
    # 7 forward boxes: 4 + 3 (never 6 + 1), 6 return boxes: 3 + 3.
    assert len(forward_rows) >= 2
    graph_text = "\n".join(lines)
    assert graph_text.index("Forward path") < graph_text.index("Return path")


def test_ids_are_shortened_in_the_middle_only_when_a_box_cannot_fit() -> None:
    assert abbreviate("acl-95f5b4dea6c570f2d", 30) == "acl-95f5b4dea6c570f2d"
    short = abbreviate("acl-95f5b4dea6c570f2d", 11)
    assert short == "acl-9…0f2d" or (len(short) == 11 and short.startswith("acl-") and short.endswith("f2d"))
    forward, _ = path_rows(real_ids_graph())
    lines = plain(layout_path(forward, 24))
    assert widest(lines) <= 24
    assert any("…" in line for line in lines)


def test_parallel_security_groups_are_stacked_in_one_column() -> None:
    forward, _ = path_rows(two_security_groups())
    lines = plain(layout_path(forward, 120))
    (y1, x1), (y2, x2) = box_positions(lines, SG), box_positions(lines, "sg-0ops")
    assert x1 == x2 and y2 > y1
    arrows = "\n".join(lines)
    assert "┬" in arrows and "└" in arrows  # one arrow fans out to both
    assert widest(lines) <= 120


def test_a_partly_admitting_component_is_yellow_with_its_rule() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    forward, _ = path_rows(world.evaluate(source=None).graph())  # no source given: admits some sources only
    lines = layout_path(forward, 120)
    texts = plain(lines)
    y, x = box_positions(texts, SG)
    assert "! security group" in texts[y - 1]
    assert f"! {SG}: inbound tcp port 22 from 198.51.100.0/24" in "\n".join(texts)
    border = [str(s.style) for s in lines[y - 2].spans if s.start <= x < s.end]
    assert any("yellow" in style for style in border), border
    assert "✖" not in "\n".join(texts)


def test_empty_and_node_link_inputs() -> None:
    assert plain(layout_graph(None, 120)) == [EMPTY_SENTENCE]
    assert plain(layout_graph({}, 120)) == [EMPTY_SENTENCE]
    assert layout_path([], 120) == []
    graph = nacl_return_blocked()
    data = nx.node_link_data(graph, edges="links")
    assert plain(layout_graph(json.loads(json.dumps(data)), 120)) == plain(layout_graph(graph, 120))


# --- PathGraph in an app ---------------------------------------------------------------------------


# The project has no async pytest plugin: each Pilot test runs its own event loop with asyncio.run.


class GraphHost(App[None]):
    CSS = "PathGraph { height: 1fr; }"

    def __init__(self, height: str = "1fr") -> None:
        super().__init__()
        self.graph_height = height

    def compose(self) -> ComposeResult:
        graph = PathGraph(id="graph")
        graph.styles.height = self.graph_height
        yield graph


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as text: the SVG screenshot's text content."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def test_path_graph_shows_a_graph_then_clears() -> None:
    asyncio.run(_path_graph_shows_a_graph_then_clears())


async def _path_graph_shows_a_graph_then_clears() -> None:
    app = GraphHost()
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one(PathGraph)
        await pilot.pause()
        assert EMPTY_SENTENCE in widget.plain
        assert EMPTY_SENTENCE in screen_text(app)

        widget.show(nacl_return_blocked())
        await pilot.pause()
        shown = screen_text(app)
        for ident in (ACL, SG, ENI, INSTANCE, IGW, RTB_MAIN, CLIENT):
            assert ident in shown, ident
        assert NACL_RULE in " ".join(widget.plain.split())
        assert "✖▶" in shown
        # What reaches the terminal keeps the colours: the note under the blocked box is red.
        note = next(y for y, line in enumerate(widget.lines) if line.plain.lstrip().startswith(f"✖ {ACL}:"))
        colours = {seg.style.color.name for seg in widget.render_line(note) if seg.style and seg.style.color}
        assert "red" in colours, colours

        widget.show(None)
        await pilot.pause()
        assert widget.graph is None and EMPTY_SENTENCE in screen_text(app)


def test_path_graph_takes_the_transcripts_node_link_dict() -> None:
    asyncio.run(_path_graph_takes_the_transcripts_node_link_dict())


async def _path_graph_takes_the_transcripts_node_link_dict() -> None:
    app = GraphHost()
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one(PathGraph)
        widget.show(json.loads(SNAPSHOT_GRAPH.read_text()))
        await pilot.pause()
        assert isinstance(widget.graph, nx.DiGraph)
        assert "acl-95f5b4dea6c570f2d" in screen_text(app)
        assert max(line.cell_len for line in widget.lines) <= widget.size.width


def test_path_graph_redraws_for_a_narrow_terminal() -> None:
    asyncio.run(_path_graph_redraws_for_a_narrow_terminal())


async def _path_graph_redraws_for_a_narrow_terminal() -> None:
    app = GraphHost()
    async with app.run_test(size=(70, 40)) as pilot:
        widget = app.query_one(PathGraph)
        widget.show(real_ids_graph())
        await pilot.pause()
        assert max(line.cell_len for line in widget.lines) <= 70
        assert "acl-95f5b4dea6c570f2d" in screen_text(app)


def test_path_graph_scrolls_when_taller_than_its_space() -> None:
    asyncio.run(_path_graph_scrolls_when_taller_than_its_space())


async def _path_graph_scrolls_when_taller_than_its_space() -> None:
    app = GraphHost(height="10")
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one(PathGraph)
        widget.show(real_ids_graph())
        await pilot.pause()
        assert widget.max_scroll_y > 0
        widget.focus()
        await pilot.press("end")
        await pilot.pause()
        assert widget.scroll_y == widget.max_scroll_y
        assert "packets dropped here" in screen_text(app)  # the legend, last line, is now in view
        await pilot.press("home")
        await pilot.pause()
        assert widget.scroll_y == 0


def test_path_graph_help_explains_the_colours() -> None:
    for word in ("red", "Yellow", "Green", "forward path", "return path", "✖"):
        assert word.lower() in PathGraph.HELP.lower(), word


def test_path_graph_snapshot(snap_compare) -> None:
    """The run screen's graph of ssh-nacl-return-traffic at 120x40: the NACL red on both paths, the
    dropping arrow on the return path, the rule under it."""
    assert snap_compare("snapshot_apps/graph_app.py", terminal_size=(120, 40))


# --- CallLog --------------------------------------------------------------------------------------


def api_call(operation: str, service: str = "ec2", error: str | None = None, retries: int = 0,
             duration_ms: float = 12.5, started_at: float = 1_790_000_000.0) -> dict[str, Any]:
    return {"service": service, "operation": operation, "params": {}, "duration_ms": duration_ms,
            "retries": retries, "error": error, "started_at": started_at}


class LogHost(App[None]):
    def compose(self) -> ComposeResult:
        yield CallLog()


def row_text(log: CallLog, index: int) -> list[str]:
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in log.get_row_at(index)]


def test_call_log_appends_rows_with_every_column() -> None:
    asyncio.run(_call_log_appends_rows_with_every_column())


async def _call_log_appends_rows_with_every_column() -> None:
    app = LogHost()
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.query_one(CallLog)
        log.add_call("identity", api_call("GetCallerIdentity", service="sts"))
        log.add_call("network-acl", api_call("DescribeNetworkAcls", error="UnauthorizedOperation", retries=2,
                                             duration_ms=1234.4))
        log.add_call(None, api_call("DescribeRegions"))
        log.add_call("saturation", api_call("GetMetricData", service="cloudwatch"),
                     step_title="Is it out of CPU, memory, credits or I/O?")
        await pilot.pause()
        assert log.row_count == 4
        assert row_text(log, 3)[1] == "Is it out of CPU, memory,…", "a long title ends at a word, not mid-word"
        clock = time.strftime("%H:%M:%S", time.localtime(1_790_000_000.0))
        assert row_text(log, 0) == [clock, "identity", "sts", "GetCallerIdentity", "12", "", "ok"]
        assert row_text(log, 1) == [clock, "network-acl", "ec2", "DescribeNetworkAcls", "1,234", "2",
                                    "UnauthorizedOperation"]
        assert row_text(log, 2)[1] == "–"
        outcome = log.get_row_at(1)[-1]
        assert isinstance(outcome, Text) and "red" in str(outcome.style)
        shown = screen_text(app)
        assert "DescribeNetworkAcls" in shown and "UnauthorizedOperation" in shown
        assert log.summary == "4 calls, 1 failed"


def test_call_log_follows_the_newest_call_unless_the_user_looked_up() -> None:
    asyncio.run(_call_log_follows_the_newest_call_unless_the_user_looked_up())


async def _call_log_follows_the_newest_call_unless_the_user_looked_up() -> None:
    app = LogHost()
    async with app.run_test(size=(120, 12)) as pilot:
        log = app.query_one(CallLog)
        for n in range(40):
            log.add_call("instance", api_call(f"Describe{n:02d}"))
        await pilot.pause()
        assert log.cursor_row == 39 and log.scroll_y > 0 and log.scroll_y == log.max_scroll_y
        assert "Describe39" in screen_text(app)  # newest at the bottom, in view

        log.focus()
        await pilot.press("up", "up")
        log.add_call("instance", api_call("DescribeLater"))
        await pilot.pause()
        assert log.cursor_row == 37  # reading an older row: the log does not jump away
        await pilot.press("end", "ctrl+end")
        log.add_call("instance", api_call("DescribeLast"))
        await pilot.pause()
        assert log.cursor_row == log.row_count - 1 == 41


def test_call_log_filter_is_a_case_insensitive_substring() -> None:
    asyncio.run(_call_log_filter_is_a_case_insensitive_substring())


async def _call_log_filter_is_a_case_insensitive_substring() -> None:
    app = LogHost()
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.query_one(CallLog)
        log.add_call("identity", api_call("GetCallerIdentity", service="sts"))
        log.add_call("security-groups", api_call("DescribeSecurityGroups"))
        log.add_call("network-acl", api_call("DescribeNetworkAcls", error="UnauthorizedOperation"))
        log.set_filter("UNAUTHORIZED")
        await pilot.pause()
        assert [call["operation"] for _, call in log.visible_calls] == ["DescribeNetworkAcls"]
        assert log.row_count == 1
        log.set_filter("STS")
        await pilot.pause()
        assert row_text(log, 0)[3] == "GetCallerIdentity"
        log.set_filter("describe")
        log.add_call("route-table", api_call("DescribeRouteTables"))
        log.add_call("identity", api_call("GetCallerIdentity", service="sts"))  # filtered out as it comes
        await pilot.pause()
        assert log.row_count == 3 and "match 'describe'" in log.summary
        assert "GetCallerIdentity" not in screen_text(app)
        log.set_filter("")
        await pilot.pause()
        assert log.row_count == 5 == len(log.calls)
        log.clear_calls()
        await pilot.pause()
        assert log.row_count == 0 and log.summary == "0 calls"


def test_call_log_help_names_the_columns() -> None:
    for word in ("service", "operation", "retries", "outcome", "/"):
        assert word in CallLog.HELP
