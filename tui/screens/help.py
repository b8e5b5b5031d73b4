"""`?` shows the keys of the current view; F1 explains the screen, the focused pane and the words it uses."""

from __future__ import annotations

from importlib.resources import files

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Markdown, Static

GENERIC_NOTE = "Arrows, Page Up/Down, Home and End move in lists and scroll panes."


def keys_table(screen: Screen) -> Table:
    """The keys of ``screen``: this view's own first, then the app's; generic scrolling keys left out.

    A key awstriage defines has an id (for keymap.toml); Textual's built-in moving and scrolling keys
    have none, and one line under the table covers them all.
    """
    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    table.add_column("key")
    table.add_column("does")
    table.add_column("id (for keymap.toml)", style="dim")
    view: list[tuple[str, str, str]] = []
    widgets: list[tuple[str, str, str]] = []
    app: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or not binding.id or (key, binding.action) in seen or not active.enabled:
            continue
        seen.add((key, binding.action))
        row = (screen.app.get_key_display(binding), binding.description, binding.id)
        if binding.id.startswith("app."):
            app.append(row)
        else:
            (view if active.node is screen else widgets).append(row)
    groups = [rows for rows in (view, widgets, app) if rows]
    for n, rows in enumerate(groups):
        for key, does, ident in rows:
            table.add_row(Text(key, style="bold magenta"), does, ident)
        if n < len(groups) - 1:
            table.add_row("", "", "")
    return table


class KeysScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="keys.close")]

    def __init__(self, view: Screen) -> None:
        super().__init__()
        self._table = keys_table(view)
        self._view = type(view).__name__.removesuffix("Screen") or "this view"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(f"[b]Keys of {self._view}[/b]   (remap in keymap.toml by id; ctrl+p lists every action)")
            yield Static(self._table)
            yield Static(f"[dim]{GENERIC_NOTE}[/dim]")


class WidgetHelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, widget: Widget | None, screen: Screen | None = None) -> None:
        super().__init__()
        self._text = help_for(widget, screen)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Markdown(self._text)


def glossary_text() -> str:
    return (files("assets") / "help" / "glossary.md").read_text(encoding="utf-8")


def help_for(widget: Widget | None, screen: Screen | None = None) -> str:
    """F1: the screen's own explanation first, then the focused pane's (if it has one), then the glossary."""
    parts: list[str] = []
    screen_help = getattr(screen, "HELP", None) if screen is not None else None
    if isinstance(screen_help, str) and screen_help.strip():
        parts.append(screen_help)
    pane = _widget_help(widget)
    if pane and pane not in parts:
        parts.append(pane)
    if not parts:
        parts.append("## Help\n\nPress `?` for the keys of this view and `ctrl+p` for every action.")
    parts.append(glossary_text())
    return "\n\n".join(parts)


def _widget_help(widget: Widget | None) -> str:
    """The focused widget's HELP, or the nearest ancestor's: an Input inside a form gets the form's."""
    node = widget
    while node is not None:
        text = getattr(node, "HELP", None)
        if isinstance(text, str) and text.strip():
            return text
        node = node.parent if isinstance(node.parent, Widget) else None
    return ""
