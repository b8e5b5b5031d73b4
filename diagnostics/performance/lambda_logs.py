"""How slow is a Lambda function, judged from its REPORT lines alone (no CloudWatch metrics needed).

Every invocation ends with a REPORT line (parsed by :func:`diagnostics.awslambda.memory.parse_report`):
its Duration, and on a cold start its Init Duration, the time Lambda spent starting a new execution
environment (loading the runtime and the code, running the code outside the handler) before the
handler ran. A caller waits for both, so a cold start costs Init Duration on top of Duration.
See https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html and
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-view.html (the REPORT fields).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from diagnostics.awslambda.deploy import change_summary, configuration_change
from diagnostics.awslambda.failure_findings import report_series
from diagnostics.awslambda.failures import INIT_LIMIT_MS
from diagnostics.awslambda.memory import Invocation
from diagnostics.findings import Finding, Fix
from diagnostics.performance.percentiles import Latency, from_samples
from diagnostics.performance.saturation import NEAR_TIMEOUT_SHARE, LambdaProfile, near_timeout_severity
from diagnostics.proof import MetricProof

COLD_START_SHARE = 0.2
COLD_START_MS = 1000.0
MAX_MEMORY_MB = 10240
MAX_TIMEOUT_S = 900


@dataclass(frozen=True)
class LambdaLogStats:
    """The invocations of the window, as their REPORT lines tell them."""

    count: int
    latency: Latency | None
    near_timeout: int
    timed_out: int
    cold_starts: int
    init: Latency | None
    peak_memory_mb: int | None
    memory_size_mb: int | None
    errors: int

    @property
    def cold_share(self) -> float:
        return self.cold_starts / self.count if self.count else 0.0

    @property
    def near_share(self) -> float:
        return self.near_timeout / self.count if self.count else 0.0


def log_stats(invocations: Iterable[Invocation], timeout_s: int) -> LambdaLogStats:
    runs = list(invocations)
    limit_ms = timeout_s * 1000.0
    durations = [r.duration_ms for r in runs]
    inits = [r.init_ms for r in runs if r.init_ms is not None]
    timed_out = [r for r in runs if r.status == "timeout" or (r.duration_ms or 0) >= limit_ms * 0.999]
    near = [r for r in runs if (r.duration_ms or 0) >= NEAR_TIMEOUT_SHARE * limit_ms]
    peak = max((r.max_memory_used_mb for r in runs), default=None)
    size = max((r.memory_size_mb for r in runs), default=None)
    errors = sum(1 for r in runs if r.status in ("error", "failure", "timeout") or r.error_type)
    return LambdaLogStats(len(runs), from_samples(durations), len(near), len(timed_out), len(inits),
                          from_samples(inits), peak, size, errors)


def describe(stats: LambdaLogStats, timeout_s: int) -> str:
    if not stats.count:
        return "no REPORT lines"
    text = f"{stats.count} invocations in its REPORT lines: duration {stats.latency.describe()}" \
        if stats.latency else f"{stats.count} invocations"
    text += f"; {stats.near_timeout} took {NEAR_TIMEOUT_SHARE:.0%} or more of the {timeout_s} s timeout"
    if stats.timed_out:
        text += f", {stats.timed_out} timed out"
    if stats.cold_starts:
        init = stats.init.describe() if stats.init else ""
        text += f"; {stats.cold_starts} cold starts ({stats.cold_share:.0%}), Init Duration {init}"
    else:
        text += "; no cold starts"
    if stats.peak_memory_mb is not None and stats.memory_size_mb:
        text += f"; memory used up to {stats.peak_memory_mb} of {stats.memory_size_mb} MB"
    return text + "."


def _more_memory(memory_mb: int) -> int:
    return min(MAX_MEMORY_MB, max(memory_mb * 2, 1024))


def insights_query(log_group: str, hours: int, region: str) -> str:
    """The Logs Insights query that shows the duration percentiles and cold starts over time."""
    return (f"aws logs start-query --log-group-name {log_group} --start-time $(date -d '-{hours} hours' +%s) "
            "--end-time $(date +%s) --query-string 'filter @type = \"REPORT\" | stats count(*), "
            "pct(@duration, 50), pct(@duration, 90), pct(@duration, 99), count(@initDuration), "
            f"max(@initDuration) by bin(5m)' --region {region}")


def log_findings(stats: LambdaLogStats, profile: LambdaProfile, region: str, hours: int = 1) -> list[Finding]:
    """Near-timeout invocations and costly cold starts, from the REPORT lines."""
    name, arn, memory_mb, timeout_s = profile.name, profile.arn, profile.memory_mb, profile.timeout_s
    findings: list[Finding] = []
    if not stats.count or stats.latency is None:
        return findings
    longest = stats.latency.maximum or 0.0
    evidence = {"invocations": stats.count, "duration_ms": dict(stats.latency.percentiles),
                "longest_ms": round(longest, 2), "timeout_s": timeout_s, "memory_mb": memory_mb,
                "near_timeout": stats.near_timeout, "timed_out": stats.timed_out,
                "cold_starts": stats.cold_starts, "source": "REPORT lines"}
    memory = _more_memory(memory_mb)
    timeout = min(MAX_TIMEOUT_S, max(timeout_s + 1, math.ceil(longest / 1000.0 * 2)))
    insights = insights_query(profile.log_group or f"/aws/lambda/{name}", hours, region)
    target = profile.target
    label = target.label()
    # The same rule as from the Duration metric (saturation.near_timeout_severity); a timed-out
    # invocation is a problem whatever the share.
    severity = "error" if stats.timed_out else near_timeout_severity(stats.near_share, longest, timeout_s * 1000.0)
    if severity is not None:
        what = (f"{stats.timed_out} of {stats.count} invocations ran into the {timeout_s} s timeout and "
                if stats.timed_out else "")
        effect = ("callers wait that long, and a slightly slower dependency makes them time out"
                  if severity == "error" else "a few run that close: a slightly slower dependency makes them "
                  "time out")
        findings.append(Finding(
            "LAMBDA_DURATION_NEAR_TIMEOUT", severity, arn,
            f"{label}: {what}{stats.near_timeout} of {stats.count} invocations ({stats.near_share:.0%}) took "
            f"{NEAR_TIMEOUT_SHARE:.0%} or more of its {timeout_s} s timeout (longest {longest:,.0f} ms, "
            f"according to its REPORT lines): {effect}. With {memory_mb} MB it gets {memory_mb / 1769:.2f} of a "
            "vCPU." + change_summary(target),
            evidence,
            ["# More memory brings proportionally more CPU (1,769 MB is one full vCPU); no downtime:",
             *configuration_change(target, region, memory_size=memory),
             "# then watch the duration percentiles fall:", insights],
            alternatives=[Fix(tuple(configuration_change(target, region, timeout=timeout)),
                              "give it a longer timeout, so slow invocations finish instead of failing",
                              "callers (API Gateway stops at 29 s by default) wait even longer")]))
    init_typical = (stats.init.get("p50") or stats.init.average) if stats.init else None
    if stats.cold_share >= COLD_START_SHARE and init_typical is not None and init_typical >= COLD_START_MS:
        findings.append(Finding(
            "LAMBDA_COLD_STARTS", "warning", arn,
            f"{name}: {stats.cold_starts} of {stats.count} invocations ({stats.cold_share:.0%}) were cold "
            f"starts, each waiting about {init_typical:,.0f} ms of Init Duration before the handler ran: those "
            f"callers waited about {init_typical + (stats.latency.get('p50') or stats.latency.average or 0):,.0f}"
            " ms in all.",
            {"cold_starts": stats.cold_starts, "invocations": stats.count,
             "init_duration_ms": dict(stats.init.percentiles) if stats.init else {},
             "init_duration_max_ms": stats.init.maximum if stats.init else None, "source": "REPORT lines"},
            ["# Keep environments warm for the steady part of the traffic (billed per hour; needs a "
             "published version or alias):",
             f"aws lambda put-provisioned-concurrency-config --function-name {name} --qualifier "
             f"{target.qualifier or '<alias>'} "
             f"--provisioned-concurrent-executions {max(1, math.ceil(stats.cold_starts / 2))} --region "
             f"{region}"],
            alternatives=[Fix(("# Move slow start-up work (SDK clients, large imports) inside lazy "
                               "initialisation, or shrink the deployment package",),
                              "make the start itself cheaper", "needs a code change and a deployment"),
                          Fix(tuple(configuration_change(target, region, snap_start="ApplyOn=PublishedVersions")),
                              "SnapStart (Java, Python and .NET runtimes) resumes from a snapshot",
                              "needs published versions; code must tolerate being restored")]))
    return findings


def report_proof(code: str, profile: LambdaProfile, runs: Iterable[Invocation]) -> list[MetricProof]:
    """The REPORT lines behind a finding judged from them: each invocation's Duration against the timeout, or
    each cold start's Init Duration against the 10 s init limit."""
    group = profile.log_group or f"/aws/lambda/{profile.name}"
    runs = list(runs)
    if code == "LAMBDA_DURATION_NEAR_TIMEOUT":
        found = report_series(group, runs, "duration", profile.timeout_s * 1000)
    elif code == "LAMBDA_COLD_STARTS":
        found = report_series(group, runs, "init", INIT_LIMIT_MS)
    else:
        found = None
    return [found] if found is not None else []
