"""Slow performance: where the time goes along the request path, now against a baseline.

The user names what they have (a load balancer, API stage, distribution, stack, function, table,
database or instance); the configuration says what is behind it. For each component, CloudWatch (and
a function's REPORT lines) say how long it took over the window and over the baseline (the same hours
a week earlier by default); its configuration says what it is allowed. Saturation is where use meets
the limit; the regression is the component whose own time grew most; Performance Insights and X-Ray
say which query or segment takes the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from diagnostics.awslambda.collect import LogRead
from diagnostics.awslambda.memory import Invocation
from diagnostics.cloudwatch.metrics import MetricSeries, window
from diagnostics.errors import where_searched
from diagnostics.findings import Finding
from diagnostics.performance.baseline import BASELINES, baseline_name, baseline_window
from diagnostics.performance.collect import (
    ResourceRef,
    classify_resource,
    component_of,
    describe_ec2,
    ec2_profile,
    other_kinds,
    read_ec2,
    read_front,
    read_insights_answers,
    read_latency,
    read_metrics,
    read_path,
    read_profile,
    read_reports,
    read_trace_summaries,
)
from diagnostics.performance.components import LATENCY, Component
from diagnostics.performance.frontends import METRICS as FRONT_METRICS
from diagnostics.performance.frontends import FrontReading, judge_front
from diagnostics.performance.graph import component_graph
from diagnostics.performance.insights import describe_insights, insights_findings, read_insights
from diagnostics.performance.lambda_logs import LambdaLogStats, describe, log_findings, log_stats, report_proof
from diagnostics.performance.percentiles import LOG_SAMPLES, Latency, best, from_samples
from diagnostics.performance.rds_storage import is_aurora
from diagnostics.performance.regression import Timing, judge, regression_finding, sentence, under_floor, with_children
from diagnostics.performance.saturation import Ec2Profile, LambdaProfile, Profile, RdsProfile, assess, proof_of
from diagnostics.performance.traces import describe_traces, read_summaries
from diagnostics.proof import with_proof
from playbooks import params as v
from playbooks.changes import look_up_also
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

MAX_HOURS = 14 * 24  # CloudWatch keeps one-minute datapoints for 15 days


def performance_resource(text: str) -> str:
    try:  # an instance ID or ARN as pasted (upper case, ARN) becomes the ID, keeping the ARN's place
        return v.instance_id(text)
    except ValueError:
        pass
    classify_resource(text)  # raises ValueError with the sentence
    where = v.arn_location(text)
    return v.Located(text.strip(), *where) if where else text.strip()  # the ARN's region steers the run


def lookback_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_HOURS:
        raise ValueError(f"{hours} hours is more than the {MAX_HOURS} (14 days) this playbook reads")
    return hours


PARAMS = (
    Param("resource", "what is slow: a Lambda function, EC2 instance ID or RDS DB instance (name or ARN; prefix "
          "lambda: or rds: if a name could be either), or, to follow the request path, a load balancer "
          "(alb:NAME or ARN), a target group (tg:NAME or ARN), an API stage (api:ID/STAGE or stage ARN), a "
          "CloudFront distribution (cloudfront:ID or ARN), a DynamoDB table (dynamodb:NAME or ARN) or a "
          "CloudFormation stack (stack:NAME or ARN)", performance_resource, required=True, example="alb:shop-web"),
    Param("hours", "how many hours to look at, ending now", lookback_hours, default="1"),
    Param("baseline", "what to compare the window with: week (the same hours a week earlier), day, or "
          "previous (the window just before)", baseline_name, default="week"),
)

KIND_NAMES = {Ec2Profile: "EC2 instance", LambdaProfile: "Lambda function", RdsProfile: "RDS DB instance"}


def _hours(ctx: Context) -> int:
    return int(ctx.inputs.get("hours", 1))


def _window(ctx: Context) -> tuple[datetime, datetime]:
    return ctx.memo("window", lambda: window(_hours(ctx)))


def _baseline(ctx: Context) -> tuple[str, tuple[datetime, datetime]]:
    mode = str(ctx.inputs.get("baseline", "week"))
    return BASELINES[mode], baseline_window(*_window(ctx), mode)


SINGLE = ("ec2", "lambda", "rds", "lambda-or-rds")


def _path(ctx: Context) -> list[Component]:
    """The components behind what the user named, front first (one for a function, instance or
    database; a load balancer, API, distribution or stack is walked downstream)."""
    def fetch() -> list[Component]:
        ref = classify_resource(str(ctx.inputs["resource"]))
        if ref.kind in SINGLE:
            profile = read_ec2(ctx.client("ec2"), ref.id, _instance(ctx, ref.id)) if ref.kind == "ec2" else \
                read_profile(ctx.client, ref)
            if profile is None:
                return []
            comp = component_of(profile)
            ctx.cache["profiles"] = {comp.key: profile}
            return [comp]
        return read_path(ctx.client, ref, ctx.session.region, ctx.read)

    return ctx.memo("path", fetch)


def _instance(ctx: Context, instance_id: str) -> Any:
    return ctx.memo(f"ec2:described:{instance_id}", lambda: describe_ec2(ctx.client("ec2"), instance_id))


def _found_path(ctx: Context) -> list[Component]:
    """The path the first step read; later steps do not run without it (and do not ask again)."""
    path = ctx.peek("path")
    if not path:
        raise StepSkip("Not run: the first step could not find what was named.")
    return path


def _profiles(ctx: Context) -> dict[str, Profile]:
    """The configuration of every function, instance and database on the path."""
    def fetch() -> dict[str, Profile]:
        comps = [c for c in _found_path(ctx) if c.kind in ("lambda", "rds", "ec2")]
        profiles = ctx.read_all([(f"the configuration of {comp.label}",  # independent: asked for together
                                  lambda c=comp: read_profile(ctx.client, ResourceRef(c.kind, c.id)), None)
                                 for comp in comps])
        return {comp.key: profile for comp, profile in zip(comps, profiles, strict=True) if profile is not None}

    return ctx.memo("profiles", fetch)


def _metrics(ctx: Context, profile: Profile) -> dict[str, MetricSeries]:
    start, end = _window(ctx)
    comp = component_of(profile)
    return ctx.memo(f"metrics:{comp.key}",
                    lambda: read_metrics(ctx.client("cloudwatch"), profile, start, end, read_all=ctx.read_all))


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
    text = ""
    if profile.asked_cluster:  # a cluster has no metrics of its own: its instances carry them
        text = f"{profile.asked_cluster} is a DB cluster: judged here through its writer; "
        if profile.readers:
            text += (f"its reader(s) {', '.join(profile.readers)} not judged in this run (name one, e.g. "
                     f"resource={profile.readers[0]}, to judge it). ")
    text += f"RDS DB instance {profile.identifier}: {profile.instance_class}, {profile.engine}, "
    if is_aurora(profile.engine):  # its AllocatedStorage is not its volume: the cluster's grows by itself
        text += f"storage on Aurora cluster {profile.cluster or '(unnamed)'}'s volume"
    else:
        text += f"{profile.allocated_gb} GB of {profile.storage_type} storage"
    if profile.iops:
        text += f" with {profile.iops} provisioned IOPS"
    if profile.storage_type == "gp2":
        text += f" (baseline {max(100, 3 * profile.allocated_gb)} IOPS, bursts to 3,000 on credits)"
    if profile.burstable:
        text += ", a burstable class"
    return text + f"; {profile.status}{', Multi-AZ' if profile.multi_az else ''}."


# --- what was observed, per component ----------------------------------------------------------


@dataclass
class Observed:
    """One component's latency from every source that had it, now and at baseline."""

    component: Component
    cloudwatch_now: Latency | None = None
    cloudwatch_then: Latency | None = None
    below_now: Latency | None = None
    below_then: Latency | None = None
    runs_now: list[Invocation] = field(default_factory=list)
    runs_then: list[Invocation] = field(default_factory=list)
    logs_now: LogRead | None = None  # None: not a function, or the read failed
    # The metrics compared too (LatencyMetric.also, RDS WriteLatency): name -> latency now / at baseline.
    also_now: dict[str, Latency | None] = field(default_factory=dict)
    also_then: dict[str, Latency | None] = field(default_factory=dict)

    @property
    def now(self) -> Latency | None:
        return best(self.cloudwatch_now, from_samples((r.duration_ms for r in self.runs_now), LOG_SAMPLES))

    @property
    def then(self) -> Latency | None:
        return best(self.cloudwatch_then, from_samples((r.duration_ms for r in self.runs_then), LOG_SAMPLES))

    def timing(self) -> Timing:
        return Timing(self.component, self.now, self.then, self.below_now, self.below_then)

    def also(self) -> list[Timing]:
        """One timing per metric compared too, each judged on its own (a disk's writes can slow while its
        reads do not)."""
        return [Timing(self.component, self.also_now.get(name), self.also_then.get(name), metric=name)
                for name in dict.fromkeys([*self.also_now, *self.also_then])]


