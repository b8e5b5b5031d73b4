"""An OptionList that `/` filters, like every list in k9s."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Item:
    id: str
    label: Text | str
    search: str  # what the filter matches, lower-case


class FilterList(Vertical):
    """A list of items with a filter box that `/` opens and Escape clears."""

    HELP = """\
## Lists

`↑`/`↓` move, `Enter` opens the highlighted entry, `/` filters the list (type to narrow, `Enter`
opens the first match, `Escape` clears the filter and returns to the list).
"""

    DEFAULT_CSS = """
    FilterList { height: auto; }
    FilterList > Input { display: none; }
    FilterList.-filtering > Input { display: block; }
    FilterList > OptionList { height: auto; max-height: 100%; }
    """

    BINDINGS = [Binding("slash", "filter", "Filter", show=False, id="list.filter")]

    @dataclass
    class Chosen(Message):
        list: FilterList
        item_id: str

    def __init__(self, items: list[Item] | None = None, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._items: list[Item] = list(items or [])
        self._query = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter…", id="filter", compact=True)
        yield OptionList()

    def on_mount(self) -> None:
        self._refill()

    @property
    def option_list(self) -> OptionList:
        return self.query_one(OptionList)

    def set_items(self, items: list[Item]) -> None:
        self._items = list(items)
        if self.is_mounted:
            self._refill()

    def visible_ids(self) -> list[str]:
        return [item.id for item in self._items if self._query in item.search]

    def _refill(self) -> None:
        options = self.option_list
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        shown = [item for item in self._items if self._query in item.search]
        options.add_options([Option(item.label, id=item.id) for item in shown])
        if shown:
            ids = [item.id for item in shown]
            options.highlighted = ids.index(highlighted) if highlighted in ids else 0

    def highlight(self, item_id: str | None) -> None:
        ids = self.visible_ids()
        if item_id in ids:
            self.option_list.highlighted = ids.index(item_id)

    def focus_list(self) -> None:
        self.option_list.focus()

    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value.strip().lower()
        self._refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter box opens the highlighted entry at once (not a second Enter on the list)."""
        event.stop()
        options = self.option_list
        options.focus()
        chosen = options.highlighted_option
        if chosen is not None and chosen.id is not None:
            self.post_message(self.Chosen(self, chosen.id))

    def clear_filter(self) -> bool:
        """Close the filter box; False when there was none open (so Escape can go back instead)."""
        if not self.has_class("-filtering"):
            return False
        self.remove_class("-filtering")
        filter_input = self.query_one("#filter", Input)
        filter_input.value = ""
        self._query = ""
        self._refill()
        self.option_list.focus()
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(self, event.option.id))
