"""Triage: the first five minutes, when you do not yet know which of the five problems you have.

It runs like a playbook (same runner, journal, transcript and exporters) but is not one of the five:
it reads what is firing (CloudWatch alarms in ALARM), what AWS says is wrong (open AWS Health events),
and what changed (the account's latest write events), and suggests which playbook to run on what.
Alarms decide: an alarm in ALARM is a problem observed. Health and changes corroborate: an account
without a Business support plan cannot read Health, and that never makes the overview incomplete.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from diagnostics.cloudtrail.changes import read_account_changes
from diagnostics.cloudtrail.timeline import build_timeline
from diagnostics.triage.collect import read_alarms, read_health_events, subscription_required
from diagnostics.triage.overview import Suggestion, alarm_line, notable_changes, suggest
from playbooks.changes import CHANGES_PARAM, DEFAULT_CHANGES_HOURS
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Playbook, Step, StepOutcome
from playbooks.registry import UnknownPlaybook, get_playbook, parse_inputs

MAX_LISTED = 8  # lines of a step's detail; the transcript's overview has them all
MAX_CHANGES_KEPT = 50


def checked(suggestion: Suggestion) -> Suggestion:
    """The suggestion with its parameters validated by the playbook itself: a value it would refuse (a load
    balancer for slow-performance) becomes a note instead of a command that fails."""
    if suggestion.note:
        return suggestion
    try:
        parse_inputs(get_playbook(suggestion.playbook), {k: [v] for k, v in suggestion.params})
    except (UnknownPlaybook, ValueError) as exc:
        return replace(suggestion, note=f"{suggestion.playbook} cannot take these parameters yet: {exc}")
    return suggestion


def _listed(lines: list[str]) -> str:
    more = f"; and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
    return "; ".join(lines[:MAX_LISTED]) + more


def _alarms(ctx: Context) -> StepOutcome:
    alarms = read_alarms(ctx.client("cloudwatch"))
    suggestions = [suggest(a) for a in alarms]
    suggestions = [checked(s) if s is not None else None for s in suggestions]
    ctx.attach("overview", {
        "alarms": [a.to_dict() for a in alarms],
        "suggestions": [s.to_dict() for s in suggestions if s is not None],
    })
    if not alarms:
        return StepOutcome("ok", f"No CloudWatch alarm is in ALARM in {ctx.session.region}.")
    lines = [alarm_line(a, s) for a, s in zip(alarms, suggestions, strict=True)]
    count = len(alarms)
    return StepOutcome("problem", f"{count} alarm{'' if count == 1 else 's'} in ALARM in {ctx.session.region}: "
                                  f"{_listed(lines)}.")


def _health(ctx: Context) -> StepOutcome:
    region = ctx.session.region
    try:
        events = read_health_events(ctx.client("health"), region)
    except Exception as exc:
        if not subscription_required(exc):
            raise
        ctx.attach("overview", {"health_unavailable": "SubscriptionRequiredException"})
        return StepOutcome("no_data", "AWS Health's API is not open to this account: it needs a Business, Enterprise "
                                      "On-Ramp or Enterprise Support plan (SubscriptionRequiredException); look at "
                                      "the AWS Health Dashboard in the console instead.")
    ctx.attach("overview", {"health": [e.to_dict() for e in events]})
    if not events:
        return StepOutcome("ok", f"AWS Health has no open event for this account in {region} or globally.")
    count = len(events)
    return StepOutcome("warning", f"{count} open AWS Health event{'' if count == 1 else 's'}: "
                                  f"{_listed([e.line() for e in events])}.")


def _changes(ctx: Context) -> StepOutcome:
    hours = int(ctx.inputs.get("changes_hours") or DEFAULT_CHANGES_HOURS)
    end = datetime.now(UTC)
    read = read_account_changes(ctx.client("cloudtrail"), end - timedelta(hours=hours), end)
    notable = notable_changes(read.changes)
    kept = notable.changes[-MAX_CHANGES_KEPT:]
    timeline = build_timeline(kept, (), read.hours, read=read.read, capped=read.capped, cap=read.cap)
    ctx.attach("changes", timeline.to_list())
    routine = f" ({notable.hidden} routine service calls left out)" if notable.hidden else ""
    cap = f" {timeline.cap_sentence()}" if timeline.capped else ""
    if not timeline.changes:
        # A complete read with no write is an answer; a read the cap stopped leaves the rest unknown.
        return StepOutcome("no_data" if timeline.capped else "ok",
                           f"CloudTrail's event history has no write by a person or deployment in "
                           f"{ctx.session.region} in the last {hours} h{routine} (widen changes_hours, up to 2160, "
                           f"to look further back).{cap}")
    newest = [c.line() for c in reversed(timeline.changes)]
    count = len(timeline.changes)
    return StepOutcome("ok", f"{count} change{'' if count == 1 else 's'} in the last {hours} h{routine}, newest "
                             f"first: {_listed(newest)}.{cap}")


ALARMS_STEP = Step(
    id="alarms",
    title="Which alarms are firing?",
    why=("Your alarms are the account's own description of what is wrong. Each firing alarm names a metric and a "
         "resource, which is enough to pick the playbook to run next."),
    good="No alarm in ALARM.",
    run=_alarms,
)
HEALTH_STEP = Step(
    id="health",
    title="Does AWS report a problem?",
    why=("Before you debug your own configuration, rule out AWS's side: AWS Health lists service issues and "
         "scheduled changes that affect this account."),
    good="No open AWS Health event.",
    run=_health,
    decides=False,
)
RECENT_CHANGES_STEP = Step(
    id="recent-changes",
    title="What changed in the account recently?",
    why=("Most incidents follow a change: a stack update, a security group edit, a new policy version, a Lambda "
         "deployment. CloudTrail's event history has the writes of the last 90 days."),
    good="No change you did not expect.",
    run=_changes,
    decides=False,
)

TRIAGE = Playbook(
    name="triage",
    title="The first five minutes: what is firing, what AWS reports, what changed",
    purpose="When you do not yet know which problem you have: alarms in ALARM, AWS Health events, recent "
            "changes, and the playbook to run for each alarm.",
    params=(CHANGES_PARAM,),
    steps=(IDENTITY_STEP, ALARMS_STEP, HEALTH_STEP, RECENT_CHANGES_STEP),
    default_scenario="triage-overview",
)