def _observe(ctx: Context, comp: Component) -> Observed:
    def fetch() -> Observed:
        start, end = _window(ctx)
        _, (b_start, b_end) = _baseline(ctx)
        cloudwatch = ctx.client("cloudwatch")
        seen = Observed(comp)
        metric = LATENCY.get(comp.kind)
        # Every read below is independent of the others: they are asked for together (ctx.read_all).
        reads: list[tuple[str, Any, Any]] = []
        fields: list[str] = []
        if metric is not None:
            for when, (a, b) in (("now", (start, end)), ("then", (b_start, b_end))):
                label = "in the window" if when == "now" else "at baseline"
                reads.append((f"{comp.label}'s {metric.name} {label}",
                              lambda a=a, b=b: read_latency(cloudwatch, comp, a, b), (None, None)))
                fields.append(f"cloudwatch_{when}")
                if metric.below:
                    reads.append((f"{comp.label}'s {metric.below} {label}",
                                  lambda a=a, b=b: read_latency(cloudwatch, comp, a, b, below=True), (None, None)))
                    fields.append(f"below_{when}")
                for other in metric.also:
                    reads.append((f"{comp.label}'s {other} {label}",
                                  lambda a=a, b=b, other=other: read_latency(cloudwatch, comp, a, b, name=other),
                                  (None, None)))
                    fields.append(f"also_{when}:{other}")
        profile = _profiles(ctx).get(comp.key)
        if isinstance(profile, LambdaProfile):
            logs = ctx.client("logs")
            reads.append((f"the REPORT lines of {profile.name} in the window",
                          lambda: read_reports(logs, profile, start, end), ([], None)))
            fields.append("logs_now")
            reads.append((f"the REPORT lines of {profile.name} at baseline",
                          lambda: read_reports(logs, profile, b_start, b_end), ([], None)))
            fields.append("logs_then")
        for name, (first, second) in zip(fields, ctx.read_all(reads), strict=True):
            if name == "logs_now":
                seen.runs_now, seen.logs_now = first, second
            elif name == "logs_then":
                seen.runs_then = first
            elif name.startswith("also_"):
                when, _, other = name.partition(":")
                getattr(seen, when)[other] = first
            else:
                setattr(seen, name, first)
        return seen

    return ctx.memo(f"observed:{comp.key}", fetch)


