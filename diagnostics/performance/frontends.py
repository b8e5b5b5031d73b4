"""Errors, health and caching of the components in front: load balancer, API, distribution, table (pure).

Latency is half the story at the front door: a load balancer that answers 5XX itself (no healthy
target, a target that timed out) is not the same fault as targets that answer 5XX; a distribution
whose cache hit rate collapsed sends every request to its origin. Each rule reads window sums of
the component's CloudWatch metrics (now, and at baseline where a comparison is the point).

Metric names and meanings: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/viewing-cloudfront-metrics.html
(CacheHitRate and OriginLatency are "additional metrics", off until a monitoring subscription is made),
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from diagnostics.cloudwatch.metrics import WindowStats
from diagnostics.findings import Finding, Fix
from diagnostics.performance.baseline import rate
from diagnostics.performance.components import Component

ERROR_RATE = 0.01  # 1% of requests failing is what a person notices
CACHE_COLLAPSE_POINTS = 30.0  # percentage points lost against baseline
LOW_CACHE_HIT = 50.0

# kind -> (namespace, metrics read for it)
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "alb": ("AWS/ApplicationELB", ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count",
                                   "RejectedConnectionCount")),
    "target-group": ("AWS/ApplicationELB", ("UnHealthyHostCount", "HealthyHostCount")),
    "apigw-rest": ("AWS/ApiGateway", ("Count", "5XXError", "4XXError", "CacheHitCount", "CacheMissCount")),
    "apigw-http": ("AWS/ApiGateway", ("Count", "5xx", "4xx")),
    "cloudfront": ("AWS/CloudFront", ("Requests", "5xxErrorRate", "CacheHitRate")),
    "dynamodb": ("AWS/DynamoDB", ("ReadThrottleEvents", "WriteThrottleEvents")),
}


@dataclass(frozen=True)
class FrontReading:
    component: Component
    now: Mapping[str, WindowStats]
    then: Mapping[str, WindowStats]


def dimensions_for(comp: Component, metric: str) -> dict[str, str]:
    """DynamoDB's table-level throttle metrics take only TableName (the latency one adds Operation)."""
    dims = dict(comp.dimensions)
    if comp.kind == "dynamodb":
        return {"TableName": dims.get("TableName", comp.name)}
    return dims


def _sum(stats: Mapping[str, WindowStats], name: str) -> float | None:
    found = stats.get(name)
    if found is None or found.empty:
        return None
    return found.total if found.total is not None else None


def _avg(stats: Mapping[str, WindowStats], name: str) -> float | None:
    found = stats.get(name)
    return None if found is None else found.average


def judge_front(reading: FrontReading, region: str) -> tuple[list[Finding], list[str]]:
    """(findings, plain observations) for one front component."""
    comp, now, then = reading.component, reading.now, reading.then
    rule = {"alb": _alb, "target-group": _target_group, "apigw-rest": _api, "apigw-http": _api,
            "cloudfront": _distribution, "dynamodb": _table}.get(comp.kind)
    return rule(comp, now, then, region) if rule else ([], [])


def _alb(comp: Component, now: Mapping[str, WindowStats], then: Mapping[str, WindowStats],
         region: str) -> tuple[list[Finding], list[str]]:
    requests = _sum(now, "RequestCount")
    target_5xx, elb_5xx = _sum(now, "HTTPCode_Target_5XX_Count"), _sum(now, "HTTPCode_ELB_5XX_Count")
    rejected = _sum(now, "RejectedConnectionCount")
    notes = [f"{comp.label}: {requests:,.0f} requests, {target_5xx or 0:,.0f} 5XX from targets, {elb_5xx or 0:,.0f} "
             "5XX from the load balancer itself."] if requests is not None else []
    findings = []
    elb_rate = rate(elb_5xx, requests)
    if elb_rate is not None and elb_rate >= ERROR_RATE:
        findings.append(Finding(
            "ALB_ELB_5XX", "error", comp.resource,
            f"{comp.label} itself answered {elb_5xx:,.0f} requests ({elb_rate:.1%}) with 5XX: 502/503/504 come "
            "from the load balancer when no target is healthy, a target closes the connection, or a target "
            "takes longer than the idle timeout.",
            {"requests": requests, "elb_5xx": elb_5xx, "target_5xx": target_5xx},
            [f"aws elbv2 describe-target-health --target-group-arn <each target group> --region {region}",
             "# then the access log's elb_status_code and target_status_code for the failing requests"]))
    target_rate = rate(target_5xx, requests)
    if target_rate is not None and target_rate >= ERROR_RATE:
        findings.append(Finding(
            "ALB_TARGET_5XX", "error", comp.resource,
            f"The targets behind {comp.label} answered {target_5xx:,.0f} requests ({target_rate:.1%}) with 5XX: "
            "the fault is in the targets, not the load balancer.",
            {"requests": requests, "target_5xx": target_5xx, "elb_5xx": elb_5xx},
            ["# The targets' own logs for the window; for Lambda targets, their Errors metric and REPORT lines"]))
    if rejected:
        findings.append(Finding(
            "ALB_REJECTED_CONNECTIONS", "warning", comp.resource,
            f"{comp.label} rejected {rejected:,.0f} connections: it reached its maximum connections.",
            {"rejected_connections": rejected},
            [f"aws elbv2 describe-load-balancer-attributes --load-balancer-arn {comp.arn} --region {region}"]))
    return findings, notes


