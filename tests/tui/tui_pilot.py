"""Helpers for driving the app with Pilot: wait for workers, read what a widget shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

SIZE = (120, 40)


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    """Let the app work (its workers run in threads) until ``predicate`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not _holds(predicate):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.identity is not None, what="the identity bar")


def plain(widget) -> str:
    """What a Static shows, as plain text (its content may be a Rich renderable or markup)."""
    import io

    from rich.console import Console
    from rich.text import Text

    content = widget.content
    if isinstance(content, str):
        return Text.from_markup(content).plain
    console = Console(width=200, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


def _holds(predicate: Callable[[], object]) -> bool:
    from textual.css.query import NoMatches

    try:
        return bool(predicate())
    except NoMatches:  # a screen just pushed composes its widgets on the next turn
        return False