def _log_stats(ctx: Context, seen: Observed) -> LambdaLogStats | None:
    profile = _profiles(ctx).get(seen.component.key)
    if not isinstance(profile, LambdaProfile) or not seen.runs_now:
        return None
    return log_stats(seen.runs_now, profile.timeout_s)


def _empty_sources(ctx: Context, seen: Observed) -> str:
    """Which sources were empty for a component, and what would give data."""
    comp = seen.component
    metric = LATENCY.get(comp.kind)
    hours = _hours(ctx)
    parts = []
    if metric is not None and seen.cloudwatch_now is None:
        parts.append(f"CloudWatch has no {metric.namespace} {metric.name} datapoints for it in the last {hours} h")
    if comp.kind == "lambda":
        group = getattr(_profiles(ctx).get(comp.key), "log_group", "") or f"/aws/lambda/{comp.name}"
        if seen.logs_now is not None and not seen.logs_now.log_group_exists:
            parts.append(f"its log group {group} does not exist")
        elif seen.logs_now is not None:
            parts.append(f"its log group {group} has no REPORT lines in the window")
        if seen.logs_now is not None and seen.cloudwatch_now is None:
            parts.append("so, according to both its metrics and its logs, it was not invoked in the window")
    return ", ".join(parts)


# --- the steps -------------------------------------------------------------------------------


