"""Reading what the slow-performance diagnosis needs: which kind of resource was named, its
configuration, and its CloudWatch metrics over the window."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from diagnostics.awslambda.collect import LogRead, read_report_lines
from diagnostics.awslambda.memory import FunctionMemory, Invocation, function_memory, parse_report
from diagnostics.cloudwatch.metrics import MetricSeries, WindowStats, fetch_series, fetch_window
from diagnostics.performance.components import LATENCY, Component
from diagnostics.performance.percentiles import QUANTILES, Latency, from_cloudwatch
from diagnostics.performance.saturation import Ec2Profile, LambdaProfile, Profile, RdsProfile, is_burstable

Kind = Literal["ec2", "lambda", "rds", "lambda-or-rds"]

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
EC2_ARN = re.compile(r"^arn:[^:]+:ec2:[^:]*:\d{12}:instance/(i-[0-9a-f]+)$")
LAMBDA_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[\w$-]+)?$")
RDS_ARN = re.compile(r"^arn:[^:]+:rds:[^:]+:\d{12}:db:([a-zA-Z][a-zA-Z0-9-]{0,62})$")
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RDS_IDENTIFIER = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}(?<!-)$")

# What each kind's diagnosis reads from CloudWatch: metric name -> statistics.
METRICS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "ec2": ("AWS/EC2", {
        "CPUUtilization": ("Average", "Maximum"),
        "StatusCheckFailed": ("Maximum",),
        "EBSIOBalance%": ("Minimum",),
    }),
    "lambda": ("AWS/Lambda", {
        "Duration": ("Average", "Maximum"),
        "Invocations": ("Sum",),
        "Errors": ("Sum",),
        "Throttles": ("Sum",),
        "ConcurrentExecutions": ("Maximum",),
    }),
    "rds": ("AWS/RDS", {
        "CPUUtilization": ("Average", "Maximum"),
        "FreeableMemory": ("Minimum", "Average"),
        "ReadLatency": ("Average", "Maximum"),
        "WriteLatency": ("Average", "Maximum"),
        "DatabaseConnections": ("Average", "Maximum"),
        "BurstBalance": ("Minimum",),
        "FreeStorageSpace": ("Minimum",),
    }),
}
BURSTABLE_METRICS = {"ec2": {"CPUCreditBalance": ("Minimum", "Average")},
                     "rds": {"CPUCreditBalance": ("Minimum", "Average")}}
DIMENSION = {"ec2": "InstanceId", "lambda": "FunctionName", "rds": "DBInstanceIdentifier"}


@dataclass(frozen=True)
class ResourceRef:
    kind: Kind
    id: str


def classify_resource(text: str) -> ResourceRef:
    """An instance ID or ARN, a Lambda function name or ARN, or an RDS DB instance identifier or ARN.

    ``lambda:NAME`` and ``rds:NAME`` say which one a bare name is; without it, a name that could be
    either is looked up as a function first.
    """
    value = text.strip()
    kind, sep, rest = value.partition(":")
    if sep and kind in ("lambda", "rds", "ec2") and not value.startswith("arn:"):
        inner = classify_resource(rest)
        if kind == "ec2" and inner.kind != "ec2":
            raise ValueError(f"'{text}' is not an EC2 instance ID")
        if kind == "lambda" and inner.kind not in ("lambda", "lambda-or-rds"):
            raise ValueError(f"'{text}' is not a Lambda function name")
        if kind == "rds" and inner.kind not in ("rds", "lambda-or-rds"):
            raise ValueError(f"'{text}' is not an RDS DB instance identifier")
        return ResourceRef(kind, inner.id)  # type: ignore[arg-type]
    if INSTANCE_ID.match(value):
        return ResourceRef("ec2", value)
    if match := EC2_ARN.match(value):
        return ResourceRef("ec2", match.group(1))
    if LAMBDA_ARN.match(value):
        return ResourceRef("lambda", value)
    if match := RDS_ARN.match(value):
        return ResourceRef("rds", match.group(1))
    if RDS_IDENTIFIER.match(value) and len(value) <= 63:
        return ResourceRef("lambda-or-rds", value)
    if FUNCTION_NAME.match(value):
        return ResourceRef("lambda", value)
    raise ValueError(f"'{text}' is not an EC2 instance ID, a Lambda function name or ARN, or an RDS DB "
                     "instance identifier")


def read_ec2(ec2: Any, instance_id: str) -> Ec2Profile:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    instance = reservations[0]["Instances"][0]
    itype = instance.get("InstanceType", "")
    mode = None
    if is_burstable(itype):
        specs = ec2.describe_instance_credit_specifications(InstanceIds=[instance_id])
        found = specs.get("InstanceCreditSpecifications", [])
        mode = found[0].get("CpuCredits") if found else None
    return Ec2Profile(instance_id=instance_id, instance_type=itype,
                      state=(instance.get("State") or {}).get("Name", ""), credit_mode=mode,
                      monitoring=(instance.get("Monitoring") or {}).get("State", "disabled"))


def read_lambda(lambda_client: Any, function: str) -> LambdaProfile:
    config = lambda_client.get_function_configuration(FunctionName=function)
    memory = function_memory(config)  # where its logs go, as the Lambda diagnosis reads it
    return LambdaProfile(name=config["FunctionName"], arn=config["FunctionArn"],
                         memory_mb=int(config.get("MemorySize") or 128),
                         timeout_s=int(config.get("Timeout") or 3),
                         runtime=str(config.get("Runtime") or ""),
                         architectures=tuple(config.get("Architectures") or ("x86_64",)),
                         log_group=memory.log_group, log_format=memory.log_format)


def read_rds(rds: Any, identifier: str) -> RdsProfile:
    db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    return RdsProfile(identifier=db["DBInstanceIdentifier"], arn=db.get("DBInstanceArn", ""),
                      instance_class=db.get("DBInstanceClass", ""), engine=db.get("Engine", ""),
                      storage_type=db.get("StorageType", ""),
                      allocated_gb=int(db.get("AllocatedStorage") or 0),
                      status=db.get("DBInstanceStatus", ""), iops=db.get("Iops"),
                      multi_az=bool(db.get("MultiAZ")))


def read_profile(client: Callable[[str], Any], ref: ResourceRef) -> Profile | None:
    """The resource's configuration; None when a bare name is neither a function nor a database."""
    if ref.kind == "ec2":
        return read_ec2(client("ec2"), ref.id)
    if ref.kind == "rds":
        return read_rds(client("rds"), ref.id)
    if ref.kind == "lambda":
        return read_lambda(client("lambda"), ref.id)
    lam = client("lambda")
    try:
        return read_lambda(lam, ref.id)
    except lam.exceptions.ResourceNotFoundException:
        pass  # not a function: a database, perhaps
    rds = client("rds")
    try:
        return read_rds(rds, ref.id)
    except rds.exceptions.DBInstanceNotFoundFault:
        return None


