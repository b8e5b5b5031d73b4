"""Reading Lambda concurrency and DynamoDB throttle metrics for the throttling diagnosis.

Only resources that were throttled are looked at closely: the candidates come from the throttled
CloudTrail events and from the metrics CloudWatch lists, and each list is bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from diagnostics.cloudwatch.metrics import MetricSeries, fetch_series, period_for
from diagnostics.throttling.api_rates import RateQuota
from diagnostics.throttling.dynamodb_limits import Capacity, TableConfig
from diagnostics.throttling.lambda_limits import SqsSource

MAX_CANDIDATES = 20
MAX_LISTED_METRICS = 60
MAX_CONSUMERS_READ = 50


def listed_dimension_values(cloudwatch: Any, namespace: str, metric: str, dimension: str,
                            limit: int = MAX_LISTED_METRICS, last_3_hours: bool = False) -> list[str]:
    """Values of ``dimension`` on the metrics CloudWatch lists for ``metric``: those with data in the last
    two weeks, or in the last three hours (the only shorter choice ListMetrics offers)."""
    values: list[str] = []
    kwargs: dict[str, Any] = {"RecentlyActive": "PT3H"} if last_3_hours else {}
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName=metric, Dimensions=[{"Name": dimension}],
        PaginationConfig={"MaxItems": limit}, **kwargs)
    for page in pages:
        for item in page.get("Metrics", []):
            for dim in item.get("Dimensions", []):
                if dim.get("Name") == dimension and dim.get("Value") not in values:
                    values.append(dim["Value"])
    return values


def read_account_settings(lambda_client: Any) -> tuple[int, int]:
    """The account's regional concurrency limit and its unreserved part (GetAccountSettings)."""
    limit = lambda_client.get_account_settings()["AccountLimit"]
    return int(limit["ConcurrentExecutions"]), int(limit["UnreservedConcurrentExecutions"])


def read_concurrency_quota(service_quotas: Any, quota_code: str) -> int:
    """The applied value of Lambda's concurrency quota, a second source for the account's limit."""
    return int(service_quotas.get_service_quota(ServiceCode="lambda", QuotaCode=quota_code)["Quota"]["Value"])


def read_reserved(lambda_client: Any, name: str) -> int | None:
    """The function's reserved concurrency; None when it has none (it shares the account's pool)."""
    reserved = lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    return None if reserved is None else int(reserved)


def read_provisioned(lambda_client: Any, name: str) -> int:
    """Provisioned concurrency allocated over all the function's aliases and versions."""
    total = 0
    for page in lambda_client.get_paginator("list_provisioned_concurrency_configs").paginate(FunctionName=name):
        for config in page.get("ProvisionedConcurrencyConfigs", []):
            total += int(config.get("AllocatedProvisionedConcurrentExecutions")
                         or config.get("RequestedProvisionedConcurrentExecutions") or 0)
    return total


def read_sqs_sources(lambda_client: Any, name: str) -> tuple[SqsSource, ...]:
    """The function's enabled SQS event sources that set a maximum concurrency."""
    out: list[SqsSource] = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate(FunctionName=name):
        for mapping in page.get("EventSourceMappings", []):
            source = str(mapping.get("EventSourceArn", ""))
            maximum = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
            if ":sqs:" in source and maximum and mapping.get("State", "Enabled") in ("Enabled", "Enabling"):
                out.append(SqsSource(source, int(maximum), str(mapping.get("UUID", ""))))
    return tuple(out)


def lambda_series(cloudwatch: Any, metric: str, name: str | None, start: datetime, end: datetime,
                  statistic: str = "Sum") -> MetricSeries:
    """An AWS/Lambda series per function, or account-wide (no dimensions) when ``name`` is None."""
    dims = {"FunctionName": name} if name else {}
    return fetch_series(cloudwatch, "AWS/Lambda", metric, dims, start, end, (statistic,))


def top_consumers(cloudwatch: Any, start: datetime, end: datetime, last_3_hours: bool,
                  limit: int = MAX_CONSUMERS_READ) -> tuple[list[tuple[str, float]], int]:
    """Functions by their peak ConcurrentExecutions in the window, highest first, and how many functions
    CloudWatch lists (at most ``limit`` are read: one call each)."""
    names = listed_dimension_values(cloudwatch, "AWS/Lambda", "ConcurrentExecutions", "FunctionName",
                                    last_3_hours=last_3_hours, limit=MAX_LISTED_METRICS * 4)
    peaks = [(n, lambda_series(cloudwatch, "ConcurrentExecutions", n, start, end, "Maximum").peak())
             for n in names[:limit]]
    return sorted(((n, p) for n, p in peaks if p is not None), key=lambda kv: -kv[1]), len(names)


@dataclass(frozen=True)
class TableAbsent:
    """DynamoDB answered ResourceNotFoundException for the table: there is no such table where it looked."""

    name: str
    message: str = ""


