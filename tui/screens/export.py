"""Export: the transcript as Markdown, JSON or HTML, to a path the user chooses.

Files go to the exports folder under the user's data directory by default (``exports_dir()``:
``~/.local/share/awstriage/exports`` on Linux, ``$AWSTRIAGE_DATA_DIR/exports`` when that is set), never
into the current directory, which is often a git checkout.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from playbooks.exporters import export, format_of_path
from playbooks.journal import journal_dir
from playbooks.transcript import Transcript

EXTENSIONS = {"markdown": "md", "json": "json", "html": "html"}
FORMATS = tuple(EXTENSIONS)


FORMAT_WORDS = {"markdown": ("Markdown", "for the incident ticket"), "json": ("JSON", "for scripts"),
                "html": ("HTML", "one page that reads offline")}


def format_label(fmt: str, chosen: bool) -> str:
    name, use = FORMAT_WORDS[fmt]
    text = f"{name:<9}.{EXTENSIONS[fmt]:<6}{use}"
    return f"[b]{text}  ◀ chosen[/b]" if chosen else text


def exports_dir() -> Path:
    """Beside the journals, under the same data directory (AWSTRIAGE_DATA_DIR overrides it)."""
    return journal_dir().parent / "exports"


def default_path(transcript: Transcript, fmt: str, folder: Path | None = None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or exports_dir()) / f"awstriage-{transcript.playbook or 'run'}-{stamp}.{EXTENSIONS[fmt]}"


def write_export(transcript: Transcript, fmt: str, path: Path) -> Path:
    """Write the export; raise OSError with the reason. Returns the absolute path written."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export(transcript, fmt), encoding="utf-8")
    return path.resolve()


class ExportScreen(ModalScreen[Path | None]):
    HELP = """\
## Export

The format list has the focus: `↑`/`↓` choose the format (Markdown for a ticket, JSON for scripts,
HTML for a page that reads offline) and the file's extension follows; a path typed with
another format's extension (`.md`, `.json`, `.html`) chooses that format. `Tab` moves to the path, which
you can edit; `Enter` or `ctrl+s` saves. Files go to the exports folder under awstriage's data
directory (`~/.local/share/awstriage/exports` on Linux; `AWSTRIAGE_DATA_DIR` moves it), and the
dialog says where the file went. The file holds no secrets: they were redacted before anything was
recorded.
"""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="export.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel"),
        # The app's help keys, here too: a modal keeps the keys of the screen under it from answering.
        Binding("question_mark", "app.keys", "Keys", id="export.keys"),
        Binding("f1", "app.widget_help", "Help", id="export.help"),
    ]

    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript
        self.fmt = "markdown"
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Export the transcript   (↑/↓ format, Tab path, Enter saves)", classes="heading")
            with RadioSet(id="format"):
                for fmt in FORMATS:
                    yield RadioButton(format_label(fmt, fmt == self.fmt), value=fmt == self.fmt, name=fmt)
            yield Label("Save to")
            yield Input(str(default_path(self.transcript, self.fmt)), id="path", select_on_focus=False)
            with Horizontal(id="export-actions"):
                yield Button("Save  ctrl+s", variant="primary", id="save", compact=True)
            yield Static(f"[dim]Exports folder: {exports_dir()}[/dim]", id="export-status")

    def on_mount(self) -> None:
        self.query_one("#format", RadioSet).focus()

    def on_key(self, event: events.Key) -> None:
        """On the format list the arrows choose (a RadioSet only moves its highlight), Enter saves."""
        formats = self.query_one("#format", RadioSet)
        if not formats.has_focus:
            return
        if event.key in ("up", "down", "left", "right"):
            step = -1 if event.key in ("up", "left") else 1
            # The ends stop: Up on the first format stays there (no wrap to the last one).
            self.choose(FORMATS[min(max(FORMATS.index(self.fmt) + step, 0), len(FORMATS) - 1)])
            event.prevent_default()
            event.stop()
        elif event.key == "enter":
            event.prevent_default()
            event.stop()
            self.action_save()

    def choose(self, fmt: str) -> None:
        """Select ``fmt``: its button on, the path's extension changed to match."""
        buttons = list(self.query(RadioButton))
        index = FORMATS.index(fmt)
        buttons[index].value = True  # the RadioSet turns the others off and posts Changed
        self.query_one("#format", RadioSet)._selected = index  # keep its highlight on the choice
        self._follow(fmt)

    def _follow(self, fmt: str) -> None:
        if fmt == self.fmt:
            return
        path_input = self.query_one("#path", Input)
        current = Path(path_input.value)
        if current.suffix.lstrip(".") in EXTENSIONS.values():
            path_input.value = str(current.with_suffix("." + EXTENSIONS[fmt]))
        self.fmt = fmt

        for button in self.query(RadioButton):  # the chosen one says so in words too, not only in colour
            button.label = format_label(button.name or "", button.name == fmt)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._follow(event.pressed.name or "markdown")

    def on_input_changed(self, event: Input.Changed) -> None:
        """A path typed with another format's extension (``incident.html``) chooses that format: the file
        holds what its name says."""
        fmt = format_of_path(Path(event.value.strip())) if event.input.id == "path" else None
        if fmt in FORMATS and fmt != self.fmt:
            self.choose(fmt)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def action_save(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        status = self.query_one("#export-status", Static)
        if not text:
            status.update("[red]Give a path to save to.[/red]")
            return
        try:
            written = write_export(self.transcript, self.fmt, Path(text))
        except OSError as exc:
            status.update(f"[red]Could not save to {text}: {exc.strerror or exc}[/red]")
            return
        self.saved = written
        status.update(f"Saved to {written}")
        self.app.notify(f"Saved the {self.fmt} transcript to {written}", title="Exported", timeout=10)
        self.dismiss(written)
