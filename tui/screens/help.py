"""`?` shows the keys of the current view; F1 the help of the focused widget."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Markdown, Static


def keys_table(screen: Screen) -> Table:
    """The bindings active on ``screen``: key, what it does, and its id for keymap.toml."""
    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    table.add_column("key")
    table.add_column("does")
    table.add_column("id (for keymap.toml)", style="dim")
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or (key, binding.action) in seen:
            continue
        seen.add((key, binding.action))
        table.add_row(Text(screen.app.get_key_display(binding), style="bold magenta"), binding.description,
                      binding.id or "")
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


class WidgetHelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, widget: Widget | None) -> None:
        super().__init__()
        self._text = help_for(widget)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Markdown(self._text)


def help_for(widget: Widget | None) -> str:
    """The focused widget's HELP, or the nearest ancestor's: an Input inside a form gets the form's."""
    node = widget
    while node is not None:
        text = getattr(node, "HELP", None)
        if isinstance(text, str) and text.strip():
            return text
        node = node.parent if isinstance(node.parent, Widget) else None
    screen_help = getattr(widget.screen, "HELP", None) if widget is not None else None
    return screen_help or "## Help\n\nPress `?` for the keys of this view and `ctrl+p` for every action."
