"""The path as a graph: the forward path and the return path through every component.

Nodes are keyed by the component's ID (so the ``id`` that ``node_link_data`` writes is the ID) and
carry ``id``, ``kind``, ``label``, ``status`` (ok | blocked | warning), ``certainty`` and
``condition`` (see edges), and ``stage`` (the position on each path, ``{"forward": i, "return": j}``;
parallel security groups share one). ``kind`` is one of client, source_eni, source_security_group,
source_network_acl, source_route_table (the client's own side, when it is a network interface this account can see),
internet_gateway, gateway (a peering connection or transit gateway on a private path), transit_gateway
(the transit gateway route table that routes the packets), route_table,
network_acl, security_group, eni, instance.

Edges carry ``direction`` (forward | return), ``verdict`` (allow | deny), ``partial`` (allowed for
part of the sources only), ``rule`` (the rule or route that admits or drops the packets), and
``certainty`` (``conditional`` when the hop drops the packets only for some kinds of client, which
``condition`` names in words).

The forward path runs client -> (the client's ENI, groups and subnet ACL) -> gateway -> route table
-> network ACL -> security groups -> ENI -> instance, the return path the other way round; both
share the component nodes, and ``graph.graph["paths"]`` keeps each path's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from diagnostics.text import shorten

if TYPE_CHECKING:
    from diagnostics.reachability.evaluate import Hop, PathResult

# The client's own side (its ENI, its groups, its subnet's ACL) appears when the source resolved to a
# network interface this account can see.
FORWARD_ORDER = ("client", "source_eni", "source_security_group", "source_network_acl", "source_route_table",
                 "transit_gateway", "gateway", "route_table", "network_acl", "security_group", "eni", "instance")
RETURN_ORDER = ("instance", "eni", "network_acl", "route_table", "gateway", "transit_gateway", "source_network_acl",
                "source_eni", "client")
KIND_SLOT = {"internet_gateway": "gateway"}
DIRECTIONS = ("forward", "return")
STATUS_RANK = {"blocked": 0, "warning": 1, "ok": 2}


def _slot(kind: str) -> str:
    return KIND_SLOT.get(kind, kind)


def build_graph(result: PathResult) -> nx.DiGraph:
    hops: list[Hop] = result.hops
    graph = nx.DiGraph(verdict=result.verdict, summary=result.summary, path_kind=result.path_kind)
    status: dict[str, str] = {}
    for hop in hops:
        worst = {"deny": "blocked", "warn": "warning"}.get(hop.verdict, "ok")
        status[hop.node] = min(worst, status.get(hop.node, "ok"), key=STATUS_RANK.__getitem__)
    # Nodes go in in path order (client first), so drawings read from left to right.
    slot_rank = {slot: i for i, slot in enumerate(FORWARD_ORDER)}
    for hop in sorted(hops, key=lambda h: slot_rank.get(_slot(h.kind), len(slot_rank))):
        if hop.node not in graph:
            graph.add_node(hop.node, id=hop.node, kind=hop.kind, label=hop.label, status=status[hop.node],
                           certainty="certain", condition="")
        if hop.condition and status[hop.node] != "blocked":
            # Dropped only for some kinds of client: the drawing says so and names them.
            graph.nodes[hop.node].update(certainty="conditional", condition=hop.condition)

    paths: dict[str, list[list[str]]] = {}
    for direction, order in (("forward", FORWARD_ORDER), ("return", RETURN_ORDER)):
        mine = [h for h in hops if h.direction == direction]
        stages: list[list[Hop]] = []
        for slot in order:
            group = [h for h in mine if _slot(h.kind) == slot]
            if not group and slot == order[0]:
                # The return path starts at the instance, which has no hop of its own there.
                group = [h for h in hops if _slot(h.kind) == slot][:1]
            if group:
                stages.append(group)
        for index, group in enumerate(stages):
            for hop in group:
                graph.nodes[hop.node].setdefault("stage", {})[direction] = index
            if index == 0:
                continue
            for prev in stages[index - 1]:
                for hop in group:
                    graph.add_edge(prev.node, hop.node, direction=direction,
                                   verdict="deny" if hop.verdict == "deny" else "allow",
                                   partial=hop.verdict == "warn", rule=hop.rule,
                                   certainty="conditional" if hop.condition else "certain",
                                   condition=hop.condition)
        paths[direction] = [list(dict.fromkeys(h.node for h in g)) for g in stages]
    graph.graph["paths"] = paths
    return graph


def to_node_link(graph: nx.DiGraph) -> dict[str, Any]:
    return nx.node_link_data(graph, edges="links")


def from_node_link(data: dict[str, Any]) -> nx.DiGraph:
    graph = nx.node_link_graph(data, directed=True, multigraph=False, edges="links")
    for node, attrs in graph.nodes(data=True):
        attrs.setdefault("id", node)  # node_link_data stores the key as "id" and drops the attribute
    return graph


def _paths(graph: nx.DiGraph) -> dict[str, list[list[str]]]:
    paths = graph.graph.get("paths")
    if paths:
        return paths
    # A graph without recorded paths: walk each direction's edges from where they start.
    out: dict[str, list[list[str]]] = {}
    for direction in DIRECTIONS:
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d.get("direction") == direction]
        targets = {v for _, v in edges}
        start = [u for u, _ in edges if u not in targets][:1]
        if not start and edges:
            start = [edges[0][0]]
        order: list[list[str]] = []
        seen: set[str] = set()
        frontier = start
        while frontier:
            order.append(frontier)
            seen.update(frontier)
            frontier = list(dict.fromkeys(v for u, v in edges if u in frontier and v not in seen))
        out[direction] = order
    return out


Row = tuple[dict[str, Any], dict[str, Any] | None]


def path_rows(graph: nx.DiGraph) -> tuple[list[Row], list[Row]]:
    """The forward and the return path, each as ordered (node attributes, incoming edge attributes)
    rows for drawing boxes and arrows; the first row of a path has no incoming edge. Parallel
    security groups are consecutive rows with the same ``stage``."""
    paths = _paths(graph)
    result: list[list[Row]] = []
    for direction in DIRECTIONS:
        rows: list[Row] = []
        stages = paths.get(direction, [])
        for index, group in enumerate(stages):
            for node in group:
                attrs = {"id": node, **graph.nodes[node]}
                attrs["stage"] = index
                edge = None
                if index > 0:
                    for prev in stages[index - 1]:
                        data = graph.get_edge_data(prev, node)
                        if data is not None and data.get("direction") == direction:
                            edge = {"source": prev, "target": node, **data}
                            break
                rows.append((attrs, edge))
        result.append(rows)
    return result[0], result[1]


def _quote(text: str, limit: int = 80) -> str:
    return shorten(text, limit).replace('"', "#quot;").replace("|", "#124;")


def to_mermaid(graph: nx.DiGraph) -> str:
    """A Mermaid flowchart of both paths; blocked components in red, partial ones in amber, and the
    arrows that drop the packets dashed and red."""
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node, data in graph.nodes(data=True):
        kind = str(data.get("kind", "")).replace("_", " ")
        label = _quote(data.get("label") or node)
        lines.append(f'    {ids[node]}["{_quote(kind)}<br/>{label}"]')
    red_links: list[int] = []
    for index, (u, v, data) in enumerate(graph.edges(data=True)):
        verdict = data.get("verdict", "allow")
        direction = data.get("direction", "")
        words = data.get("relation") or f"{'reply' if direction == 'return' else 'request'}: {verdict}"
        if data.get("certainty") == "conditional":
            words += " (conditional: some kinds of client)"
        elif data.get("partial"):
            words += " (part)"
        if verdict == "deny" and data.get("rule"):
            words += f" - {data['rule']}"
        arrow = "-.->" if verdict == "deny" else "-->"
        lines.append(f'    {ids[u]} {arrow}|"{_quote(words, 90)}"| {ids[v]}')
        if verdict == "deny":
            red_links.append(index)
    lines.append("    classDef blocked fill:#fde2e2,stroke:#c62828,stroke-width:2px,color:#7f1d1d")
    lines.append("    classDef warning fill:#fff4d6,stroke:#b26a00,color:#5c3b00")
    lines.append("    classDef ok fill:#e7f5e9,stroke:#2e7d32,color:#1b4d1f")
    for status in ("blocked", "warning", "ok"):
        members = [ids[n] for n, d in graph.nodes(data=True) if d.get("status", "ok") == status]
        if members:
            lines.append(f"    class {','.join(members)} {status}")
    if red_links:
        lines.append(f"    linkStyle {','.join(map(str, red_links))} stroke:#c62828,stroke-width:2px")
    return "\n".join(lines) + "\n"