def _resource(ctx: Context) -> StepOutcome:
    try:
        path = _path(ctx)
    except ValueError as exc:  # an API with several stages and none named, and the like
        return StepOutcome("error", str(exc))
    if not path:
        given = str(ctx.inputs["resource"])
        name = given.partition(":")[2] if given.split(":")[0] in ("lambda", "rds") else given
        where = where_searched(ctx.session.region, ctx.identity.get("account", ""))
        ref = classify_resource(given)
        if ref.kind == "target-group":
            return StepOutcome("error", f"There is no target group {ref.id}: DescribeTargetGroups answered "
                                        f"TargetGroupNotFound; {where}.")
        others = [f"{kind} named {name} exists: use resource={prefix}:{name}"
                  for prefix, kind in other_kinds(ctx.client, name)]  # the likeliest answer comes first
        if others:
            where = f"but {' and '.join(others)} ({where.split(':')[0]})"
        return StepOutcome("error", f"There is no Lambda function or RDS DB instance named {name}; {where}.")
    ctx.set_graph(component_graph(path))
    # The change step looks up what was named under the names CloudTrail records (the load balancer's ARN),
    # never awstriage's shorthand (alb:NAME, api:ID/stage).
    look_up_also(ctx, [c.resource for c in path if c.parent is None])
    profiles = _profiles(ctx)
    parts = []
    if len(path) > 1:
        parts.append(f"The path has {len(path)} components: " + "; ".join(_hop(c, path) for c in path) + ".")
    parts += [_describe(p) for p in profiles.values()]
    if len(path) == 1 and not profiles:
        facts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in path[0].facts.items() if v is not None)
        parts.append(f"{path[0].label}" + (f": {facts}." if facts else "."))
    stopped = [p for p in profiles.values() if isinstance(p, Ec2Profile) and p.state != "running"]
    unhealthy = [c for c in path if c.facts.get("unhealthy")]
    if stopped or unhealthy:
        notes = [f"{p.instance_id} is {p.state}, so it has no recent metrics to judge." for p in stopped]
        notes += [f"{c.label} has {c.facts['unhealthy']} unhealthy of {c.facts['targets']} targets: the load "
                  "balancer sends their share of the traffic to the others." for c in unhealthy]
        return StepOutcome("warning", " ".join(parts + notes))
    return StepOutcome("ok", " ".join(parts))


def _hop(comp: Component, path: list[Component]) -> str:
    parent = next((c for c in path if c.key == comp.parent), None)
    what = f" ({comp.facts['what']})" if comp.facts.get("what") else ""
    return f"{comp.label}{what}" + (f", called by {parent.label}" if parent else ", the entry point")


def _drawn(run: Callable[[Context], StepOutcome]) -> Callable[[Context], StepOutcome]:
    """A judging step that names components redraws the path with them amber or red."""
    def step(ctx: Context) -> StepOutcome:
        outcome = run(ctx)
        path = ctx.peek("path")
        if path and outcome.findings:
            ctx.set_graph(component_graph(path, [*ctx.findings, *outcome.findings]))
        return outcome

    return step


