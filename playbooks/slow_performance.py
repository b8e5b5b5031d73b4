"""Slow performance: find the limit an EC2 instance, a Lambda function or an RDS database is running into.

The resource's configuration says what it is allowed (instance type and CPU credits, memory and
timeout, database class and storage); CloudWatch says what it used over the window. Saturation is
where the two meet.
"""

from __future__ import annotations

from datetime import datetime

from diagnostics.cloudwatch.metrics import MetricSeries, window
from diagnostics.performance.collect import classify_resource, read_metrics, read_profile
from diagnostics.performance.saturation import Assessment, Ec2Profile, LambdaProfile, Profile, RdsProfile, assess
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

MAX_HOURS = 14 * 24  # CloudWatch keeps one-minute datapoints for 15 days


def performance_resource(text: str) -> str:
    classify_resource(text)  # raises ValueError with the sentence
    return text.strip()


def lookback_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_HOURS:
        raise ValueError(f"{hours} hours is more than the {MAX_HOURS} (14 days) this playbook reads")
    return hours


PARAMS = (
    Param("resource", "an EC2 instance ID, a Lambda function name or ARN, or an RDS DB instance identifier "
          "(prefix lambda: or rds: if a name could be either)", performance_resource, required=True,
          example="i-0123456789abcdef0"),
    Param("hours", "how many hours of metrics to read", lookback_hours, default="3"),
)

KIND_NAMES = {Ec2Profile: "EC2 instance", LambdaProfile: "Lambda function", RdsProfile: "RDS DB instance"}


def _window(ctx: Context) -> tuple[datetime, datetime]:
    return ctx.memo("window", lambda: window(int(ctx.inputs.get("hours", 3))))


def _profile(ctx: Context) -> Profile | None:
    ref = classify_resource(str(ctx.inputs["resource"]))
    return ctx.memo("resource:profile", lambda: read_profile(ctx.client, ref))


def _found(ctx: Context) -> Profile:
    profile = _profile(ctx)
    if profile is None:
        raise StepSkip("Not run: the resource was not found.")
    return profile


def _metrics(ctx: Context) -> dict[str, MetricSeries]:
    start, end = _window(ctx)
    return ctx.memo("cloudwatch:metrics",
                    lambda: read_metrics(ctx.client("cloudwatch"), _found(ctx), start, end))


def _assessment(ctx: Context) -> Assessment:
    return ctx.memo("assessment", lambda: assess(_found(ctx), _metrics(ctx), ctx.session.region))


def _describe(profile: Profile) -> str:
    if isinstance(profile, Ec2Profile):
        text = f"EC2 instance {profile.instance_id}: {profile.instance_type}, {profile.state}"
        if profile.burstable:
            text += (f", a burstable type in {profile.credit_mode or 'unknown'} credit mode (it earns CPU "
                     "credits below its baseline and spends them above it)")
        return text + f"; detailed monitoring {profile.monitoring}."
    if isinstance(profile, LambdaProfile):
        return (f"Lambda function {profile.name}: {profile.memory_mb} MB of memory (and CPU in proportion), "
                f"{profile.timeout_s} s timeout, {profile.runtime or 'container image'} on "
                f"{', '.join(profile.architectures)}.")
    text = (f"RDS DB instance {profile.identifier}: {profile.instance_class}, {profile.engine}, "
            f"{profile.allocated_gb} GB of {profile.storage_type} storage")
    if profile.iops:
        text += f" with {profile.iops} provisioned IOPS"
    if profile.storage_type == "gp2":
        text += f" (baseline {max(100, 3 * profile.allocated_gb)} IOPS, bursts to 3,000 on credits)"
    if profile.burstable:
        text += ", a burstable class"
    return text + f"; {profile.status}{', Multi-AZ' if profile.multi_az else ''}."


# --- the steps -------------------------------------------------------------------------------


