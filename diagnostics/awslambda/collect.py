"""Reading a Lambda function's configuration, log lines and metrics for the memory diagnosis.

Log lines come from ``FilterLogEvents`` with plain terms and quoted phrases, which every CloudWatch
Logs endpoint understands. REPORT lines are read up to a bound (a busy function logs millions a day)
and the answer says when it was reached; out-of-memory lines are rare, so all of them are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from diagnostics.awslambda.memory import OOM_FILTER, FunctionMemory, LogLine, function_memory
from diagnostics.cloudwatch.metrics import MetricSeries, fetch_series

MAX_REPORT_LINES = 20000
MAX_OOM_LINES = 2000
MAX_PAGES = 50
REPORT_FILTER_TEXT = "REPORT"
REPORT_FILTER_JSON = '{ $.type = "platform.report" }'

# The AWS/Lambda metrics the diagnosis reads, with the statistics that answer its questions.
LAMBDA_METRICS: dict[str, tuple[str, ...]] = {
    "Invocations": ("Sum",),
    "Errors": ("Sum",),
    "Throttles": ("Sum",),
    "Duration": ("Average", "Maximum"),
}


@dataclass(frozen=True)
class LogRead:
    lines: tuple[LogLine, ...]
    truncated: bool
    log_group_exists: bool = True


def function_name_of(value: str) -> str:
    """A function name from a name, a partial ARN or a full ARN (with or without a qualifier)."""
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value
    return value


def fetch_function(lambda_client: Any, function: str) -> dict[str, Any]:
    return lambda_client.get_function_configuration(FunctionName=function)


def read_function(lambda_client: Any, function: str) -> FunctionMemory:
    return function_memory(fetch_function(lambda_client, function))


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def filter_lines(logs: Any, group: str, pattern: str, start: datetime, end: datetime, limit: int,
                 max_pages: int = MAX_PAGES) -> LogRead:
    """Matching lines of a log group in the window, oldest first, at most ``limit`` of them.

    FilterLogEvents searches a large group a slice at a time and may answer many empty pages before the
    next match, so the number of pages is bounded too.
    """
    paginator = logs.get_paginator("filter_log_events")
    pages = paginator.paginate(logGroupName=group, filterPattern=pattern, startTime=_ms(start),
                               endTime=_ms(end), PaginationConfig={"MaxItems": limit})
    lines: list[LogLine] = []
    read_pages = 0
    try:
        for page in pages:
            read_pages += 1
            for event in page.get("events", []):
                at = datetime.fromtimestamp(event.get("timestamp", 0) / 1000.0, UTC)
                lines.append(LogLine(at, str(event.get("message", "")), str(event.get("logStreamName", ""))))
            if read_pages >= max_pages and page.get("nextToken"):
                return LogRead(tuple(lines), truncated=True)
    except logs.exceptions.ResourceNotFoundException:
        # No log group: the function never ran, or its role may not write logs. Worth saying, not failing.
        return LogRead((), False, log_group_exists=False)
    return LogRead(tuple(lines), truncated=bool(pages.resume_token))


def read_report_lines(logs: Any, function: FunctionMemory, start: datetime, end: datetime,
                      limit: int = MAX_REPORT_LINES) -> LogRead:
    pattern = REPORT_FILTER_JSON if function.log_format.upper() == "JSON" else REPORT_FILTER_TEXT
    return filter_lines(logs, function.log_group, pattern, start, end, limit)


def read_oom_lines(logs: Any, function: FunctionMemory, start: datetime, end: datetime,
                   limit: int = MAX_OOM_LINES) -> LogRead:
    return filter_lines(logs, function.log_group, OOM_FILTER, start, end, limit)


def read_lambda_metrics(cloudwatch: Any, function_name: str, start: datetime, end: datetime,
                        metrics: dict[str, tuple[str, ...]] | None = None) -> dict[str, MetricSeries]:
    dims = {"FunctionName": function_name}
    return {name: fetch_series(cloudwatch, "AWS/Lambda", name, dims, start, end, stats)
            for name, stats in (metrics or LAMBDA_METRICS).items()}
