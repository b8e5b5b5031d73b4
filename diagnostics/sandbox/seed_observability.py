"""Seeders for what the account remembers: CloudWatch metrics and CloudWatch Logs lines.

Times are relative to the moment of seeding, so the playbooks' "last N hours" windows find them.

Metrics, oldest first, ending a minute ago::

    [[resources]]
    type = "cloudwatch.metric"
    namespace = "AWS/EC2"
    metric = "CPUCreditBalance"
    dimensions = { InstanceId = "${instance.app}" }
    every_minutes = 5                       # default 5
    segments = [ { from = 140, to = 0, minutes = 90 }, { value = 0, minutes = 90 } ]
    # or: values = [12.5, 14.0, ...]        (optional maximum = [...] of the same length)
    # or: value = 40, minutes = 180

A Lambda function's invocations as its log group shows them (START, END and REPORT lines, and the
error lines of the ones Lambda killed for memory)::

    [[resources]]
    type = "logs.lambda_invocations"
    function = "${function.worker}"
    memory = 512            # the "Memory Size" of the REPORT lines
    invocations = 120       # spread evenly over `minutes`
    minutes = 600
    used = [230, 480]       # "Max Memory Used", MB, low to high
    duration = [300, 2400]  # ms
    out_of_memory = [12, 95, 260]      # minutes ago of each invocation Lambda killed
    oom_style = "killed"    # killed | node | python | java

Any log lines: ``type = "logs.events"``, ``group``, ``stream``, ``events = [{ minutes_ago, message }]``.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox.scenario import ScenarioError
from diagnostics.sandbox.seeders import ClientFactory, seeder

NAMESPACE = uuid.UUID("0b7c9f3e-52a4-4c1e-9d0f-2f6a3c1e8b55")
BATCH = 500


# --- metrics ---------------------------------------------------------------------------------


def _series(spec: dict[str, Any]) -> list[tuple[float, float | None]]:
    """(value, maximum) per datapoint, oldest first."""
    every = float(spec.get("every_minutes", 5))
    if "values" in spec:
        values = [float(x) for x in spec["values"]]
        maxima = [float(x) for x in spec.get("maximum", [])] or [None] * len(values)
        if len(maxima) != len(values):
            raise ScenarioError(f"metric {spec.get('metric')}: 'maximum' needs as many entries as 'values'")
        return list(zip(values, maxima, strict=True))
    segments = spec.get("segments") or [{"value": spec.get("value", 0), "minutes": spec.get("minutes", 180)}]
    points: list[tuple[float, float | None]] = []
    for segment in segments:
        n = max(1, int(float(segment.get("minutes", 60)) / every))
        if "value" in segment:
            points += [(float(segment["value"]), None)] * n
        else:
            lo, hi = float(segment["from"]), float(segment["to"])
            points += [(lo + (hi - lo) * i / max(1, n - 1), None) for i in range(n)]
    return points


def put_metric_series(clients: ClientFactory, spec: dict[str, Any], newest: datetime) -> int:
    """Put the scenario's series for one metric, its last point at ``newest``; the number of points put."""
    namespace, metric = str(spec["namespace"]), str(spec["metric"])
    dims = [{"Name": k, "Value": str(v)} for k, v in (spec.get("dimensions") or {}).items()]
    every = float(spec.get("every_minutes", 5))
    points = _series(spec)
    data = []
    for index, (value, maximum) in enumerate(points):
        at = newest - timedelta(minutes=every * (len(points) - 1 - index))
        item: dict[str, Any] = {"MetricName": metric, "Dimensions": dims, "Timestamp": at}
        if spec.get("unit"):
            item["Unit"] = spec["unit"]
        if maximum is None:
            item["Value"] = value
        else:
            samples = float(spec.get("samples", 10))
            item["StatisticValues"] = {"SampleCount": samples, "Sum": value * samples,
                                       "Minimum": min(value, maximum), "Maximum": maximum}
        data.append(item)
    cloudwatch = clients("cloudwatch")
    for start in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + BATCH])
    return len(data)


