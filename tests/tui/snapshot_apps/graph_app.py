"""A tiny app showing PathGraph with the graph of the ssh-nacl-return-traffic scenario, for the SVG snapshot.

The graph is a node-link dump of a real sandbox run (moto's IDs are random, so a fresh run would
never match a snapshot); it has full-length AWS IDs, so the drawing wraps as it does for users.
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.app import App, ComposeResult

from tui.widgets.path_graph import PathGraph

GRAPH_FILE = Path(__file__).with_name("nacl_return_graph.json")


def nacl_return_graph() -> dict:
    return json.loads(GRAPH_FILE.read_text())


class GraphApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PathGraph(nacl_return_graph())


if __name__ == "__main__":
    GraphApp().run()
