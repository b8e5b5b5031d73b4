"""The request path of slow-performance as a drawable graph (diagnostics.performance.graph), and the
three drawings of it: the TUI's path pane, the HTML export's SVG and the Markdown export's Mermaid."""

from __future__ import annotations

from diagnostics.findings import Finding
from diagnostics.performance.components import Component
from diagnostics.performance.graph import component_graph
from diagnostics.reachability.graph import to_mermaid
from playbooks.exporters import export
from playbooks.transcript import Transcript
from tui.widgets.path_graph import layout_graph

ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-web/0d22d3a9da01aee0"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api/61c6d94fb6d858e4"
PATH = [
    Component("alb", "shop-web", "shop-web", arn=ALB),
    Component("target-group", "shop-api", "shop-api", arn=TG, parent="alb:shop-web"),
    Component("ec2", "i-0abc12345678def01", "i-0abc12345678def01", parent="target-group:shop-api"),
    Component("ec2", "i-0abc12345678def02", "i-0abc12345678def02", parent="target-group:shop-api"),
]
SLOWER = Finding("LATENCY_REGRESSION", "error", TG, "target group shop-api got slower: p90 1,640 ms now against "
                 "260 ms at baseline (6.3x). Slower too, but only because of what is below them: shop-web.")
BUSY = Finding("EC2_CPU_SATURATED", "warning", "i-0abc12345678def02", "i-0abc12345678def02 ran at 97% CPU.")


def test_stages_follow_the_callers_and_targets_of_one_caller_share_a_stage() -> None:
    graph = component_graph(PATH)
    assert graph.graph["paths"] == {"forward": [["alb:shop-web"], ["target-group:shop-api"],
                                                ["ec2:i-0abc12345678def01", "ec2:i-0abc12345678def02"]],
                                    "return": []}
    assert all(d["direction"] == "forward" and d["relation"] == "calls" for _u, _v, d in graph.edges(data=True))
    assert {n: d["status"] for n, d in graph.nodes(data=True)} == dict.fromkeys(graph.nodes, "ok")


def test_a_component_a_finding_names_by_arn_or_id_is_red_for_an_error_and_amber_for_a_warning() -> None:
    info = Finding("NOTE", "info", ALB, "shop-web serves 40 requests a second.")
    graph = component_graph(PATH, [info, SLOWER, BUSY])
    status = {n: d["status"] for n, d in graph.nodes(data=True)}
    assert status == {"alb:shop-web": "ok", "target-group:shop-api": "blocked", "ec2:i-0abc12345678def01": "ok",
                      "ec2:i-0abc12345678def02": "warning"}
    assert graph.nodes["target-group:shop-api"]["note"] == ("target group shop-api got slower: p90 1,640 ms now "
                                                            "against 260 ms at baseline (6.3x).")
    assert "note" not in graph.nodes["alb:shop-web"]


def test_the_worse_of_two_findings_on_one_component_colours_it() -> None:
    warned = Finding("X", "warning", TG, "shop-api is busy.")
    assert component_graph(PATH, [SLOWER, warned]).nodes["target-group:shop-api"]["status"] == "blocked"
    assert component_graph(PATH, [warned, SLOWER]).nodes["target-group:shop-api"]["status"] == "blocked"


def test_the_tui_draws_the_boxes_by_name_with_the_findings_words_and_its_own_legend() -> None:
    lines = [line.plain if hasattr(line, "plain") else line for line in layout_graph(component_graph(PATH, [SLOWER]),
                                                                                      80)]
    text = "\n".join(lines)
    assert lines[0] == "Request path: front to back, each box calls the next"
    assert "Forward path" not in text and "client to instance" not in text
    assert "shop-api" in text and "i-0abc12345678def02" in text
    assert "✖ shop-api: target group shop-api got slower" in text
    assert lines[-1].startswith("■ ok  ■ warning  ■ at fault") and "packets dropped" not in text


def test_the_html_export_draws_every_box_and_the_note_and_mermaid_says_calls() -> None:
    import networkx as nx

    graph = component_graph(PATH, [SLOWER])
    transcript = Transcript(playbook="slow-performance", title="Something is slow",
                            graph=nx.node_link_data(graph, edges="links"))
    page = export(transcript, "html")
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "Request path: front to back" in svg and "client to instance" not in svg
    assert svg.count("<rect") == 4 and "target group shop-api got slower" in svg
    assert '-->|"calls"|' in to_mermaid(graph) and "request: allow" not in to_mermaid(graph)