def _resource(ctx: Context) -> StepOutcome:
    profile = _profile(ctx)
    if profile is None:
        name = str(ctx.inputs["resource"])
        return StepOutcome("error", f"There is no Lambda function or RDS DB instance named {name} in "
                                    f"{ctx.session.region}; check the name and the region.")
    detail = _describe(profile)
    if isinstance(profile, Ec2Profile) and profile.state != "running":
        return StepOutcome("warning", detail + " It is not running, so it has no recent metrics to judge.")
    return StepOutcome("ok", detail)


def _metric_step(ctx: Context) -> StepOutcome:
    metrics = _metrics(ctx)
    assessment = _assessment(ctx)
    hours = int(ctx.inputs.get("hours", 3))
    read = [name for name, series in metrics.items() if not series.empty]
    missing = [name for name, series in metrics.items() if series.empty]
    if not read:
        return StepOutcome("warning", f"CloudWatch has no datapoints for this resource in the last {hours} h "
                                      f"({', '.join(metrics)}): it was idle, stopped, or not in this region.")
    detail = f"Read {len(read)} metrics over the last {hours} h. " + " ".join(assessment.observations)
    if missing:
        detail += f" No data for {', '.join(missing)}."
    return StepOutcome("ok", detail)


def _saturation(ctx: Context) -> StepOutcome:
    assessment = _assessment(ctx)
    findings = list(assessment.findings)
    if not assessment.has_data:
        return StepOutcome("warning", "Without metrics nothing can be judged; if the resource is busy now, "
                                      "detailed monitoring or the CloudWatch agent would show why.", findings)
    if not findings:
        kind = KIND_NAMES[type(_found(ctx))]
        return StepOutcome("ok", f"No limit of the {kind} was reached in the window: CPU, credits, storage "
                                 "and duration all had headroom. Look at what it calls (a database, an API) "
                                 "next.")
    errors = [f for f in findings if f.severity == "error"]
    detail = " ".join(f.summary for f in (errors or findings)[:2])
    if len(findings) > 2:
        detail += f" ({len(findings)} limits in all, listed below.)"
    return StepOutcome("problem" if errors else "warning", detail, findings)


RESOURCE_STEP = Step(
    id="resource",
    title="What is it, and what is it allowed?",
    why=(
        "A resource can only be as fast as its size: an instance type has a number of vCPUs (and, for the "
        "burstable T types, a CPU budget of credits), a Lambda function gets CPU in proportion to its "
        "memory, and a database class and its storage type set the CPU, memory and disk operations it can "
        "do. This step finds out which kind of resource was named and reads that configuration."
    ),
    good="The resource exists and is running.",
    run=_resource,
)

METRICS_STEP = Step(
    id="metrics",
    title="How busy has it been?",
    why=(
        "CloudWatch keeps a minute-by-minute (or five-minute) record of what the resource used: CPU, CPU "
        "credits, I/O burst balance, memory, latency, duration. Averages hide spikes and maxima hide trends, "
        "so both are read. A flat line matters too: a burstable instance out of credits shows a low, flat "
        "CPU."
    ),
    good="Metrics exist for the window and show headroom.",
    run=_metric_step,
)

SATURATION_STEP = Step(
    id="saturation",
    title="What is at its limit?",
    why=(
        "Slowness is a queue in front of something that is full. This step compares the metrics with the "
        "limits: CPU at 90% or more for 15 minutes, CPU credits or the storage's I/O burst balance at zero, "
        "memory nearly gone, a function's duration near its timeout. Each finding comes with the command "
        "that lifts the limit, and what that command costs (a restart, a bigger bill)."
    ),
    good="Nothing sustained at its limit.",
    run=_saturation,
)

PLAYBOOK = Playbook(
    name="slow-performance",
    title="Something is slow",
    purpose="Reads an EC2 instance's, Lambda function's or RDS database's configuration and CloudWatch "
            "metrics and names what is saturated (CPU, CPU credits, I/O burst balance, memory, timeout) with "
            "the fix.",
    params=PARAMS,
    steps=(IDENTITY_STEP, RESOURCE_STEP, METRICS_STEP, SATURATION_STEP),
    default_scenario="slow-t3-credits-exhausted",
)
