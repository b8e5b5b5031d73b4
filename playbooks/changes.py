"""The step every playbook ends with: "What changed recently?".

Once the diagnosis has named the components at fault, CloudTrail's event history says who changed them
and when. The step looks up the findings' resources (and the resource the run was about), keeps the
successful write calls, orders them by time and marks the last write to each component at fault as the
most plausible cause: a correlation in time, never a proof. It only corroborates (``decides=False``):
whatever it reads or fails to read, the verdict is the diagnosis's.

The registry appends it to every playbook (:func:`with_change_step`), so playbook modules stay as
they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.cloudtrail.changes import MAX_EVENTS, lookup_resource, ordered_resources, read_changes
from diagnostics.cloudtrail.resource_names import Names, cloudtrail_names
from diagnostics.cloudtrail.timeline import summary
from playbooks import params as v
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

MAX_CHANGES_HOURS = 90 * 24  # CloudTrail's event history keeps 90 days
DEFAULT_CHANGES_HOURS = "24"
# Inputs that name the resource a run is about ("function" in every form Lambda takes a function).
RESOURCE_INPUTS = ("instance", "function", "table", "resource", "principal")
# What a playbook's input resolved to (the load balancer's ARN behind alb:NAME): see :func:`look_up_also`.
SUBJECTS = "changes:subjects"


def changes_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_CHANGES_HOURS:
        raise ValueError(f"CloudTrail's event history keeps 90 days; {hours} hours is more than {MAX_CHANGES_HOURS}")
    return hours


CHANGES_PARAM = Param("changes_hours", "how many hours of change history (CloudTrail) to read after the diagnosis",
                      changes_hours, default=DEFAULT_CHANGES_HOURS)


def lookup_names(resource: str, function: bool = False) -> list[str]:
    """The names CloudTrail may list ``resource`` under (see :mod:`diagnostics.cloudtrail.resource_names`)."""
    return list(cloudtrail_names(resource, function).names)


def look_up_also(ctx: Context, resources: Iterable[str]) -> None:
    """A playbook names what its input resolved to (the ARN of the load balancer behind ``alb:NAME``, of the
    API behind ``api:ID/stage``), so its history is looked up under the names CloudTrail records, not the
    shorthand. Their lookups start now, while the diagnosis runs."""
    subjects: list[str] = ctx.cache.setdefault(SUBJECTS, [])
    for resource in resources:
        if resource and resource not in subjects:
            subjects.append(resource)
            _prefetch(ctx, cloudtrail_names(resource))


def _prefetch(ctx: Context, names: Names) -> None:
    for name in names.names:
        ctx.prefetch(_key(ctx, name, names.region), lambda name=name: _lookup(ctx, name, region=names.region))


def _at_fault(ctx: Context) -> list[str]:
    return list(dict.fromkeys(f.resource for f in ctx.findings if f.severity == "error" and f.resource))


def _window(ctx: Context) -> tuple[datetime, datetime]:
    """The hours before the run began (fixed once per run, so a lookup started early reads the same window)."""
    def make() -> tuple[datetime, datetime]:
        end = datetime.now(UTC)
        return end - timedelta(hours=int(ctx.inputs.get("changes_hours") or DEFAULT_CHANGES_HOURS)), end
    return ctx.memo("changes:window", make)


def _inputs(ctx: Context) -> list[Names]:
    return [cloudtrail_names(str(ctx.inputs[k]), function=k == "function")
            for k in RESOURCE_INPUTS if isinstance(ctx.inputs.get(k), str) and ctx.inputs[k]]




def _key(ctx: Context, name: str, region: str = "") -> str:
    where = f"@{region}" if region and region != ctx.session.region else ""
    return f"cloudtrail:changes:{name}{where}"


def _lookup(ctx: Context, name: str, budget: int = MAX_EVENTS, region: str = "") -> tuple[list[dict[str, Any]], bool]:
    """One name's history; ``region``: where CloudTrail records it, when not the run's (IAM, STS, CloudFront)."""
    start, end = _window(ctx)
    elsewhere = bool(region) and region != ctx.session.region
    client = (lambda: ctx.session.client("cloudtrail", region=region)) if elsewhere else \
        (lambda: ctx.client("cloudtrail"))
    return ctx.memo(_key(ctx, name, region), lambda: lookup_resource(client(), name, start, end, budget))


def plan_changes(ctx: Context) -> None:
    """The resource the run is about is known from the start: its history is looked up while the diagnosis
    runs (CloudTrail paces lookups at two a second, so this also takes that wait off the end of the run).
    The components at fault are known only at the end; they are looked up then."""
    _window(ctx)
    for names in _inputs(ctx):
        _prefetch(ctx, names)


def _run(ctx: Context) -> StepOutcome:
    at_fault = _at_fault(ctx)
    fault = [cloudtrail_names(r) for r in at_fault]
    others = [cloudtrail_names(r) for r in ctx.cache.get(SUBJECTS, [])] + _inputs(ctx)
    names, skipped = ordered_resources([n for r in fault for n in r.names], [n for r in others for n in r.names])
    # Said, never looked up under a name that cannot match (an IP target, a URL): "nothing changed it"
    # would be a claim about a lookup that could not have found anything.
    unnamed = list(dict.fromkeys(r.resource for r in fault + others if not r.names))
    # IAM's, STS's and CloudFront's changes are recorded in us-east-1 only: looked up there.
    regions = {n: r.region for r in fault + others for n in r.names if r.region and r.region != ctx.session.region}
    if not names:
        raise StepSkip("Not run: the diagnosis named no resource whose changes could be looked up"
                       + (f" ({', '.join(unnamed)}: no CloudTrail event lists it by name)." if unnamed else "."))
    start, end = _window(ctx)
    timeline = ctx.read("the change history (CloudTrail event history)",
                        lambda: read_changes(ctx.client("cloudtrail"), names, start, end, at_fault=at_fault,
                                             skipped=skipped, unnamed=unnamed,
                                             lookup=lambda name, budget: _lookup(ctx, name, budget,
                                                                                 regions.get(name, ""))))
    if timeline is None:
        # One line says it all: the fact is not also listed as missing.
        missing = ctx.missing.pop()
        return StepOutcome("error", f"Could not read the change history ({missing.action}): {missing.reason}; the "
                                    "diagnosis stands without it.")
    ctx.attach("changes", timeline.to_list())
    detail = summary(timeline)
    # What was named but looked up under another name (an object as its bucket, a session as its role).
    notes = dict.fromkeys(r.note for r in fault + others if r.note and any(n in names for n in r.names))
    if notes:
        detail += " " + " ".join(notes)
    elsewhere = sorted(n for n in regions if n in names)
    if elsewhere:
        detail += (f" {', '.join(elsewhere)} looked up in {', '.join(sorted({regions[n] for n in elsewhere}))}, "
                   "where CloudTrail records IAM, STS and CloudFront changes.")
    if not timeline.changes:
        # A complete read that found no write is an answer (nothing changed them), not a missing source; only
        # a read the cap stopped leaves the older part of the window unknown.
        return StepOutcome("no_data" if timeline.capped else "ok", detail)
    return StepOutcome("warning" if timeline.suspects else "ok", detail)


CHANGE_STEP = Step(
    id="changes",
    title="What changed recently?",
    why=(
        "Most outages follow a change. Once the component at fault is known, CloudTrail's event history says "
        "who changed it, when, and what they set: the change to undo, and the person to talk to. A change "
        "just before the trouble is a strong lead, but a correlation, not a proof."
    ),
    good="No write to the component at fault in the window, or one you already know about.",
    run=_run,
    decides=False,
)


def with_change_step(playbook: Playbook) -> Playbook:
    """``playbook`` with the change step at the end and its ``changes_hours`` parameter."""
    if any(s.id == CHANGE_STEP.id for s in playbook.steps):
        return playbook
    params: tuple[Any, ...] = playbook.params
    if playbook.param(CHANGES_PARAM.name) is None:
        params = (*params, CHANGES_PARAM)
    own = playbook.plan

    def plan(ctx: Context) -> None:
        if own is not None:
            own(ctx)
        plan_changes(ctx)

    return replace(playbook, params=params, steps=(*playbook.steps, CHANGE_STEP), plan=plan)
