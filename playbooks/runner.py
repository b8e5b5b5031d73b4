"""Runs a playbook's steps in order and emits events. One failing step never ends the run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from diagnostics.calllog import ApiCall
from diagnostics.concurrency import CANCELLED, CallCancelled
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
from playbooks.model import Context, MissingFact, Playbook, StepOutcome, StepSkip
from playbooks.plan import DEFAULT_READERS, OWNER, Owner, Plan
from playbooks.transcript import Transcript, TranscriptBuilder
from playbooks.verdict import StepResult, verdict_of
from playbooks.version import VERSION

if TYPE_CHECKING:
    import networkx as nx

Observer = Callable[[Event], None]

# After one of these, every later call would fail the same way (and each would first sit through its
# retries): the rest of the run is skipped with the reason instead.
FATAL_KINDS = frozenset({"CREDENTIALS", "UNREACHABLE", "UNKNOWN_REGION"})


def default_readers() -> int:
    """Reader threads per run: ``AWSTRIAGE_READERS`` (1 makes every read one after another), else 8."""
    try:
        return max(1, int(os.environ.get("AWSTRIAGE_READERS", DEFAULT_READERS)))
    except ValueError:
        return DEFAULT_READERS


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_playbook(
    playbook: Playbook,
    inputs: dict[str, Any],
    session: AwsSession,
    observers: Iterable[Observer] = (),
    cancel: threading.Event | None = None,
    scenario: str | None = None,
    readers: int | None = None,
) -> Transcript:
    """Run every step in order; return the transcript. Never raises for an AWS failure.

    The steps' reads run on up to ``readers`` threads as soon as their inputs are known (see
    :mod:`playbooks.plan`); ``readers=1`` makes them one after another on this thread.
    """
    builder = TranscriptBuilder()
    sinks: list[Observer] = [builder.add, *observers]
    current_step: list[str | None] = [None]
    # Set when the run ends early (Ctrl-C in the CLI): the reader threads stop with it.
    stop = threading.Event()

    def is_cancelled() -> bool:
        return stop.is_set() or (cancel is not None and cancel.is_set())

    plan = Plan(readers if readers is not None else default_readers(), is_cancelled)
    # The step's last failed call names the service, so an error sentence can name the IAM action.
    last_failure: list[ApiCall | None] = [None]

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    def on_call(call: ApiCall) -> None:
        # The call log is shared by the session and told on the thread that made the call: only the
        # calls made for this run belong to it, a step's at once, a read's once a step uses it.
        owner = OWNER.get()
        if owner is None or owner.plan is not plan:
            return
        if owner.key is not None:
            plan.keep_call(owner.key, call)
            return
        if call.error:
            last_failure[0] = call
        emit(ApiCallMade(step_id=owner.step, call=call.to_dict()))

    def deliver(step_id: str | None, calls: list[ApiCall], missing: list[MissingFact], failure: ApiCall | None) -> None:
        for call in calls:
            emit(ApiCallMade(step_id=step_id, call=call.to_dict()))
        if failure is not None and step_id == current_step[0]:
            last_failure[0] = failure
        if step_id == current_step[0]:
            ctx.missing.extend(m for m in missing if m not in ctx.missing)

    def on_graph(graph: nx.DiGraph) -> None:
        import networkx as nx  # only a playbook that draws a graph needs it: ~150 ms less before the first call

        emit(GraphDrawn(step_id=current_step[0] or "", graph=nx.node_link_data(graph, edges="links")))

    def on_attach(kind: str, data: Any) -> None:
        emit(Attached(step_id=current_step[0] or "", kind=kind, data=redact(data)))

    ctx = Context(session, inputs, on_graph=on_graph, on_attach=on_attach)
    ctx.plan = plan
    plan.deliver = deliver

    def explain_read(exc: BaseException) -> tuple[str, str, bool]:
        owner = OWNER.get()
        failed = plan.last_failure(owner.key) if owner is not None and owner.key is not None else last_failure[0]
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
    ctx.cancelled = is_cancelled
    cancel_token = CANCELLED.set(is_cancelled)
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
        _start_reads(playbook, ctx, plan)
        for index, step in enumerate(playbook.steps):
            if is_cancelled():
                cancelled = True
                cancelled_after = results[-1].title if results else None
                break
            current_step[0] = step.id
            owner_token = OWNER.set(Owner(plan, step=step.id))
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
            except CallCancelled:
                # Cancelled while the step waited for AWS: it ends here, and so does the run.
                outcome = StepOutcome("skipped", "Cancelled before this step had read what it needs.")
                cancelled = True
                cancelled_after = results[-1].title if results else None
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
            OWNER.reset(owner_token)
            if cancelled:
                break
    except BaseException:
        # Ctrl-C in the CLI: the readers stop now, and the run ends as cancelled.
        stop.set()
        cancelled = True
        raise
    finally:
        plan.close()
        CANCELLED.reset(cancel_token)
        unsubscribe()
        verdict = verdict_of(results, findings, cancelled)
        emit(RunFinished(verdict=verdict, finished_at=utc_now(), cancelled=cancelled,
                         cancelled_after=cancelled_after))
    return builder.transcript


def _start_reads(playbook: Playbook, ctx: Context, plan: Plan) -> None:
    """The playbook's reads that need only the inputs start now, beside the first step.

    Their calls go to the step that uses them. A plan that fails starts fewer reads, nothing more: each
    step still reads what it needs and reports its own failures.
    """
    if playbook.plan is None or not playbook.steps:
        return
    token = OWNER.set(Owner(plan, step=playbook.steps[0].id))
    try:
        playbook.plan(ctx)
    except (Exception, CallCancelled):  # the steps read for themselves (or the run is over) and say so
        pass
    finally:
        OWNER.reset(token)


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