def _latency_step(ctx: Context) -> StepOutcome:
    path = [c for c in _found_path(ctx) if c.kind in LATENCY]
    if not path:
        raise StepSkip("An EC2 instance has no latency metric of its own (its load balancer or its "
                       "application has); the next step judges it by what it is using.")
    label, (b_start, _) = _baseline(ctx)
    lines: list[str] = []
    empty: list[str] = []
    for comp in path:
        seen = _observe(ctx, comp)
        now, then = seen.now, seen.then
        if now is None:
            empty.append(f"{comp.label}: {_empty_sources(ctx, seen)}.")
            continue
        stats = _log_stats(ctx, seen)
        timeout = getattr(_profiles(ctx).get(comp.key), "timeout_s", 0)
        text = f"{comp.label}: now {now.describe()}"
        if stats is not None and seen.cloudwatch_now is None:
            text = f"{comp.label}: now {describe(stats, timeout).rstrip('.')}"
        text += (f"; at baseline ({label}, from {b_start:%Y-%m-%d %H:%M} UTC) {then.describe()}." if then
                 else f"; no data at baseline ({label}).")
        if stats is not None:
            if seen.cloudwatch_now is not None:
                text += " " + describe(stats, timeout)
            else:
                text += (f" CloudWatch has no AWS/Lambda Duration for it in the window although its logs show "
                         f"{stats.count} invocations: the two sources disagree (metrics arrive late, or are "
                         "kept in another region or account), so the logs are used.")
        if seen.logs_now is not None and seen.logs_now.truncated:
            text += " (Only the first REPORT lines of the window were read.)"
        lines.append(text)
    if not lines:
        return StepOutcome("no_data", "No latency data now. " + " ".join(empty) + f" Widen hours (now {_hours(ctx)}), "
                           "check the region, or turn on the metrics and logs the component keeps.")
    return StepOutcome("ok", " ".join(lines + empty))


def _saturation(ctx: Context) -> StepOutcome:
    profiles = _profiles(ctx)
    if not profiles:
        raise StepSkip("Nothing on the path has a configuration to compare its use with (no function, instance "
                       "or database was found behind it).")
    findings: list[Finding] = []
    judged: list[str] = []
    empty: list[str] = []
    for key, profile in profiles.items():
        comp = component_of(profile)
        assessment = assess(profile, _metrics(ctx, profile), ctx.session.region)
        found: list[Finding] = []
        stats = None
        if isinstance(profile, LambdaProfile):
            seen = _observe(ctx, next(c for c in _found_path(ctx) if c.key == key))
            stats = _log_stats(ctx, seen)
            if stats is not None:
                # The metric where CloudWatch has it, else the REPORT lines the finding was judged from.
                found = [with_proof(f, *(proof_of(f.code, profile, _metrics(ctx, profile))
                                         or report_proof(f.code, profile, seen.runs_now)))
                         for f in log_findings(stats, profile, ctx.session.region, _hours(ctx))]
        codes = {f.code for f in found}
        found += [f for f in assessment.findings if f.code not in codes]  # the logs' count says more
        findings += found
        if not assessment.has_data and stats is None:
            where = (_empty_sources(ctx, _observe(ctx, next(c for c in _found_path(ctx) if c.key == key)))
                     if comp.kind in LATENCY else f"CloudWatch has no datapoints for it in the last {_hours(ctx)} h")
            more = (" (detailed monitoring or the CloudWatch agent gives more)"
                    if isinstance(profile, Ec2Profile) else "")
            empty.append(f"{comp.label}: {where}{more}.")
        elif not found:
            source = "its REPORT lines" if not assessment.has_data else "its metrics"
            judged.append(f"{comp.label} reached no limit according to {source}: CPU, credits, storage, duration "
                          "and start-up had headroom.")
    if not findings and not judged:
        return StepOutcome("no_data", "Nothing to judge. " + " ".join(empty) + " Widen hours or check the region.")
    errors = [f for f in findings if f.severity == "error"]
    if not findings:
        return StepOutcome("ok", " ".join(judged + empty))
    detail = " ".join(f.summary for f in (errors or findings)[:2])
    if len(findings) > 2:
        detail += f" ({len(findings)} limits in all, listed below.)"
    return StepOutcome("problem" if errors else "warning", " ".join([detail, *empty]), findings)


