"""Export: the transcript as Markdown, JSON or HTML, to a path the user chooses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from playbooks.exporters import export
from playbooks.transcript import Transcript

EXTENSIONS = {"markdown": "md", "json": "json", "html": "html"}


def default_path(transcript: Transcript, fmt: str, folder: Path | None = None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or Path.cwd()) / f"awstriage-{transcript.playbook or 'run'}-{stamp}.{EXTENSIONS[fmt]}"


def write_export(transcript: Transcript, fmt: str, path: Path) -> Path:
    """Write the export; raise OSError with the reason. Returns the absolute path written."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export(transcript, fmt), encoding="utf-8")
    return path.resolve()


class ExportScreen(ModalScreen[Path | None]):
    HELP = """\
## Export

Choose a format with the arrow keys (Markdown for a ticket, JSON for scripts, HTML for a page that
reads offline), edit the path, and press `Enter` or `ctrl+s`. The file holds no secrets: they were
redacted before anything was recorded.
"""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="export.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel"),
    ]

    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript
        self.fmt = "markdown"
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Export the transcript", classes="heading")
            with RadioSet(id="format"):
                yield RadioButton("Markdown (for the incident ticket)", value=True, name="markdown")
                yield RadioButton("JSON (for scripts)", name="json")
                yield RadioButton("HTML (one file, reads offline)", name="html")
            yield Label("Save to")
            yield Input(str(default_path(self.transcript, self.fmt)), id="path")
            with Horizontal(id="export-actions"):
                yield Button("Save  ctrl+s", variant="primary", id="save")
            yield Static("", id="export-status")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        fmt = event.pressed.name or "markdown"
        path_input = self.query_one("#path", Input)
        current = Path(path_input.value)
        if current.suffix.lstrip(".") == EXTENSIONS[self.fmt]:
            path_input.value = str(current.with_suffix("." + EXTENSIONS[fmt]))
        self.fmt = fmt

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
        self.app.notify(f"Saved the {self.fmt} transcript to {written}", title="Exported", timeout=8)
        self.dismiss(written)