def _target_group(comp: Component, now: Mapping[str, WindowStats], then: Mapping[str, WindowStats],
                  region: str) -> tuple[list[Finding], list[str]]:
    unhealthy = now.get("UnHealthyHostCount")
    peak = unhealthy.maximum if unhealthy is not None else None
    if not peak:
        return [], []
    healthy = now.get("HealthyHostCount")
    low = healthy.average if healthy is not None else None
    return [Finding(
        "ALB_UNHEALTHY_TARGETS", "warning", comp.resource,
        f"{comp.label} had up to {peak:g} unhealthy targets in the window"
        + (f" (about {low:g} healthy)" if low is not None else "")
        + ": the healthy ones carry their traffic, and slow down if they are near their limit.",
        {"unhealthy_max": peak, "healthy_average": low},
        [f"aws elbv2 describe-target-health --target-group-arn {comp.arn} --region {region}"])], []


def _api(comp: Component, now: Mapping[str, WindowStats], then: Mapping[str, WindowStats],
         region: str) -> tuple[list[Finding], list[str]]:
    count = _sum(now, "Count")
    errors = _sum(now, "5XXError") if comp.kind == "apigw-rest" else _sum(now, "5xx")
    notes = [f"{comp.label}: {count:,.0f} requests, {errors or 0:,.0f} 5XX."] if count is not None else []
    findings = []
    error_rate = rate(errors, count)
    if error_rate is not None and error_rate >= ERROR_RATE:
        findings.append(Finding(
            "APIGW_5XX", "error", comp.resource,
            f"{comp.label} answered {errors:,.0f} requests ({error_rate:.1%}) with 5XX (a 504 after 29 s is an "
            "integration that took too long).",
            {"requests": count, "5xx": errors},
            ["# Execution logs for the stage show which integration failed and how long it took"]))
    hits, misses = _sum(now, "CacheHitCount"), _sum(now, "CacheMissCount")
    if hits is not None and misses is not None and hits + misses > 0:
        hit_rate = 100.0 * hits / (hits + misses)
        notes.append(f"{comp.label}: cache hit rate {hit_rate:.0f}%.")
    return findings, notes


def _distribution(comp: Component, now: Mapping[str, WindowStats], then: Mapping[str, WindowStats],
                  region: str) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    notes: list[str] = []
    hit_now, hit_then = _avg(now, "CacheHitRate"), _avg(then, "CacheHitRate")
    errors = _avg(now, "5xxErrorRate")
    if hit_now is None:
        notes.append(f"{comp.label}: no CacheHitRate or OriginLatency: CloudFront's additional metrics are off "
                     f"(aws cloudfront create-monitoring-subscription --distribution-id {comp.id} "
                     "--monitoring-subscription RealtimeMetricsSubscriptionConfig={RealtimeMetricsSubscriptionStatus"
                     "=Enabled}; billed per distribution).")
    else:
        notes.append(f"{comp.label}: cache hit rate {hit_now:.0f}%"
                     + (f" against {hit_then:.0f}% at baseline." if hit_then is not None else "."))
    collapsed = (hit_now is not None and hit_then is not None and hit_then - hit_now >= CACHE_COLLAPSE_POINTS)
    if collapsed or (hit_now is not None and hit_then is None and hit_now < LOW_CACHE_HIT):
        assert hit_now is not None
        findings.append(Finding(
            "CLOUDFRONT_CACHE_HIT_COLLAPSE", "error" if collapsed else "warning", comp.resource,
            f"{comp.label} served only {hit_now:.0f}% of requests from its cache"
            + (f", against {hit_then:.0f}% at baseline" if hit_then is not None else "")
            + ": the rest go to the origin, which is slower and now carries the load. A changed cache policy "
              "(a header, cookie or query string added to the cache key) or a short TTL does this.",
            {"cache_hit_rate_now": round(hit_now, 1),
             "cache_hit_rate_baseline": round(hit_then, 1) if hit_then is not None else None},
            [f"aws cloudfront get-distribution-config --id {comp.id}",
             "# compare the cache behaviours' CachePolicyId and the policy's cache key with last week's "
             "(CloudTrail UpdateDistribution / UpdateCachePolicy events):",
             f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue={comp.id} "
             "--region us-east-1"],
            alternatives=[Fix((f"aws cloudfront create-invalidation --distribution-id {comp.id} --paths '/*'",),
                              "only if stale objects are the problem", "sends every request to the origin "
                              "until the cache refills")]))
    if errors is not None and errors >= 100 * ERROR_RATE:
        findings.append(Finding(
            "CLOUDFRONT_5XX", "error", comp.resource,
            f"{comp.label} answered {errors:.1f}% of requests with 5xx.",
            {"5xx_error_rate_percent": round(errors, 2)},
            ["# The standard logs' x-edge-detailed-result-type says whether the origin or CloudFront failed"]))
    return findings, notes


def _table(comp: Component, now: Mapping[str, WindowStats], then: Mapping[str, WindowStats],
           region: str) -> tuple[list[Finding], list[str]]:
    reads, writes = _sum(now, "ReadThrottleEvents"), _sum(now, "WriteThrottleEvents")
    throttled = (reads or 0) + (writes or 0)
    if not throttled:
        return [], []
    return [Finding(
        "DYNAMODB_THROTTLED", "warning", comp.resource,
        f"{comp.label} throttled {reads or 0:,.0f} reads and {writes or 0:,.0f} writes: the SDK retries them "
        "with back-off, which callers see as latency.",
        {"read_throttle_events": reads, "write_throttle_events": writes, **comp.facts},
        [f"awstriage run throttling --param service=dynamodb --region {region}"])], []