def _front(ctx: Context) -> StepOutcome:
    fronts = [c for c in _found_path(ctx) if c.kind in FRONT_METRICS]
    if not fronts:
        raise StepSkip("No load balancer, API, distribution or table on the path.")
    start, end = _window(ctx)
    _, (b_start, b_end) = _baseline(ctx)
    cloudwatch = ctx.client("cloudwatch")
    findings: list[Finding] = []
    notes: list[str] = []
    empty: list[str] = []
    for comp in fronts:
        now = ctx.read(f"the error and health metrics of {comp.label}",
                       lambda c=comp: read_front(cloudwatch, c, start, end), default={})
        then = {}
        if comp.kind == "cloudfront":  # a cache hit rate is judged against its own normal
            then = ctx.read(f"the cache hit rate of {comp.label} at baseline",
                            lambda c=comp: read_front(cloudwatch, c, b_start, b_end, ("CacheHitRate",)), default={})
        if not any(not stats.empty for stats in now.values()):
            namespace = FRONT_METRICS[comp.kind][0]
            empty.append(f"{comp.label}: CloudWatch has no {namespace} error or health datapoints in the last "
                         f"{_hours(ctx)} h.")
            continue
        found, said = judge_front(FrontReading(comp, now, then), ctx.session.region)
        findings += found
        notes += said
    if not findings and not notes:
        return StepOutcome("no_data", " ".join(empty) + " Widen hours or check the region.")
    detail = " ".join([*(f.summary for f in findings[:2]), *notes, *empty]) or "No errors, unhealthy targets or " \
        "cache misses stand out."
    if any(f.severity == "error" for f in findings):
        return StepOutcome("problem", detail, findings)
    return StepOutcome("warning" if findings else "ok", detail, findings)


def _traced(ctx: Context) -> list[tuple[Component, str, bool | None]]:
    """(component, X-Ray service name, tracing on?) for the path's APIs and functions, front first.
    None: the configuration read does not say (an API stage's setting is not read)."""
    out: list[tuple[Component, str, bool | None]] = []
    profiles = _profiles(ctx)
    for comp in _found_path(ctx):
        if comp.kind == "lambda" and isinstance(profiles.get(comp.key), LambdaProfile):
            out.append((comp, comp.name, profiles[comp.key].tracing == "Active"))  # type: ignore[union-attr]
        elif comp.kind in ("apigw-rest", "apigw-http"):
            out.append((comp, f"{dict(comp.dimensions).get('ApiName', comp.id.split('/')[0])}/"
                              f"{dict(comp.dimensions)['Stage']}", None))
    return out


def _traces(ctx: Context) -> StepOutcome:
    traced = _traced(ctx)
    if not traced:
        raise StepSkip("Nothing on the path records X-Ray traces (API Gateway stages and Lambda functions do).")
    start, end = _window(ctx)
    xray = ctx.client("xray")
    said: list[str] = []
    off: list[str] = []
    for comp, service, on in traced:
        summaries = ctx.read(f"the X-Ray traces through {service}",
                             lambda s=service: read_trace_summaries(xray, s, start, end), default=None)
        if summaries is None:
            continue
        reading = read_summaries(summaries)
        if reading.count:
            said.append(f"{comp.label}: {describe_traces(reading)}")
            break  # the front-most traced component's traces already cover the hops behind it
        if on is False:
            off.append(f"tracing is off on {comp.label} (aws lambda update-function-configuration --function-name "
                       f"{comp.name} --tracing-config Mode=Active --region {ctx.session.region})")
        else:
            off.append(f"X-Ray has no traces through {service} in the window")
    if not said:
        return StepOutcome("no_data", "No traces to read: " + "; ".join(off or ["X-Ray could not be read"])
                           + ". With tracing on, X-Ray names the segment that takes the time (a database call, "
                           "an HTTP dependency).")
    return StepOutcome("ok", " ".join(said))


def _insights(ctx: Context) -> StepOutcome:
    databases = [p for p in _profiles(ctx).values() if isinstance(p, RdsProfile)]
    if not databases:
        raise StepSkip("No RDS database on the path.")
    start, end = _window(ctx)
    region = ctx.session.region
    said: list[str] = []
    off: list[str] = []
    findings: list[Finding] = []
    for db in databases:
        # DescribeDBInstances always says on AWS; where it does not, Performance Insights' own answer does.
        if db.insights is False or not db.resource_id:
            off.append(f"Performance Insights is off on {db.identifier} (aws rds modify-db-instance "
                       f"--db-instance-identifier {db.identifier} --enable-performance-insights "
                       f"--performance-insights-retention-period 7 --apply-immediately --region {region}; "
                       "7 days are free)")
            continue
        answers = read_insights_answers(ctx.client("pi"), db.resource_id, start, end, ctx.read)
        reading = read_insights(*answers, db.instance_class)
        if reading.empty:
            off.append(f"Performance Insights had no load for {db.identifier} in the window")
            continue
        said.append(f"{db.identifier}: {describe_insights(reading)}.")
        findings += insights_findings(reading, db, db.resource_id, region, _hours(ctx))
    if not said:
        return StepOutcome("no_data", "; ".join(off) + ". With it, the load by SQL statement and wait event names "
                                                       "the query that holds the database.")
    detail = " ".join(said + [f"{o}." for o in off])
    if findings:
        return StepOutcome("problem", detail, findings)
    return StepOutcome("ok", detail)


