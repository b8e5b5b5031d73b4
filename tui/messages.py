"""Messages that thread workers post back to the UI (Textual's post_message is thread-safe).

Functional tests assert on these, as Harlequin's do: what the app was told, not how it drew it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from playbooks.transcript import Transcript
from playbooks.workspace import Identity


@dataclass
class IdentityLoaded(Message):
    identity: Identity


@dataclass
class RunEvent(Message):
    """One runner event (``Event.to_dict()``), as the journal records it."""

    event: dict[str, Any]


@dataclass
class RunDone(Message):
    transcript: Transcript
    journal_path: Path | None


@dataclass
class RunFailed(Message):
    """The run could not start or died outside any step: one sentence."""

    reason: str


@dataclass
class ScenarioSeeded(Message):
    scenario: str
    inputs: dict[str, list[str]]


@dataclass
class PickerLoaded(Message):
    items: list[tuple[str, str]]  # (value, label)
    problem: str | None = None
