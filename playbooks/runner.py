"""Runs a playbook's steps in order and emits events. One failing step never ends the run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import networkx as nx

from diagnostics.calllog import ApiCall
from diagnostics.errors import classify_error, describe_error, explain_error, iam_action, where_searched
from diagnostics.redact import redact
from diagnostics.session import AwsSession
from playbooks.events import (
    ApiCallMade,
    Attached,
    Event,
    FindingAdded,
    GraphDrawn,
    IdentityResolved,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from playbooks.model import Context, Playbook, StepOutcome, StepSkip
from playbooks.transcript import Transcript, TranscriptBuilder
from playbooks.verdict import StepResult, verdict_of
from playbooks.version import VERSION

Observer = Callable[[Event], None]

# After one of these, every later call would fail the same way (and each would first sit through its
# retries): the rest of the run is skipped with the reason instead.
FATAL_KINDS = frozenset({"CREDENTIALS", "UNREACHABLE", "UNKNOWN_REGION"})


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_playbook(
    playbook: Playbook,
    inputs: dict[str, Any],
    session: AwsSession,
    observers: Iterable[Observer] = (),
    cancel: threading.Event | None = None,
    scenario: str | None = None,
) -> Transcript:
    """Run every step in order; return the transcript. Never raises for an AWS failure."""
    builder = TranscriptBuilder()
    sinks: list[Observer] = [builder.add, *observers]
    current_step: list[str | None] = [None]
    # The step's last failed call names the service, so an error sentence can name the IAM action.
    last_failure: list[ApiCall | None] = [None]

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    def on_call(call: ApiCall) -> None:
        # The call log is shared by the session; only the calls made while a step of this run
        # is current belong to it.
        if current_step[0] is not None:
            if call.error:
                last_failure[0] = call
            emit(ApiCallMade(step_id=current_step[0], call=call.to_dict()))

    def on_graph(graph: nx.DiGraph) -> None:
        emit(GraphDrawn(step_id=current_step[0] or "", graph=nx.node_link_data(graph, edges="links")))

    def on_attach(kind: str, data: Any) -> None:
        emit(Attached(step_id=current_step[0] or "", kind=kind, data=redact(data)))

    ctx = Context(session, inputs, on_graph=on_graph, on_attach=on_attach)

    def explain_read(exc: BaseException) -> tuple[str, str, bool]:
        failed = last_failure[0]
        service = failed.service if failed else None
        operation = failed.operation if failed else getattr(exc, "operation_name", None)
        info = describe_error(exc, service=service, operation=operation, profile=session.profile)
        action = info.action or iam_action(service, operation) or operation or "the AWS call"
        return action, _where(info.sentence, info.kind.name), info.kind.name in FATAL_KINDS

    def _where(sentence: str, kind: str) -> str:
        # A "not found" is most often the right name in the wrong region or account: say where we looked.
        if kind != "NOT_FOUND":
            return sentence
        return f"{sentence}; {where_searched(session.region, ctx.identity.get('account', ''))}"

    ctx.explain = explain_read
    if cancel is not None:
        ctx.cancelled = cancel.is_set
    emit(
        RunStarted(
            playbook=playbook.name,
            title=playbook.title,
            inputs=redact(_plain(inputs)),
            tool_version=VERSION,
            started_at=utc_now(),
            steps=[{"id": s.id, "title": s.title, "why": s.why, "good": s.good} for s in playbook.steps],
            profile=session.profile,
            region=session.region,
            endpoint_url=session.endpoint_url,
            sandbox=session.credential_method == "sandbox",
            scenario=scenario,
        )
    )
    unsubscribe = session.call_log.subscribe(on_call)
    results: list[StepResult] = []
    findings: list[dict[str, Any]] = []
    cancelled = False
    cancelled_after: str | None = None
    fatal: str | None = None
    try:
        for index, step in enumerate(playbook.steps):
            if cancel is not None and cancel.is_set():
                cancelled = True
                cancelled_after = results[-1].title if results else None
                break
            current_step[0] = step.id
            last_failure[0] = None
            emit(StepStarted(step_id=step.id, title=step.title, index=index, at=utc_now()))
            started = time.perf_counter()
            error_kind = None
            had_identity = dict(ctx.identity)
            ctx.missing = []
            try:
                if fatal is not None:
                    raise StepSkip(f"Not run: {fatal}")
                outcome = step.run(ctx)
            except StepSkip as skip:
                outcome = StepOutcome("skipped", str(skip))
            except Exception as exc:  # a failed step is recorded and the run goes on
                failed = last_failure[0]
                outcome = StepOutcome("error", explain_error(
                    exc,
                    service=failed.service if failed else None,
                    operation=failed.operation if failed else None,
                    profile=session.profile,
                ))
                error_kind = classify_error(exc).name
                outcome.detail = _where(outcome.detail, error_kind)
                if error_kind in FATAL_KINDS:
                    fatal = outcome.detail
            missing = [*ctx.missing, *(m for m in outcome.missing if m not in ctx.missing)]
            elapsed = (time.perf_counter() - started) * 1000.0
            if ctx.identity and ctx.identity != had_identity:
                emit(IdentityResolved(**ctx.identity))
            ctx.findings.extend(outcome.findings)
            for finding in outcome.findings:
                data = redact(finding.to_dict())
                findings.append(data)
                emit(FindingAdded(step_id=step.id, finding=data))
            results.append(StepResult(step.id, step.title, outcome.status, step.decides))
            emit(
                StepFinished(
                    step_id=step.id,
                    status=outcome.status,
                    detail=redact(outcome.detail),
                    elapsed_ms=round(elapsed, 1),
                    error_kind=error_kind,
                    decides=step.decides,
                    missing=[redact({"fact": m.fact, "action": m.action, "reason": m.reason}) for m in missing],
                )
            )
            current_step[0] = None
    finally:
        unsubscribe()
        verdict = verdict_of(results, findings, cancelled)
        emit(RunFinished(verdict=verdict, finished_at=utc_now(), cancelled=cancelled,
                         cancelled_after=cancelled_after))
    return builder.transcript


def _plain(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as JSON-friendly values (validators may return ipaddress objects and tuples)."""
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out
