"""Why is it slow? Pure saturation analysis of an EC2 instance, a Lambda function or an RDS database.

"Slow" is almost always one resource at its limit: CPU pinned, a burstable instance out of CPU credits
(CloudWatch then shows the CPU flat at a low baseline, which looks healthy and is not), storage out of
I/O burst credits, memory short, or a function running into its timeout. Each rule below reads the
metric series CloudWatch keeps for the resource and names the limit with the command that lifts it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from diagnostics.awslambda.deploy import Target, change_summary, configuration_change
from diagnostics.cloudwatch.metrics import MetricSeries
from diagnostics.findings import Finding, Fix, Severity
from diagnostics.performance.rds_storage import faster_storage, is_aurora
from diagnostics.proof import MetricProof, metric_proof, with_proof

CPU_SATURATED = 90.0
SUSTAINED_MINUTES = 15.0
CREDITS_EXHAUSTED = 1.0  # CPU credits (one credit = one vCPU at 100 % for a minute)
BURST_EXHAUSTED = 5.0  # percent of the I/O burst bucket
# A function's nearness to its timeout is judged by one rule, whichever source gave the durations
# (:func:`near_timeout_severity`): a quarter of the invocations at 80% of the timeout or more is a
# problem (callers already wait that long, and a slightly slower dependency makes them time out); the
# longest one at 90% or more, with fewer near, is a warning.
NEAR_TIMEOUT_SHARE = 0.8
NEAR_TIMEOUT_PROBLEM = 0.25
NEAR_TIMEOUT = 0.9
HIGH_LATENCY_S = 0.02  # 20 ms per I/O is far above what SSD storage answers in
LOW_MEMORY_SHARE = 0.05
LOW_STORAGE_SHARE = 0.05
MAX_MEMORY_MB = 10240
MAX_TIMEOUT_S = 900

SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge",
         "16xlarge", "24xlarge", "32xlarge", "48xlarge")
BURSTABLE = re.compile(r"^(db\.)?t\d[a-z]*\.")
# Baseline CPU (percent of each vCPU) a burstable instance may use without spending credits.
BASELINE = {"nano": 5.0, "micro": 10.0, "small": 20.0, "medium": 20.0, "large": 30.0, "xlarge": 40.0,
            "2xlarge": 40.0}
# RDS memory per class (GiB) for the sizes people meet most; bigger sizes double.
RDS_LARGE_GIB = {"t": 8.0, "m": 8.0, "r": 16.0, "x": 32.0, "z": 16.0}
RDS_SMALL_GIB = {"micro": 1.0, "small": 2.0, "medium": 4.0}


@dataclass(frozen=True)
class Ec2Profile:
    instance_id: str
    instance_type: str
    state: str
    credit_mode: str | None = None  # "standard" or "unlimited" for burstable types
    monitoring: str = "disabled"

    @property
    def burstable(self) -> bool:
        return is_burstable(self.instance_type)


@dataclass(frozen=True)
class LambdaProfile:
    name: str
    arn: str
    memory_mb: int
    timeout_s: int
    runtime: str = ""
    architectures: tuple[str, ...] = ()
    log_group: str = ""
    log_format: str = "Text"
    tracing: str = "PassThrough"  # X-Ray: Active records a trace for sampled invocations
    qualifier: str = ""  # the alias or version asked about ("" for the function itself)
    version: str = "$LATEST"  # the version its configuration belongs to

    @property
    def target(self) -> Target:
        return Target(self.name, self.qualifier, self.version)


@dataclass(frozen=True)
class RdsProfile:
    identifier: str
    arn: str
    instance_class: str
    engine: str
    storage_type: str
    allocated_gb: int
    status: str = "available"
    iops: int | None = None
    multi_az: bool = False
    resource_id: str = ""  # DbiResourceId: what Performance Insights calls the instance
    insights: bool | None = None  # PerformanceInsightsEnabled; None when the answer did not say
    cluster: str = ""  # DBClusterIdentifier: an Aurora instance's storage is its cluster's
    asked_cluster: str = ""  # the cluster the user named, when this instance stands for it (its writer)
    readers: tuple[str, ...] = ()  # that cluster's other instances, not judged in this run

    @property
    def burstable(self) -> bool:
        return is_burstable(self.instance_class)


Profile = Ec2Profile | LambdaProfile | RdsProfile


@dataclass(frozen=True)
class Assessment:
    findings: tuple[Finding, ...]
    observations: tuple[str, ...]
    has_data: bool


def is_burstable(instance_type: str) -> bool:
    return bool(BURSTABLE.match(instance_type))


def size_of(instance_type: str) -> str:
    return instance_type.rsplit(".", 1)[-1]


def next_size(instance_type: str) -> str | None:
    """The next size up in the same family (t3.micro -> t3.small), or None at the top."""
    prefix, _, size = instance_type.rpartition(".")
    if size not in SIZES or SIZES.index(size) + 1 >= len(SIZES):
        return None
    return f"{prefix}.{SIZES[SIZES.index(size) + 1]}"


def baseline_percent(instance_type: str) -> float | None:
    return BASELINE.get(size_of(instance_type)) if is_burstable(instance_type) else None


def rds_memory_gib(instance_class: str) -> float | None:
    match = re.match(r"^db\.([a-z])\d+[a-z]*\.(\w+)$", instance_class)
    if not match:
        return None
    family, size = match.groups()
    if size in RDS_SMALL_GIB:
        return RDS_SMALL_GIB[size]
    if family not in RDS_LARGE_GIB or size not in SIZES[SIZES.index("large"):]:
        return None
    steps = SIZES.index(size) - SIZES.index("large")
    multiplier = {0: 1, 1: 2, 2: 4, 3: 8, 4: 16, 5: 24, 6: 32, 7: 48, 8: 64, 9: 96}.get(steps)
    return RDS_LARGE_GIB[family] * multiplier if multiplier else None


def _series(metrics: Mapping[str, MetricSeries], name: str) -> MetricSeries:
    return metrics.get(name) or MetricSeries("", name)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


RESIZE_DISRUPTS = "stops the instance: a few minutes of downtime; instance-store data is lost"


def _resize(region: str, instance_id: str, new_type: str) -> list[str]:
    return [
        "# Changing the instance type needs a stop (a few minutes of downtime; instance-store data is lost):",
        f"aws ec2 stop-instances --instance-ids {instance_id} --region {region}",
        f"aws ec2 wait instance-stopped --instance-ids {instance_id} --region {region}",
        f"aws ec2 modify-instance-attribute --instance-id {instance_id} --instance-type Value={new_type} "
        f"--region {region}",
        f"aws ec2 start-instances --instance-ids {instance_id} --region {region}",
    ]


# --- EC2 -------------------------------------------------------------------------------------


def assess_ec2(profile: Ec2Profile, metrics: Mapping[str, MetricSeries], region: str) -> Assessment:
    cpu = _series(metrics, "CPUUtilization")
    credits = _series(metrics, "CPUCreditBalance")
    status = _series(metrics, "StatusCheckFailed")
    ebs = _series(metrics, "EBSIOBalance%")
    iid, itype = profile.instance_id, profile.instance_type
    findings: list[Finding] = []
    notes: list[str] = []
    bigger = next_size(itype) or "<a larger type>"
    cpu_evidence = {"instance_type": itype, "cpu_percent": cpu.summary()}

    if not cpu.empty:
        notes.append(f"CPU averaged {cpu.mean():.0f}% (highest {cpu.peak():.0f}%).")
    credit_low = credits.low()
    if profile.burstable and credit_low is not None:
        notes.append(f"CPU credit balance went down to {credit_low:g} (mode "
                     f"{profile.credit_mode or 'unknown'}).")
    exhausted_for = credits.longest_run("Minimum", below=CREDITS_EXHAUSTED)
    if profile.burstable and credit_low is not None and credit_low <= CREDITS_EXHAUSTED \
            and profile.credit_mode != "unlimited":
        baseline = baseline_percent(itype)
        flat = (f" CPUUtilization then sits flat at the baseline ({baseline:g}% for {itype}), which looks "
                "idle but means the CPU is being held back.") if baseline else ""
        findings.append(Finding(
            "EC2_CPU_CREDITS_EXHAUSTED", "error", iid,
            f"{iid} ({itype}, a burstable type in standard credit mode) ran out of CPU credits for "
            f"{exhausted_for:.0f} minutes: EC2 throttles it to its baseline CPU until credits build up again."
            + flat,
            {**cpu_evidence, "credit_mode": profile.credit_mode, "cpu_credit_balance": credits.summary(),
             "baseline_cpu_percent": baseline, "minutes_without_credits": round(exhausted_for)},
            ["# Let it burst beyond its credits (extra CPU is billed per vCPU-hour, no downtime):",
             f"aws ec2 modify-instance-credit-specification --instance-credit-specification "
             f"\"InstanceId={iid},CpuCredits=unlimited\" --region {region}"],
            alternatives=[Fix(tuple(_resize(region, iid, bigger)[1:]),
                              f"If it needs the CPU all the time: a larger type ({bigger}) or a non-burstable one "
                              "(e.g. m6i)", RESIZE_DISRUPTS)]))
    hot = cpu.longest_run("Average", above=CPU_SATURATED)
    if hot >= SUSTAINED_MINUTES:
        findings.append(Finding(
            "EC2_CPU_SATURATED", "error", iid,
            f"{iid} ({itype}) ran its CPU at {CPU_SATURATED:g}% or more for {hot:.0f} minutes in a row: "
            "requests queue behind the CPU.",
            {**cpu_evidence, "minutes_at_or_above_90_percent": round(hot)},
            ["# Find the process first (top, or CloudWatch agent per-process metrics); if the load is real:",
             *_resize(region, iid, bigger)]))
    if (status.peak() or 0) >= 1:
        findings.append(Finding(
            "EC2_STATUS_CHECK_FAILED", "error", iid,
            f"{iid} failed an EC2 status check in the window: the host or the operating system was impaired.",
            {"status_check_failed": status.summary()},
            ["# See which check failed and what the console says, before anything is restarted:",
             f"aws ec2 describe-instance-status --instance-ids {iid} --include-all-instances --region "
             f"{region}",
             f"aws ec2 get-console-output --instance-id {iid} --latest --region {region}"],
            alternatives=[Fix((f"aws ec2 stop-instances --instance-ids {iid} --region {region}",
                               f"aws ec2 wait instance-stopped --instance-ids {iid} --region {region}",
                               f"aws ec2 start-instances --instance-ids {iid} --region {region}"),
                              "A failed system check: stop and start, which moves the instance to a new host",
                              RESIZE_DISRUPTS)]))
    ebs_low = ebs.low()
    if ebs_low is not None and ebs_low <= BURST_EXHAUSTED:
        findings.append(Finding(
            "EBS_BURST_BALANCE_EXHAUSTED", "warning", iid,
            f"{iid} used up its EBS burst balance (down to {ebs_low:g}%): disk I/O is capped at the instance "
            "type's baseline EBS bandwidth.",
            {"ebs_io_balance_percent": ebs.summary(), "instance_type": itype},
            ["# Move to a larger or EBS-optimised type with more baseline EBS bandwidth:",
             *_resize(region, iid, bigger)[1:]]))
    return Assessment(tuple(findings), tuple(notes), has_data=not cpu.empty)


# --- Lambda ----------------------------------------------------------------------------------


def near_timeout_severity(near_share: float, longest_ms: float | None, timeout_ms: float) -> Severity | None:
    """The one rule for a function running close to its timeout, from its REPORT lines (each invocation
    counted) or from the Duration metric (:func:`metric_near_share`): None when it has room."""
    if near_share >= NEAR_TIMEOUT_PROBLEM:
        return "error"
    if longest_ms is not None and longest_ms >= NEAR_TIMEOUT * timeout_ms:
        return "warning"
    return None


def metric_near_share(duration: MetricSeries, invocations: MetricSeries, timeout_ms: float) -> float:
    """The share of invocations that took 80% of the timeout or more, as the Duration metric tells it:
    without per-invocation durations, each period's Average stands for the invocations of that period
    (weighted by its Invocations Sum, else one per period)."""
    counts = {p.at: p.total for p in invocations.points if p.total is not None}
    near = total = 0.0
    for point in duration.points:
        if point.average is None:
            continue
        weight = counts.get(point.at) or 1.0
        total += weight
        if point.average >= NEAR_TIMEOUT_SHARE * timeout_ms:
            near += weight
    return near / total if total else 0.0


def _lambda_fix(profile: LambdaProfile, region: str, max_duration_ms: float | None) -> list[str]:
    memory = min(MAX_MEMORY_MB, max(profile.memory_mb * 2, 512))
    timeout = profile.timeout_s
    if max_duration_ms:
        timeout = min(MAX_TIMEOUT_S, max(timeout, math.ceil(max_duration_ms / 1000.0 * 1.5)))
    settings: dict[str, object] = {}
    if memory > profile.memory_mb:
        settings["memory_size"] = memory
    if timeout > profile.timeout_s:
        settings["timeout"] = timeout
    return ["# More memory also means proportionally more CPU (1,769 MB is one full vCPU), so most "
            "functions get faster:", *configuration_change(profile.target, region, **settings)]


def assess_lambda(profile: LambdaProfile, metrics: Mapping[str, MetricSeries], region: str) -> Assessment:
    duration = _series(metrics, "Duration")
    throttles = _series(metrics, "Throttles")
    invocations = _series(metrics, "Invocations")
    concurrency = _series(metrics, "ConcurrentExecutions")
    findings: list[Finding] = []
    notes: list[str] = []
    timeout_ms = profile.timeout_s * 1000.0
    longest = duration.peak()
    if invocations.values("Sum"):
        notes.append(f"{invocations.total():g} invocations in the window.")
    if longest is not None:
        notes.append(f"Duration averaged {duration.mean():.0f} ms, longest {longest:.0f} ms, "
                     f"against a timeout of {timeout_ms:.0f} ms.")
    if concurrency.peak() is not None:
        notes.append(f"Peak concurrency {concurrency.peak():g}.")
    evidence = {"memory_mb": profile.memory_mb, "timeout_s": profile.timeout_s, "runtime": profile.runtime,
                "duration_ms": duration.summary(), "invocations": invocations.total(), "source": "Duration metric"}
    name = profile.target.label()
    share = metric_near_share(duration, invocations, timeout_ms)
    severity = near_timeout_severity(share, longest, timeout_ms)
    if longest is not None and longest >= timeout_ms * 0.999:
        findings.append(Finding(
            "LAMBDA_TIMEOUT", "error", profile.arn,
            f"{name} ran into its {profile.timeout_s} s timeout (longest invocation {longest:.0f} "
            f"ms): Lambda stopped those invocations unfinished. With {profile.memory_mb} MB it also gets "
            "only a fraction of a vCPU." + change_summary(profile.target),
            evidence, _lambda_fix(profile, region, longest)))
    elif severity == "error":
        evidence["near_timeout_share"] = round(share, 3)
        findings.append(Finding(
            "LAMBDA_DURATION_NEAR_TIMEOUT", "error", profile.arn,
            f"{name}: about {share:.0%} of its invocations took {NEAR_TIMEOUT_SHARE:.0%} or more of its "
            f"{profile.timeout_s} s timeout (average {duration.mean():,.0f} ms, longest {longest:,.0f} ms, according "
            "to the AWS/Lambda Duration metric's per-period averages): callers wait that long, and a slightly "
            f"slower dependency makes them time out. With {profile.memory_mb} MB it gets "
            f"{profile.memory_mb / 1769:.2f} of a vCPU." + change_summary(profile.target),
            evidence, _lambda_fix(profile, region, longest)))
    elif severity == "warning" and longest is not None:
        findings.append(Finding(
            "LAMBDA_DURATION_NEAR_TIMEOUT", "warning", profile.arn,
            f"{name}'s longest invocation took {longest:.0f} ms, {longest / timeout_ms:.0%} of its "
            f"{profile.timeout_s} s timeout: a slightly slower dependency will make it time out."
            + change_summary(profile.target),
            evidence, _lambda_fix(profile, region, longest)))
    if throttles.total() > 0:
        findings.append(Finding(
            "LAMBDA_THROTTLED", "warning", profile.arn,
            f"{name} was throttled {throttles.total():g} times: callers waited or retried because no "
            "concurrency was free.",
            {"throttles": throttles.total(), "peak_concurrency": concurrency.peak()},
            ["# Find out which limit (reserved concurrency or the account's pool):",
             f"awstriage run throttling --param function={profile.name} --region {region}"]))
    return Assessment(tuple(findings), tuple(notes), has_data=not (duration.empty and invocations.empty))


# --- RDS -------------------------------------------------------------------------------------


def _modify_class(profile: RdsProfile, region: str, new_class: str) -> list[str]:
    return ["# Applies with a reboot (a failover on Multi-AZ); drop --apply-immediately to wait for the "
            "maintenance window:",
            f"aws rds modify-db-instance --db-instance-identifier {profile.identifier} "
            f"--db-instance-class {new_class} --apply-immediately --region {region}"]


def _storage_fix(profile: RdsProfile, region: str, bigger: str,
                 extra: list[Fix] | None = None) -> tuple[list[str], list[Fix]]:
    """A storage change RDS accepts for this engine and size (see rds_storage): the fix, the others."""
    fix = faster_storage(profile.identifier, profile.engine, profile.storage_type, profile.allocated_gb,
                         profile.iops, region, cluster=profile.cluster, bigger_class=bigger)
    return fix.remediation, [*fix.alternatives, *(extra or [])]


def assess_rds(profile: RdsProfile, metrics: Mapping[str, MetricSeries], region: str) -> Assessment:
    cpu = _series(metrics, "CPUUtilization")
    credits = _series(metrics, "CPUCreditBalance")
    burst = _series(metrics, "BurstBalance")
    memory = _series(metrics, "FreeableMemory")
    storage = _series(metrics, "FreeStorageSpace")
    read_latency = _series(metrics, "ReadLatency")
    write_latency = _series(metrics, "WriteLatency")
    connections = _series(metrics, "DatabaseConnections")
    db, arn, cls = profile.identifier, profile.arn, profile.instance_class
    bigger = next_size(cls) or "<a larger class>"
    findings: list[Finding] = []
    notes: list[str] = []
    if not cpu.empty:
        notes.append(f"CPU averaged {cpu.mean():.0f}% (highest {cpu.peak():.0f}%).")
    if connections.peak() is not None:
        notes.append(f"Up to {connections.peak():g} connections.")
    for label, series in (("Read", read_latency), ("Write", write_latency)):
        if not series.empty:
            notes.append(f"{label} latency averaged {(series.mean() or 0) * 1000:.1f} ms "
                         f"(worst {(series.peak() or 0) * 1000:.1f} ms).")
    if burst.low() is not None:
        notes.append(f"Storage burst balance went down to {burst.low():g}%.")

    hot = cpu.longest_run("Average", above=CPU_SATURATED)
    if hot >= SUSTAINED_MINUTES:
        findings.append(Finding(
            "RDS_CPU_SATURATED", "error", arn,
            f"{db} ({cls}) ran its CPU at {CPU_SATURATED:g}% or more for {hot:.0f} minutes in a row: queries "
            "wait for CPU.",
            {"instance_class": cls, "cpu_percent": cpu.summary(),
             "minutes_at_or_above_90_percent": round(hot)},
            ["# Find the queries first (Performance Insights top SQL, or the slow query log); if the load is "
             "real:",
             *_modify_class(profile, region, bigger)]))
    credit_low = credits.low()
    if profile.burstable and credit_low is not None and credit_low <= CREDITS_EXHAUSTED:
        findings.append(Finding(
            "RDS_CPU_CREDITS_EXHAUSTED", "error", arn,
            f"{db} ({cls}, a burstable class) ran out of CPU credits: its CPU is held at the class's "
            "baseline.",
            {"instance_class": cls, "cpu_credit_balance": credits.summary(), "cpu_percent": cpu.summary()},
            ["# Move to a non-burstable class of the same engine (for example db.m5.large):",
             *_modify_class(profile, region, "db.m5.large")]))
    burst_low = burst.low()
    if burst_low is not None and burst_low <= BURST_EXHAUSTED:
        fix, others = _storage_fix(profile, region, bigger, extra=[Fix(
            (f"aws rds modify-db-instance --db-instance-identifier {db} "
             f"--allocated-storage {max(profile.allocated_gb * 2, 100)} --apply-immediately --region {region}",),
            "Stay on gp2 and grow the volume (3 IOPS per GB)",
            "storage can never be shrunk again, and the next storage change must wait 6 hours")])
        baseline = max(100, 3 * profile.allocated_gb)
        findings.append(Finding(
            "RDS_BURST_BALANCE_EXHAUSTED", "error", arn,
            f"{db}'s {profile.storage_type} storage used up its I/O burst balance (down to {burst_low:g}%): "
            f"its IOPS are capped at the baseline of {baseline} ({profile.allocated_gb} GB x 3 IOPS), so "
            "every query that touches the disk waits.",
            {"storage_type": profile.storage_type, "allocated_gb": profile.allocated_gb,
             "baseline_iops": baseline, "burst_balance_percent": burst.summary(),
             "read_latency_s": read_latency.summary(), "write_latency_s": write_latency.summary()},
            fix, alternatives=others))
    slow_io = max(read_latency.longest_run("Average", above=HIGH_LATENCY_S),
                  write_latency.longest_run("Average", above=HIGH_LATENCY_S))
    if slow_io >= SUSTAINED_MINUTES and not any(f.code == "RDS_BURST_BALANCE_EXHAUSTED" for f in findings):
        fix, others = _storage_fix(profile, region, bigger)
        findings.append(Finding(
            "RDS_HIGH_IO_LATENCY", "warning", arn,
            f"{db}'s storage answered slower than {HIGH_LATENCY_S * 1000:g} ms per I/O for {slow_io:.0f} "
            "minutes: " + ("Aurora's cluster volume has no IOPS to raise, so reads are missing the buffer cache "
                           "or the queries read too much." if is_aurora(profile.engine)
                           else "the storage's IOPS or throughput is the limit."),
            {"read_latency_s": read_latency.summary(), "write_latency_s": write_latency.summary(),
             "storage_type": profile.storage_type, "iops": profile.iops},
            fix, alternatives=others))
    total_gib = rds_memory_gib(cls)
    memory_low = memory.low()
    if memory_low is not None:
        limit = total_gib * LOW_MEMORY_SHARE * 1024**3 if total_gib else 128 * 1024**2
        if memory_low <= limit:
            findings.append(Finding(
                "RDS_LOW_MEMORY", "warning", arn,
                f"{db} ({cls}) went down to {memory_low / 1024**2:.0f} MiB of freeable memory: the database "
                "reads from disk what it cannot cache, and may swap.",
                {"instance_class": cls, "class_memory_gib": total_gib,
                 "freeable_memory_bytes": memory.summary()},
                _modify_class(profile, region, bigger)))
    storage_low = storage.low()
    # An Aurora instance's AllocatedStorage is not its volume (the cluster's grows by itself).
    if storage_low is not None and profile.allocated_gb and not is_aurora(profile.engine) and \
            storage_low <= LOW_STORAGE_SHARE * profile.allocated_gb * 1024**3:
        findings.append(Finding(
            "RDS_STORAGE_NEARLY_FULL", "warning", arn,
            f"{db} has only {storage_low / 1024**3:.1f} GiB free of {profile.allocated_gb} GB: a full volume "
            "stops writes altogether.",
            {"free_storage_bytes": storage.summary(), "allocated_gb": profile.allocated_gb},
            [f"aws rds modify-db-instance --db-instance-identifier {db} --allocated-storage "
             f"{math.ceil(profile.allocated_gb * 1.5)} --apply-immediately --region {region}"]))
    return Assessment(tuple(findings), tuple(notes), has_data=not cpu.empty)


# --- the series each finding rests on ----------------------------------------------------------

Limit = Callable[[Profile], tuple[float | None, str]]


def _none(_: Profile) -> tuple[float | None, str]:
    return None, ""


def _fixed(value: float, label: str) -> Limit:
    return lambda _: (value, label)


def _baseline(profile: Profile) -> tuple[float | None, str]:
    kind = profile.instance_type if isinstance(profile, Ec2Profile) else ""
    base = baseline_percent(kind) if kind else None
    return (base, f"baseline of {kind}") if base is not None else (None, "")


def _timeout(profile: Profile) -> tuple[float | None, str]:
    return (profile.timeout_s * 1000.0, "timeout") if isinstance(profile, LambdaProfile) else (None, "")


_CPU_SATURATED = ("CPUUtilization", "Average", _fixed(CPU_SATURATED, "saturated"))
_NO_CREDITS = ("CPUCreditBalance", "Minimum", _fixed(0.0, "no credits left"))
_SLOW_READS = ("ReadLatency", "Average", _fixed(HIGH_LATENCY_S, "slow storage"))
_SLOW_WRITES = ("WriteLatency", "Average", _fixed(HIGH_LATENCY_S, "slow storage"))
_DURATION = ("Duration", "Maximum", _timeout)
# Finding code -> (metric, statistic, its limit): the series a reader checks the finding against, at most three.
PROOF_SERIES: dict[str, tuple[tuple[str, str, Limit], ...]] = {
    "EC2_CPU_CREDITS_EXHAUSTED": (_NO_CREDITS, ("CPUUtilization", "Average", _baseline)),
    "EC2_CPU_SATURATED": (_CPU_SATURATED,),
    "EC2_STATUS_CHECK_FAILED": (("StatusCheckFailed", "Maximum", _none),),
    "EBS_BURST_BALANCE_EXHAUSTED": (("EBSIOBalance%", "Minimum", _fixed(0.0, "empty")),),
    "LAMBDA_TIMEOUT": (_DURATION,),
    "LAMBDA_DURATION_NEAR_TIMEOUT": (_DURATION,),
    "LAMBDA_THROTTLED": (("Throttles", "Sum", _none), ("ConcurrentExecutions", "Maximum", _none)),
    "RDS_CPU_SATURATED": (_CPU_SATURATED,),
    "RDS_CPU_CREDITS_EXHAUSTED": (_NO_CREDITS, ("CPUUtilization", "Average", _none)),
    "RDS_BURST_BALANCE_EXHAUSTED": (("BurstBalance", "Minimum", _fixed(0.0, "empty")), _SLOW_READS, _SLOW_WRITES),
    "RDS_HIGH_IO_LATENCY": (_SLOW_READS, _SLOW_WRITES),
    "RDS_LOW_MEMORY": (("FreeableMemory", "Minimum", _none),),
    "RDS_STORAGE_NEARLY_FULL": (("FreeStorageSpace", "Minimum", _none),),
}


def proof_of(code: str, profile: Profile, metrics: Mapping[str, MetricSeries]) -> list[MetricProof]:
    """The series behind a finding ``code`` on ``profile``, each against its limit; a series that was not read,
    or read empty, is left out (never drawn as zeros)."""
    out = []
    for name, stat, limit_of in PROOF_SERIES.get(code, ()):
        series = metrics.get(name)
        if series is None:
            continue
        if not series.values(stat):
            stat = "Average"  # the statistic the rule falls back on when the first was not answered
        limit, label = limit_of(profile)
        if (proof := metric_proof(series, stat, limit, label)) is not None:
            out.append(proof)
    return out


def assess(profile: Profile, metrics: Mapping[str, MetricSeries], region: str) -> Assessment:
    if isinstance(profile, Ec2Profile):
        found = assess_ec2(profile, metrics, region)
    elif isinstance(profile, LambdaProfile):
        found = assess_lambda(profile, metrics, region)
    else:
        found = assess_rds(profile, metrics, region)
    return replace(found, findings=tuple(with_proof(f, *proof_of(f.code, profile, metrics)) for f in found.findings))