def _regression(ctx: Context) -> StepOutcome:
    path = [c for c in _found_path(ctx) if c.kind in LATENCY]
    if not path:
        raise StepSkip("Nothing on the path has a latency metric to compare with its baseline.")
    label, (b_start, _) = _baseline(ctx)
    timings = with_children({c.key: _observe(ctx, c).timing() for c in path}, path)
    verdicts = judge([*timings.values(), *(t for c in path for t in _observe(ctx, c).also())])
    compared = [v for v in verdicts if v.own is not None and v.own.now is not None and v.own.then is not None]
    if not compared:
        missing = [c.label for c in path if timings[c.key].then is None]
        return StepOutcome("no_data", f"No baseline to compare with: {', '.join(missing)} had no latency data "
                                      f"{label} (from {b_start:%Y-%m-%d %H:%M} UTC). Try baseline=previous or "
                                      "baseline=day.")
    finding = regression_finding(verdicts, label, ctx.session.region)
    sentences = [sentence(v) for v in compared]
    below = [f"{v.component.label} got slower only because what is below it did" for v in verdicts if v.below_grew]
    detail = "; ".join(sentences + below) + "."
    if finding is None:
        small = under_floor(verdicts)
        return StepOutcome("ok", f"Nothing got markedly slower than {label}: {detail}"
                           + (" " + "; ".join(small) + "." if small else ""))
    return StepOutcome("problem" if finding.severity == "error" else "warning", finding.summary, [finding])


RESOURCE_STEP = Step(
    id="resource",
    title="What is it, what is behind it, and what is each part allowed?",
    why=(
        "A resource can only be as fast as its size: an instance type has a number of vCPUs (and, for the "
        "burstable T types, a CPU budget of credits), a Lambda function gets CPU in proportion to its "
        "memory, and a database class and its storage type set the CPU, memory and disk operations it can "
        "do. This step finds out which kind of resource was named and reads that configuration; for a load "
        "balancer, API, distribution or stack it follows the configuration downstream (listener rules to "
        "target groups to targets, integrations to functions, origins) so each hop can be read."
    ),
    good="The resource exists and is running.",
    run=_resource,
)

LATENCY_STEP = Step(
    id="latency",
    title="How fast is it now, and how fast was it before?",
    why=(
        "\"Slow\" means slower than something. This step reads each component's latency over the window "
        "and over a baseline (by default the same hours a week earlier, when the traffic was alike): the "
        "percentiles p50, p90 and p99 where CloudWatch keeps them, otherwise from the function's own REPORT "
        "lines, never made up from too few samples. A function with logs but no metrics is judged from its "
        "logs."
    ),
    good="Latency data exists for the window.",
    run=_drawn(_latency_step),
)

SATURATION_STEP = Step(
    id="saturation",
    title="What is at its limit?",
    why=(
        "Slowness is a queue in front of something that is full. This step compares what was used with the "
        "limits: CPU at 90% or more for 15 minutes, CPU credits or the storage's I/O burst balance at zero, "
        "memory nearly gone, a function's invocations close to its timeout, or many cold starts with a slow "
        "Init Duration. Each finding comes with the command that lifts the limit, and what it costs."
    ),
    good="Nothing sustained at its limit.",
    run=_drawn(_saturation),
)