@seeder("cloudwatch.metric")
def seed_metric(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    newest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    count = put_metric_series(clients, spec, newest)
    return {"id": f"{spec['namespace']}/{spec['metric']}", "points": str(count)}


# --- logs ------------------------------------------------------------------------------------


def _group(logs: Any, name: str) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name)


def _put(logs: Any, group: str, stream: str, events: list[tuple[datetime, str]]) -> None:
    _group(logs, group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    ordered = sorted(events, key=lambda e: e[0])
    batch = [{"timestamp": int(at.timestamp() * 1000), "message": message} for at, message in ordered]
    for start in range(0, len(batch), BATCH):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch[start:start + BATCH])


@seeder("logs.events")
def seed_log_events(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    group, stream = str(spec["group"]), str(spec.get("stream", "stream-1"))
    events = [(now - timedelta(minutes=float(e.get("minutes_ago", 0))), str(e["message"]))
              for e in spec.get("events", [])]
    _put(clients("logs"), group, stream, events)
    return {"id": group, "stream": stream}


def _oom_lines(style: str, request: str, stamp: str) -> list[str]:
    if style == "node":
        return [f"{stamp}\t{request}\tERROR\tFATAL ERROR: Reached heap limit Allocation failed - "
                "JavaScript heap out of memory",
                f"RequestId: {request} Error: Runtime exited with error: signal: aborted (core dumped)\n"
                "Runtime.ExitError"]
    if style == "python":
        return [f"[ERROR] MemoryError\nTraceback (most recent call last):\n  File \"/var/task/handler.py\", "
                f"line 14, in handler\n    rows = list(reader)\nRequestId: {request}"]
    if style == "java":
        return [f"{stamp} {request} ERROR java.lang.OutOfMemoryError: Java heap space"]
    return [f"RequestId: {request} Error: Runtime exited with error: signal: killed\nRuntime.ExitError"]


def _report(request: str, duration: float, memory: int, used: int, error: str = "") -> str:
    line = (f"REPORT RequestId: {request}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} "
            f"ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t")
    if error:
        line += f"Status: error\tError Type: {error}\t"
    return line


@seeder("logs.lambda_invocations")
def seed_lambda_invocations(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    function = str(spec["function"])
    memory = int(spec.get("memory", 128))
    count = int(spec.get("invocations", 60))
    minutes = float(spec.get("minutes", 60))
    used_lo, used_hi = (int(x) for x in spec.get("used", [memory // 3, memory // 2]))
    dur_lo, dur_hi = (float(x) for x in spec.get("duration", [100, 400]))
    style = str(spec.get("oom_style", "killed"))
    rng = random.Random(f"{function}/{count}")
    now = datetime.now(UTC)
    events: list[tuple[datetime, str]] = []
    peak_index = count * 2 // 3

    def invocation(at: datetime, n: int, killed: bool) -> None:
        request = str(uuid.uuid5(NAMESPACE, f"{function}/{n}"))
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        duration = rng.uniform(dur_lo, dur_hi)
        events.append((at, f"START RequestId: {request} Version: $LATEST"))
        end = at + timedelta(milliseconds=duration)
        if killed:
            events.extend((end, line) for line in _oom_lines(style, request, stamp))
            error = "Runtime.OutOfMemory" if style == "killed" else "Runtime.ExitError"
            used = memory if style == "killed" else max(used_hi, int(memory * 0.8))
            events.append((end, f"END RequestId: {request}"))
            events.append((end, _report(request, duration, memory, used, error)))
            return
        # Most invocations use little; one reaches the top of the range, so the scenario's peak is exact.
        used = used_hi if n == peak_index else used_lo + int((used_hi - used_lo) * rng.random() ** 2)
        events.append((end, f"END RequestId: {request}"))
        events.append((end, _report(request, duration, memory, used)))

    for n in range(count):
        invocation(now - timedelta(minutes=minutes * (count - n) / count), n, killed=False)
    for n, minutes_ago in enumerate(spec.get("out_of_memory", [])):
        invocation(now - timedelta(minutes=float(minutes_ago)), count + n, killed=True)
    group = str(spec.get("group", f"/aws/lambda/{function}"))
    stream = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid5(NAMESPACE, function).hex}"
    _put(clients("logs"), group, stream, events)
    return {"id": group, "stream": stream}
