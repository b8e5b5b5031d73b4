"""The events a run emits. Observers (TUI, CLI printer, journal) consume them; a transcript is
nothing but these events folded together, so a journal cut short still tells what happened."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    type = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    type = "run_started"
    playbook: str
    title: str
    inputs: dict[str, Any]
    tool_version: str
    started_at: str
    steps: list[dict[str, str]] = field(default_factory=list)
    profile: str | None = None
    region: str = ""
    endpoint_url: str | None = None
    sandbox: bool = False
    scenario: str | None = None


@dataclass(frozen=True)
class IdentityResolved(Event):
    type = "identity"
    account: str
    arn: str
    region: str
    source: str


@dataclass(frozen=True)
class StepStarted(Event):
    type = "step_started"
    step_id: str
    title: str
    index: int
    at: str


@dataclass(frozen=True)
class ApiCallMade(Event):
    type = "api_call"
    step_id: str | None
    call: dict[str, Any]


@dataclass(frozen=True)
class FindingAdded(Event):
    type = "finding"
    step_id: str
    finding: dict[str, Any]


@dataclass(frozen=True)
class GraphDrawn(Event):
    type = "graph"
    step_id: str
    graph: dict[str, Any]


@dataclass(frozen=True)
class Attached(Event):
    """A section a step hands the transcript: ``changes`` (a list of changes) or ``overview`` (a dict)."""

    type = "attached"
    step_id: str
    kind: str
    data: Any


@dataclass(frozen=True)
class StepFinished(Event):
    type = "step_finished"
    step_id: str
    status: str
    detail: str
    elapsed_ms: float
    error_kind: str | None = None
    decides: bool = True
    missing: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RunFinished(Event):
    type = "run_finished"
    verdict: str
    finished_at: str
    cancelled: bool = False
    cancelled_after: str | None = None