def read_table_target(dynamodb: Any, name: str) -> TableConfig | TableAbsent:
    """The table's configuration, or what DynamoDB said of its absence (an answer, not a failure)."""
    try:
        return read_table_config(dynamodb, name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return TableAbsent(name, str(exc.response.get("Error", {}).get("Message") or ""))


def read_table_config(dynamodb: Any, name: str) -> TableConfig:
    """The table's billing mode and the capacity of the table and each global secondary index."""
    table = dynamodb.describe_table(TableName=name)["Table"]
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"

    def capacity(item: dict[str, Any], index: str | None) -> Capacity:
        throughput = item.get("ProvisionedThroughput") or {}
        on_demand = item.get("OnDemandThroughput") or {}
        positive = lambda v: int(v) if v and int(v) > 0 else None  # noqa: E731 - AWS answers 0 or -1 for unset
        return Capacity(index=index, read_capacity=positive(throughput.get("ReadCapacityUnits")),
                        write_capacity=positive(throughput.get("WriteCapacityUnits")),
                        max_read=positive(on_demand.get("MaxReadRequestUnits")),
                        max_write=positive(on_demand.get("MaxWriteRequestUnits")))

    indexes = tuple(capacity(i, i["IndexName"]) for i in table.get("GlobalSecondaryIndexes") or [])
    return TableConfig(name=name, arn=table.get("TableArn", name), billing_mode=mode, table=capacity(table, None),
                       indexes=indexes)


def listed_table_metrics(cloudwatch: Any, name: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(metric, dimensions) of every AWS/DynamoDB metric CloudWatch lists for the table: per index and per
    operation too."""
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace="AWS/DynamoDB", Dimensions=[{"Name": "TableName", "Value": name}],
        PaginationConfig={"MaxItems": MAX_LISTED_METRICS * 4})
    # A set: moto lists a metric once per datapoint.
    return sorted({(item["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in item.get("Dimensions", []))))
                   for page in pages for item in page.get("Metrics", [])})


def table_series(cloudwatch: Any, metric: str, dimensions: dict[str, str], start: datetime,
                 end: datetime) -> MetricSeries:
    return fetch_series(cloudwatch, "AWS/DynamoDB", metric, dimensions, start, end, ("Sum",))


def read_contributor_insights(dynamodb: Any, name: str) -> tuple[str, tuple[str, ...]]:
    """Contributor Insights status of the table and the names of its CloudWatch rules."""
    answer = dynamodb.describe_contributor_insights(TableName=name)
    return str(answer.get("ContributorInsightsStatus", "DISABLED")), tuple(answer.get("ContributorInsightsRuleList")
                                                                          or ())


def throttled_keys(cloudwatch: Any, rule: str, start: datetime, end: datetime,
                   top: int = 10) -> tuple[tuple[str, float], ...]:
    """The partition keys a Contributor Insights rule counts most, highest first."""
    report = cloudwatch.get_insight_rule_report(RuleName=rule, StartTime=start, EndTime=end,
                                                Period=period_for(start, end), MaxContributorCount=top,
                                                OrderBy="Sum")
    return tuple((" | ".join(c.get("Keys", [])), float(c.get("ApproximateAggregateValue", 0.0)))
                 for c in report.get("Contributors", []))


def candidates(named: Iterable[str], listed: Iterable[str], limit: int = MAX_CANDIDATES) -> list[str]:
    """Names from the throttled events first, then the ones CloudWatch lists; no repeats."""
    out: list[str] = []
    for name in [*named, *listed]:
        if name and name not in out:
            out.append(name)
    return out[:limit]


def read_rate_quotas(service_quotas: Any, service_code: str) -> list[RateQuota]:
    """The service's API rate quotas (those Service Quotas counts with an AWS/Usage ``Type=API`` metric), at
    AWS's default values; :func:`read_applied_quota` reads the account's own value of one."""
    out: list[RateQuota] = []
    pages = service_quotas.get_paginator("list_aws_default_service_quotas").paginate(ServiceCode=service_code)
    for page in pages:
        for quota in page.get("Quotas", []):
            usage = (quota.get("UsageMetric") or {}).get("MetricDimensions") or {}
            if usage.get("Type") != "API":
                continue
            period = quota.get("Period") or {}
            seconds = int(period.get("PeriodValue") or 1) * {"SECOND": 1, "MINUTE": 60}.get(
                str(period.get("PeriodUnit") or "SECOND"), 1)
            out.append(RateQuota(code=str(quota["QuotaCode"]), name=str(quota.get("QuotaName", "")),
                                 value=float(quota.get("Value") or 0.0), adjustable=bool(quota.get("Adjustable")),
                                 period_seconds=seconds, usage=tuple(sorted((str(k), str(v))
                                                                            for k, v in usage.items()))))
    return out


def read_applied_quota(service_quotas: Any, service_code: str, quota: RateQuota) -> RateQuota:
    """The quota with the account's applied value (GetServiceQuota)."""
    value = service_quotas.get_service_quota(ServiceCode=service_code, QuotaCode=quota.code)["Quota"]["Value"]
    return replace(quota, value=float(value), applied=True)


def call_count(cloudwatch: Any, usage: tuple[tuple[str, str], ...], start: datetime, end: datetime) -> MetricSeries:
    """AWS/Usage CallCount for one API (Sum per period: a minute for windows up to a day)."""
    return fetch_series(cloudwatch, "AWS/Usage", "CallCount", dict(usage), start, end, ("Sum",))
