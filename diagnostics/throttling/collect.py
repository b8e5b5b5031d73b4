"""Reading Lambda concurrency and DynamoDB throttle metrics for the throttling diagnosis.

Only resources that were throttled are looked at closely: the candidates come from the throttled
CloudTrail events and from the metrics CloudWatch lists, and each list is bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from diagnostics.cloudwatch.metrics import fetch_series
from diagnostics.throttling.limits import AccountConcurrency, FunctionConcurrency, TableThrottles

MAX_CANDIDATES = 20
MAX_LISTED_METRICS = 60


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


def read_account_concurrency(lambda_client: Any) -> AccountConcurrency:
    limit = lambda_client.get_account_settings().get("AccountLimit", {})
    return AccountConcurrency(limit=int(limit.get("ConcurrentExecutions", 1000)),
                              unreserved=int(limit.get("UnreservedConcurrentExecutions", 1000)))


def function_throttles(cloudwatch: Any, name: str, start: datetime, end: datetime) -> float:
    return fetch_series(cloudwatch, "AWS/Lambda", "Throttles", {"FunctionName": name}, start, end,
                        ("Sum",)).total()


def read_function_concurrency(lambda_client: Any, cloudwatch: Any, name: str, arn: str, start: datetime,
                              end: datetime, throttles: float) -> FunctionConcurrency:
    """The rest of what judges a throttled function: its reservation, invocations and peak concurrency."""
    dims = {"FunctionName": name}
    invocations = fetch_series(cloudwatch, "AWS/Lambda", "Invocations", dims, start, end, ("Sum",))
    concurrency = fetch_series(cloudwatch, "AWS/Lambda", "ConcurrentExecutions", dims, start, end,
                               ("Maximum",))
    reserved = lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    return FunctionConcurrency(name=name, arn=arn, reserved=None if reserved is None else int(reserved),
                               throttles=throttles, invocations=invocations.total(),
                               peak_concurrency=concurrency.peak())


def read_table_throttles(dynamodb: Any, cloudwatch: Any, name: str, start: datetime,
                         end: datetime) -> TableThrottles:
    """The table's throttle counts; its configuration is read only when it was throttled."""
    dims = {"TableName": name}

    def total(metric: str, metric_dims: dict[str, str]) -> float:
        return fetch_series(cloudwatch, "AWS/DynamoDB", metric, metric_dims, start, end, ("Sum",)).total()

    # ThrottledRequests is published per table and operation: list the operations, then add them up.
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace="AWS/DynamoDB", MetricName="ThrottledRequests",
        Dimensions=[{"Name": "TableName", "Value": name}])
    # One entry per metric (moto lists one per datapoint, hence the set).
    listed = {tuple(sorted((d["Name"], d["Value"]) for d in item.get("Dimensions", [])))
              for page in pages for item in page.get("Metrics", [])}
    throttled = sum(total("ThrottledRequests", dict(dims)) for dims in sorted(listed))
    reads, writes = total("ReadThrottleEvents", dims), total("WriteThrottleEvents", dims)
    if throttled <= 0 and reads <= 0 and writes <= 0:
        return TableThrottles(name, name, "unknown", 0.0, 0.0, 0.0)
    table = dynamodb.describe_table(TableName=name)["Table"]
    throughput = table.get("ProvisionedThroughput") or {}
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    return TableThrottles(name=name, arn=table.get("TableArn", name), billing_mode=mode,
                          throttled_requests=throttled, read_throttles=reads, write_throttles=writes,
                          read_capacity=throughput.get("ReadCapacityUnits"),
                          write_capacity=throughput.get("WriteCapacityUnits"))


def candidates(named: Iterable[str], listed: Iterable[str], limit: int = MAX_CANDIDATES) -> list[str]:
    """Names from the throttled events first, then the ones CloudWatch lists; no repeats."""
    out: list[str] = []
    for name in [*named, *listed]:
        if name and name not in out:
            out.append(name)
    return out[:limit]
