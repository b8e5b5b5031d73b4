"""TUI tests drive the real app with Textual's Pilot on the shared sandbox (no AWS, no network)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from playbooks.workspace import Workspace
from tui.app import AwstriageApp


@pytest.fixture
def workspace(sandbox) -> Workspace:
    return Workspace(demo=True, sandbox=sandbox)


@pytest.fixture
def make_app(workspace: Workspace) -> Callable[[], AwstriageApp]:
    return lambda: AwstriageApp(workspace)
