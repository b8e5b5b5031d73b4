"""A transcript is the fold of a run's events into the document of DESIGN.md.

The same fold serves a live run and a journal read back from disk, including one cut short by a
crash: whatever events made it to disk become a transcript, marked incomplete when no end was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playbooks.events import Event
from playbooks.verdict import StepResult, headline, uncorroborated


@dataclass
class StepRecord:
    id: str
    title: str
    why: str = ""
    good: str = ""
    status: str = "pending"
    detail: str = ""
    elapsed_ms: float | None = None
    error_kind: str | None = None
    decides: bool = True
    missing: list[dict[str, str]] = field(default_factory=list)
    api_calls: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "role": "decides" if self.decides else "corroborates",
            "detail": self.detail,
            "elapsed_ms": self.elapsed_ms,
            "api_calls": [_call_summary(c) for c in self.api_calls],
        }
        if self.missing:
            data["missing"] = self.missing
        return data

    def result(self) -> StepResult:
        return StepResult(self.id, self.title, self.status, self.decides, self.detail)


def _call_summary(call: dict[str, Any]) -> dict[str, Any]:
    keys = ("service", "operation", "duration_ms", "retries", "error", "params")
    return {k: call.get(k) for k in keys}


@dataclass
class Transcript:
    tool: str = "awstriage"
    version: str = ""
    playbook: str = ""
    title: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, str] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    verdict: str = "incomplete"
    cancelled: bool = False
    cancelled_after: str | None = None
    truncated: bool = True
    sandbox: bool = False
    scenario: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    graph: dict[str, Any] | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # the change timeline, oldest first
    overview: dict[str, Any] = field(default_factory=dict)  # triage: alarms, health events, suggestions

    def step(self, step_id: str) -> StepRecord | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def api_calls(self) -> list[dict[str, Any]]:
        return [c for s in self.steps for c in s.api_calls]

    @property
    def headline(self) -> str:
        """The verdict line (see :func:`playbooks.verdict.headline`)."""
        words = headline(self.verdict, [s.result() for s in self.steps], self.findings,
                         cancelled_after=self.cancelled_after, cancelled=self.cancelled)
        if self.truncated:
            words += " — the journal ends before the run did"
        return words

    @property
    def uncorroborated(self) -> list[StepRecord]:
        """Corroborating steps that could not run: what the verdict stands without."""
        ids = {r.id for r in uncorroborated([s.result() for s in self.steps])}
        return [s for s in self.steps if s.id in ids]

    def to_json_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tool": self.tool,
            "version": self.version,
            "playbook": self.playbook,
            "inputs": self.inputs,
            "identity": self.identity,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "verdict": self.verdict,
            "headline": self.headline,
            "steps": [s.to_dict() for s in self.steps],
            "findings": self.findings,
            "graph": self.graph,
            "changes": self.changes,
        }
        if self.overview:
            data["overview"] = self.overview
        if self.sandbox:
            data["sandbox"] = {"scenario": self.scenario}
        if self.truncated:
            data["truncated"] = True
        if self.cancelled:
            data["cancelled"] = True
            data["cancelled_after"] = self.cancelled_after
        not_corroborated = self.uncorroborated
        if not_corroborated:
            data["not_corroborated"] = [{"step": s.id, "title": s.title, "reason": s.detail}
                                        for s in not_corroborated]
        return data


class TranscriptBuilder:
    def __init__(self) -> None:
        self.transcript = Transcript()

    def add(self, event: Event | dict[str, Any]) -> None:
        data = event.to_dict() if isinstance(event, Event) else event
        handler = getattr(self, "_on_" + str(data.get("type")), None)
        if handler is not None:
            handler(data)

    def _on_run_started(self, e: dict[str, Any]) -> None:
        t = self.transcript
        t.version = e.get("tool_version", "")
        t.playbook = e.get("playbook", "")
        t.title = e.get("title", "")
        t.inputs = e.get("inputs") or {}
        t.started_at = e.get("started_at")
        t.sandbox = bool(e.get("sandbox"))
        t.scenario = e.get("scenario")
        t.identity = {"region": e.get("region", "")}
        t.steps = [
            StepRecord(id=s["id"], title=s.get("title", ""), why=s.get("why", ""), good=s.get("good", ""))
            for s in e.get("steps") or []
        ]

    def _record(self, step_id: str | None, title: str = "") -> StepRecord | None:
        if step_id is None:
            return None
        record = self.transcript.step(step_id)
        if record is None:
            record = StepRecord(id=step_id, title=title or step_id)
            self.transcript.steps.append(record)
        return record

    def _on_identity(self, e: dict[str, Any]) -> None:
        self.transcript.identity = {k: e.get(k, "") for k in ("account", "arn", "region", "source")}

    def _on_step_started(self, e: dict[str, Any]) -> None:
        record = self._record(e.get("step_id"), e.get("title", ""))
        if record is not None:
            record.status = "running"

    def _on_api_call(self, e: dict[str, Any]) -> None:
        record = self._record(e.get("step_id"))
        if record is not None:
            record.api_calls.append(e.get("call") or {})

    def _on_finding(self, e: dict[str, Any]) -> None:
        finding = dict(e.get("finding") or {})
        finding.setdefault("step", e.get("step_id"))
        self.transcript.findings.append(finding)
        record = self._record(e.get("step_id"))
        if record is not None:
            record.findings.append(finding)

    def _on_graph(self, e: dict[str, Any]) -> None:
        self.transcript.graph = e.get("graph")

    def _on_attached(self, e: dict[str, Any]) -> None:
        if e.get("kind") == "changes":
            self.transcript.changes.extend(e.get("data") or [])
        elif e.get("kind") == "overview":
            self.transcript.overview.update(e.get("data") or {})

    def _on_step_finished(self, e: dict[str, Any]) -> None:
        record = self._record(e.get("step_id"))
        if record is not None:
            record.status = e.get("status", "error")
            record.detail = e.get("detail", "")
            record.elapsed_ms = e.get("elapsed_ms")
            record.error_kind = e.get("error_kind")
            record.decides = bool(e.get("decides", True))
            record.missing = list(e.get("missing") or [])

    def _on_run_finished(self, e: dict[str, Any]) -> None:
        t = self.transcript
        t.verdict = e.get("verdict", "incomplete")
        t.finished_at = e.get("finished_at")
        t.cancelled = bool(e.get("cancelled"))
        t.cancelled_after = e.get("cancelled_after")
        t.truncated = False
        for record in t.steps:
            if record.status == "pending":
                record.status = "skipped"
                record.detail = "Not reached: the run was cancelled."


def transcript_from_events(events: list[dict[str, Any]]) -> Transcript:
    builder = TranscriptBuilder()
    for event in events:
        builder.add(event)
    t = builder.transcript
    if t.truncated:
        # Steps still "running" or "pending" when the journal stops never finished: say so.
        for record in t.steps:
            if record.status == "running":
                record.status = "error"
                record.detail = record.detail or "The run stopped while this step was running."
            elif record.status == "pending":
                record.status = "skipped"
                record.detail = record.detail or "Not reached: the run stopped before this step."
    return t