FRONT_STEP = Step(
    id="front",
    title="Are the front doors failing or missing their cache?",
    why=(
        "Latency is half the story at the front: a load balancer that answers 5XX itself (no healthy target, "
        "a target that timed out) is a different fault from targets that answer 5XX; an API's 5XX and its "
        "cache hits; a distribution whose cache hit rate collapsed sends every request to its origin; a "
        "table that throttles makes the SDK retry. This step reads those counts for each front component."
    ),
    good="Few errors, healthy targets, a cache hit rate like last week's.",
    run=_drawn(_front),
    decides=False,
)

TRACES_STEP = Step(
    id="traces",
    title="Which segment of a request takes the time?",
    why=(
        "Metrics say a component got slower; traces say which part of a request did: the function's own "
        "code, or the database or HTTP call it waits for. X-Ray's trace summaries name, for each slow "
        "request, the segment responsible for its response time. This step counts those over the slowest "
        "requests of the window and gives example trace IDs to open in the console."
    ),
    good="Traces exist, and the slowest ones spend their time where it is expected.",
    run=_drawn(_traces),
    decides=False,
)

INSIGHTS_STEP = Step(
    id="insights",
    title="Which SQL holds the database?",
    why=(
        "A busy database is busy running something. Performance Insights counts active sessions (DB load) "
        "and splits them by SQL statement and by what they wait for (CPU, I/O, locks). A load above the "
        "number of vCPUs means sessions queue; one statement making most of it is the query to fix first."
    ),
    good="DB load below the vCPUs, or no single statement dominating it.",
    run=_drawn(_insights),
    decides=False,
)

REGRESSION_STEP = Step(
    id="regression",
    title="What got slower than its baseline?",
    why=(
        "A number is alarming only against normal: a p99 of 2.6 s is fine for a batch job and a disaster for "
        "a checkout API. This step compares each component's latency with its baseline and names the one "
        "whose own time grew most, telling \"it got slower\" from \"what it calls got slower\". Without a "
        "baseline it says so and leaves the verdict to the other steps."
    ),
    good="Latency close to its baseline.",
    run=_drawn(_regression),
    decides=False,
)

def _plan(ctx: Context) -> None:
    """The path at once; once it is read, the metrics of every resource on it and the latency of every
    component that has one, together (the saturation and latency steps read all of them). A named instance's
    metrics start as soon as it is described, beside the read of its credit mode (see
    :func:`_plan_instance`)."""
    ref = classify_resource(str(ctx.inputs["resource"]))
    if ref.kind == "ec2":
        ctx.prefetch(f"ec2:described:{ref.id}", lambda: _instance(ctx, ref.id))
        ctx.prefetch("slow:plan:instance", lambda: _plan_instance(ctx, ref.id))
    ctx.prefetch("path", lambda: _path(ctx))
    ctx.prefetch("slow:plan:components", lambda: _plan_components(ctx))


def _plan_instance(ctx: Context, instance_id: str) -> None:
    """Which metrics an instance has follows from its type (a burstable one has credit metrics), not its
    credit mode: they are read under the key the saturation step uses, with the profile so far."""
    profile = ec2_profile(instance_id, _instance(ctx, instance_id))
    ctx.prefetch(f"slow:plan:metrics:{component_of(profile).key}", lambda: _metrics(ctx, profile))


def _plan_components(ctx: Context) -> None:
    path = ctx.memo("path", lambda: _path(ctx))
    if not path:
        return  # the resource step says what was not found
    for key, profile in _profiles(ctx).items():
        ctx.prefetch(f"slow:plan:metrics:{key}", lambda profile=profile: _metrics(ctx, profile))
    for comp in path:
        if comp.kind in LATENCY:
            ctx.prefetch(f"slow:plan:observed:{comp.key}", lambda comp=comp: _observe(ctx, comp))


PLAYBOOK = Playbook(
    name="slow-performance",
    title="Something is slow",
    purpose="Follows the path behind a load balancer, API, CDN or stack to its functions, instances and "
            "databases, compares each one's latency with last week's, and names what got slower or is at its "
            "limit, with the fix.",
    params=PARAMS,
    steps=(IDENTITY_STEP, RESOURCE_STEP, LATENCY_STEP, SATURATION_STEP, INSIGHTS_STEP, FRONT_STEP,
           TRACES_STEP, REGRESSION_STEP),
    default_scenario="slow-t3-credits-exhausted",
    plan=_plan,
)
