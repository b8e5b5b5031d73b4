"""The Textual application: screens, widgets and styles over the same runner the CLI drives."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diagnostics.session import SessionOptions


def launch(demo: bool, options: SessionOptions | None = None) -> int:
    """Run the TUI until the user quits; the exit status for the shell."""
    from playbooks.workspace import Workspace
    from tui.app import AwstriageApp

    workspace = Workspace(demo=demo, options=options)
    app = AwstriageApp(workspace)
    try:
        app.run()
    finally:
        app.workspace.close()  # the app may have moved to the sandbox
        workspace.close()
    return app.return_code or 0
