"""The network reachability engine behind the SSH-timeout playbook.

``collect`` fetches the path to one instance into a typed ``Snapshot``; ``evaluate`` decides, with
AWS semantics, whether a client reaches the instance on a port and names every component that drops
the packets; ``graph`` draws the forward and return paths.
"""

from diagnostics.reachability.collect import collect
from diagnostics.reachability.evaluate import Hop, PathResult, Probe, StageResult, evaluate
from diagnostics.reachability.graph import from_node_link, path_rows, to_mermaid, to_node_link
from diagnostics.reachability.snapshot import Snapshot

__all__ = ["Hop", "PathResult", "Probe", "Snapshot", "StageResult", "collect", "evaluate", "from_node_link",
           "path_rows", "to_mermaid", "to_node_link"]
