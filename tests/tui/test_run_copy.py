"""Every copy key answers, the fix is in view before long conditions, commands wrap where a person can read them,
and the path line says when a hop blocks only under a condition."""

from __future__ import annotations

import copy

import pytest
from test_run_screen import ALTERNATIVES, open_replay, recorded_events
from textual.widgets import Static
from tui_pilot import plain

from tui.screens.run import finding_detail, path_summary, wrap_command
from tui.widgets.filter_list import FilterList

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]

POLICY = ("aws iam create-policy-version --policy-arn arn:aws:iam::123456789012:policy/app-read --set-as-default "
          "--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
          "[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::reports-123456789012\","
          "\"arn:aws:s3:::reports-123456789012/*\"]}]}'")


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("width", [60, 76, 196])
def test_commands_wrap_at_spaces_and_commas_never_inside_a_word(width) -> None:
    lines = wrap_command(POLICY, width)
    assert all(len(line) <= width for line in lines)
    for line in lines[:-1]:
        assert line.endswith(" \\") or line.endswith(","), line
    rebuilt = ""
    for line in lines:
        piece = line.strip()
        if rebuilt and not rebuilt.endswith(","):
            rebuilt += " "
        rebuilt += piece.removesuffix(" \\")
    assert rebuilt == POLICY  # nothing lost or added but the line breaks


def test_the_fix_comes_before_a_long_condition() -> None:
    finding = {"severity": "error", "code": "SUBNET_ACL_RESTRICTION", "resource": "acl-0abc",
               "summary": "The network ACL drops replies to some clients. Network ACLs are stateless. " * 3,
               "certainty": "conditional",
               "condition": "Only clients whose ephemeral ports fall outside 32768-60999. " * 6,
               "remediation": ["aws ec2 create-network-acl-entry --network-acl-id acl-0abc --egress"]}
    text = plain(Static(finding_detail(finding)))
    assert text.index("The network ACL drops") < text.index("create-network-acl-entry") < text.index("stateless") \
        < text.index("Conditional:")  # the summary's first sentence, the fix, then the rest and the condition


def test_the_path_line_says_when_a_hop_blocks_only_under_a_condition() -> None:
    graph = {"directed": True, "multigraph": False, "graph": {}, "nodes": [
        {"id": "client", "kind": "client"}, {"id": "acl-0abc", "kind": "nacl"}, {"id": "i-0abc", "kind": "instance"}],
        "links": [
            {"source": "client", "target": "acl-0abc", "direction": "forward", "verdict": "allow"},
            {"source": "acl-0abc", "target": "i-0abc", "direction": "forward", "verdict": "allow"},
            {"source": "i-0abc", "target": "acl-0abc", "direction": "return", "verdict": "allow",
             "certainty": "conditional", "partial": True},
            {"source": "acl-0abc", "target": "client", "direction": "return", "verdict": "allow"}]}
    line = path_summary(graph).plain
    assert "return ? conditional at" in line and "acl-0abc" in line and "return ✔" not in line


async def test_c_on_a_step_without_findings_and_a_missing_alternative_say_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, recorded_events(ALTERNATIVES))
        steps = screen.query_one("#steps", FilterList)
        steps.focus_list()
        await pilot.press("home", "enter")
        assert screen._finding() is None
        await pilot.press("c")
        assert screen.copied is None
        assert any("No fix for this step; select a finding" in m for m in messages(app))
        screen._select_finding(0)
        await pilot.press("5")
        assert screen.copied is None and any("no alternative 5" in m for m in messages(app))


async def test_a_review_only_fix_is_not_claimed_as_a_copy(make_app) -> None:
    events = recorded_events()
    for event in events:
        if event["type"] == "finding":
            event["finding"]["remediation"] = ["# Review who may be exempt from the MFA guard before changing it"]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, events)
        assert "a review: nothing to copy" in plain(screen.query_one("#finding-detail", Static))
        await pilot.press("c")
        assert screen.copied is None
        said = messages(app)
        assert any("primary fix is a review, not a command: Review who may be exempt" in m for m in said)
        assert not any("Copied" in m or "clipboard" in m for m in said)


async def test_a_copy_says_osc_52_once_and_is_saved_to_a_file(make_app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, copy.deepcopy(recorded_events(ALTERNATIVES)))
        await pilot.press("c")
        saved = tmp_path / "last-copied-fix.sh"
        assert screen.copied and saved.read_text() == screen.copied
        await pilot.press("c")
        said = [m for m in messages(app) if "clipboard" in m]
        assert len(said) == 2 and "OSC 52" in said[0] and "OSC 52" not in said[1] and str(saved) in said[0]


def with_graph(graph: dict) -> list[dict]:
    """The recorded run's events with ``graph`` drawn in place of its network path."""
    events = recorded_events()
    for event in events:
        if event["type"] == "graph":
            event["graph"] = graph
    return events


async def test_a_component_graph_is_a_list_and_no_path_drawing_is_offered(make_app) -> None:
    components = {"directed": True, "multigraph": False, "graph": {}, "nodes": [
        {"id": "alb", "label": "load balancer web", "kind": "alb"},
        {"id": "tg", "label": "target group web-tg", "kind": "target_group"},
        {"id": "i-1", "label": "instance i-0abc", "kind": "instance"}],
        "links": [{"source": "alb", "target": "tg"}, {"source": "tg", "target": "i-1"}]}
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, with_graph(components))
        summary = plain(screen.query_one("#path-summary", Static))
        assert "Components: load balancer web → target group web-tg → instance i-0abc" in summary
        assert screen.check_action("toggle_graph", ()) is False
        assert "SSH" not in summary and not screen.query_one("#graph").display
        await pilot.press("p")
        assert not screen.query_one("#graph").display


async def test_a_drawn_request_path_keeps_its_components_line_and_p_opens_its_drawing(make_app) -> None:
    """slow-performance's request path (diagnostics.performance.graph): the line above the footer lists the
    components front to back, and `p` opens the drawing with the component at fault in red."""
    import networkx as nx

    from diagnostics.findings import Finding
    from diagnostics.performance.components import Component
    from diagnostics.performance.graph import component_graph
    from tui.widgets.path_graph import PathGraph

    path = [Component("alb", "web", "web"), Component("target-group", "web-tg", "web-tg", parent="alb:web"),
            Component("ec2", "i-0abc12345678def01", "i-0abc12345678def01", parent="target-group:web-tg")]
    slower = Finding("LATENCY_REGRESSION", "error", "web-tg", "target group web-tg got slower: p90 1,640 ms.")
    drawn = nx.node_link_data(component_graph(path, [slower]), edges="links")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, with_graph(drawn))
        summary = plain(screen.query_one("#path-summary", Static))
        assert summary.startswith("Components: ") and "target group web-tg" in summary and "forward" not in summary
        assert screen.check_action("toggle_graph", ()) is True
        await pilot.press("p")
        graph = screen.query_one("#graph", PathGraph)
        assert graph.display
        text = graph.plain
        assert text.startswith("Request path") and "✖ web-tg: target group web-tg got slower" in text
