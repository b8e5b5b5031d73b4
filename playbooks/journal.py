"""The journal: every event appended to a JSON-lines file and flushed at once, so a crash or a kill
loses nothing that was already shown."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from platformdirs import user_data_path

from playbooks.events import Event


class JournalError(Exception):
    """A journal that cannot be read or written; the message is one plain sentence."""


def journal_dir() -> Path:
    override = os.environ.get("AWSTRIAGE_DATA_DIR")
    base = Path(override) if override else user_data_path("awstriage", appauthor=False)
    return base / "journals"


STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"  # journal names sort by start time: <stamp>-<playbook>.jsonl


def new_journal_path(playbook: str, directory: Path | None = None) -> Path:
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    safe = re.sub(r"[^a-z0-9-]", "", playbook.lower()) or "run"
    return (directory or journal_dir()) / f"{stamp}-{safe}.jsonl"


def journal_name_parts(path: Path) -> tuple[str, datetime | None]:
    """The playbook and the start time a journal's name records (None for a name we did not give)."""
    stamp, _, playbook = path.stem.partition("-")
    try:
        started = datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return path.stem, None
    return playbook or path.stem, started


class Journal:
    """An observer that writes each event as one line and flushes it before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh: IO[str] | None = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"cannot write the journal at {path}: {exc.strerror or exc}") from exc

    def __call__(self, event: Event | dict[str, Any]) -> None:
        if self._fh is None:
            return
        data = event.to_dict() if isinstance(event, Event) else event
        self._fh.write(json.dumps(data, default=str, separators=(",", ":")) + "\n")
        self._fh.flush()
        if data.get("type") == "run_finished":
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Read the events of a journal. A last line cut in half by a crash is ignored; any other
    damage is a JournalError with a sentence that says where."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JournalError(f"no journal at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"cannot read the journal {path}: {exc}") from None
    lines = text.splitlines()
    events: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break  # the write in flight when the process died
            raise JournalError(f"{path} is not an awstriage journal (line {number} is not JSON)") from None
        if not isinstance(event, dict) or "type" not in event:
            raise JournalError(f"{path} is not an awstriage journal (line {number} is not an event)")
        events.append(event)
    if not events:
        raise JournalError(f"{path} holds no events")
    return events


def recent_journals(limit: int = 20, directory: Path | None = None) -> list[Path]:
    folder = directory or journal_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.jsonl"), reverse=True)[:limit]
