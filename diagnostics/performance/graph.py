"""The request path of a slow-performance diagnosis as a graph the path drawings understand.

The drawings (the TUI's path pane, the HTML export's SVG, the Markdown export's Mermaid) read the shape
:mod:`diagnostics.reachability.graph` documents: nodes with ``kind``, ``label`` and ``status`` (ok |
warning | blocked), edges with a ``direction``, and ``graph.graph["paths"]`` holding each direction's
stages in order. A request path has one direction, front to back: a load balancer calls its target
groups, a target group its targets, an API its integrations; components that share a caller stack in
one stage. Beside that shape it sets:

- ``graph.graph["titles"]``: the heading of each drawn path ("Request path ...", not "client to instance");
- ``graph.graph["legend"] = "components"``: the colours mean "slower" and "at fault", not dropped packets;
- node ``name`` (what the box shows) and ``note`` (the finding's summary, under an amber or red box);
- edge ``relation = "calls"`` (the Mermaid arrow's words).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from diagnostics.findings import Finding
from diagnostics.performance.components import Component
from diagnostics.text import shorten

if TYPE_CHECKING:
    import networkx as nx

TITLE = "Request path: front to back, each box calls the next"
RANK = {"ok": 0, "warning": 1, "blocked": 2}
STATUS_OF_SEVERITY = {"error": "blocked", "warning": "warning"}


def component_graph(path: Sequence[Component], findings: Iterable[Finding] = ()) -> nx.DiGraph:
    """``path`` (front first, each component after its caller) as a drawable graph; a component a finding
    names (by ARN, ID or key) is amber for a warning and red for an error, with the finding's summary."""
    import networkx as nx  # imported when a path is drawn: ~150 ms less before the first call

    marks: dict[str, tuple[str, str]] = {}
    names = {c.key: {c.key, c.id, c.resource} - {""} for c in path}
    for finding in findings:
        status = STATUS_OF_SEVERITY.get(finding.severity)
        if status is None:
            continue
        for key, aliases in names.items():
            if finding.resource in aliases and RANK[status] > RANK[marks.get(key, ("ok", ""))[0]]:
                marks[key] = (status, shorten(_first_sentence(finding.summary), 160))
    graph = nx.DiGraph(titles={"forward": TITLE}, legend="components")
    depth: dict[str, int] = {}
    for comp in path:
        depth[comp.key] = depth[comp.parent] + 1 if comp.parent in depth else 0
        status, note = marks.get(comp.key, ("ok", ""))
        graph.add_node(comp.key, kind=comp.kind, name=comp.name, label=comp.label, resource=comp.resource,
                       status=status, **({"note": note} if note else {}))
        if comp.parent in depth:
            graph.add_edge(comp.parent, comp.key, direction="forward", verdict="allow", relation="calls")
    stages = [[key for key, d in depth.items() if d == level] for level in range(max(depth.values(), default=-1) + 1)]
    graph.graph["paths"] = {"forward": stages, "return": []}
    return graph


def _first_sentence(text: str) -> str:
    head, dot, _rest = text.partition(". ")
    return head + "." if dot else text
