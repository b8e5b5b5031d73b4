"""Seeders for history a comparison needs: metrics of an earlier window, and REPORT lines with cold starts.

A metric as ``cloudwatch.metric`` seeds it, but ending ``days_ago`` days before now (the baseline week)::

    [[resources]]
    type = "cloudwatch.metric_then"
    namespace = "AWS/ApplicationELB"
    metric = "TargetResponseTime"
    dimensions = { LoadBalancer = "${alb.web.dimension}" }
    days_ago = 7
    every_minutes = 5
    value = 0.3
    minutes = 60

A function's REPORT lines, with cold starts (``Init Duration``) every ``cold_every``-th invocation::

    [[resources]]
    type = "logs.lambda_reports"
    function = "${function.checkout}"
    memory = 512
    invocations = 30
    minutes = 50
    duration = [2650, 2800]      # ms, spread evenly low to high
    used = 180                   # Max Memory Used, MB
    cold_every = 3
    init = 1800                  # ms
    days_ago = 0                 # 7 for last week's lines
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox.seed_observability import NAMESPACE, _put, put_metric_series
from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("cloudwatch.metric_then")
def seed_metric_then(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    newest = (datetime.now(UTC).replace(second=0, microsecond=0)
              - timedelta(days=float(spec.get("days_ago", 7)), minutes=1))
    count = put_metric_series(clients, spec, newest)
    return {"id": f"{spec['namespace']}/{spec['metric']}@-{spec.get('days_ago', 7)}d", "points": str(count)}


def report_line(request: str, duration: float, memory: int, used: int, init: float | None) -> str:
    """A REPORT line as the Lambda runtime prints it (text format)."""
    line = (f"REPORT RequestId: {request}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: {used} MB\t")
    return line + (f"Init Duration: {init:.2f} ms\t" if init is not None else "")


@seeder("logs.lambda_reports")
def seed_lambda_reports(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    function = str(spec["function"])
    memory, count = int(spec.get("memory", 128)), int(spec.get("invocations", 30))
    minutes, days_ago = float(spec.get("minutes", 50)), float(spec.get("days_ago", 0))
    low, high = (float(x) for x in spec.get("duration", [100, 200]))
    cold_every, init = int(spec.get("cold_every", 0)), float(spec.get("init", 0))
    used = int(spec.get("used", memory // 3))
    end = datetime.now(UTC) - timedelta(days=days_ago, minutes=1)
    events = []
    for n in range(count):
        at = end - timedelta(minutes=minutes * (count - 1 - n) / max(1, count))
        request = str(uuid.uuid5(NAMESPACE, f"{function}/{days_ago}/{n}"))
        duration = low + (high - low) * n / max(1, count - 1)
        cold = init if cold_every and n % cold_every == 0 else None
        events.append((at, f"START RequestId: {request} Version: $LATEST"))
        events.append((at + timedelta(milliseconds=duration), f"END RequestId: {request}"))
        events.append((at + timedelta(milliseconds=duration), report_line(request, duration, memory, used, cold)))
    group = str(spec.get("group", f"/aws/lambda/{function}"))
    stream = f"{end:%Y/%m/%d}/[$LATEST]{uuid.uuid5(NAMESPACE, f'{function}/{days_ago}').hex}"
    _put(clients("logs"), group, stream, events)
    return {"id": group, "stream": stream}