def kind_of(profile: Profile) -> str:
    return {Ec2Profile: "ec2", LambdaProfile: "lambda", RdsProfile: "rds"}[type(profile)]


def dimension_value(profile: Profile) -> str:
    if isinstance(profile, Ec2Profile):
        return profile.instance_id
    if isinstance(profile, LambdaProfile):
        return profile.name
    return profile.identifier


def metric_plan(profile: Profile) -> tuple[str, dict[str, tuple[str, ...]]]:
    kind = kind_of(profile)
    namespace, plan = METRICS[kind]
    plan = dict(plan)
    if getattr(profile, "burstable", False):
        plan.update(BURSTABLE_METRICS.get(kind, {}))
    return namespace, plan


def read_metrics(cloudwatch: Any, profile: Profile, start: datetime,
                 end: datetime) -> dict[str, MetricSeries]:
    namespace, plan = metric_plan(profile)
    dims = {DIMENSION[kind_of(profile)]: dimension_value(profile)}
    return {name: fetch_series(cloudwatch, namespace, name, dims, start, end, stats)
            for name, stats in plan.items()}


def component_of(profile: Profile) -> Component:
    """The named resource as a component of the path (the first and, for these kinds, only one)."""
    kind = kind_of(profile)
    value = dimension_value(profile)
    arn = getattr(profile, "arn", "")
    return Component(kind, value, value, arn, ((DIMENSION[kind], value),))


MAX_REPORTS = 5000  # per window: enough for percentiles, bounded for a busy function


def read_reports(logs: Any, profile: LambdaProfile, start: datetime, end: datetime,
                 limit: int = MAX_REPORTS) -> tuple[list[Invocation], LogRead]:
    """The window's REPORT lines, parsed (with the Lambda diagnosis's reader and parser)."""
    function = FunctionMemory(name=profile.name, arn=profile.arn, memory_size_mb=profile.memory_mb,
                              timeout_s=profile.timeout_s, log_group=profile.log_group or
                              f"/aws/lambda/{profile.name}", log_format=profile.log_format)
    read = read_report_lines(logs, function, start, end, limit)
    return [inv for line in read.lines if (inv := parse_report(line)) is not None], read


def read_latency(cloudwatch: Any, comp: Component, start: datetime, end: datetime,
                 below: bool = False) -> tuple[Latency | None, WindowStats]:
    """A component's latency over a window from CloudWatch: percentiles where the endpoint has extended
    statistics, else averages and maxima. ``below`` reads the metric of the time spent below it."""
    metric = LATENCY[comp.kind]
    name = metric.below if below else metric.name
    if name is None:
        return None, WindowStats()
    stats = fetch_window(cloudwatch, metric.namespace, name, dict(comp.dimensions), start, end, QUANTILES)
    return from_cloudwatch(stats.extended, stats.average, stats.maximum, stats.samples, metric.scale), stats
