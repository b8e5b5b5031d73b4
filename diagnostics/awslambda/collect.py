"""Reading a Lambda function's configuration, log lines and metrics for the failure and memory diagnosis.

Log lines come from ``FilterLogEvents`` (:mod:`diagnostics.cloudwatch.logs`) with plain terms and
quoted phrases, which every CloudWatch Logs endpoint understands. REPORT lines are read up to a bound
(a busy function logs millions a day) and the answer says when it was reached; failure lines are
rarer and read up to a larger share; the lines just before a few example failures are read from
their own log streams, so a finding can show what the function was doing when it failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from diagnostics.awslambda.failures import FAILURE_FILTER, FAILURE_QUERY
from diagnostics.awslambda.memory import FunctionMemory, function_memory
from diagnostics.cloudwatch.logs import InsightsRead, LogRead, filter_lines, insights_lines
from diagnostics.cloudwatch.metrics import MetricSeries, fetch_series

MAX_REPORT_LINES = 20000
MAX_FAILURE_LINES = 5000
MAX_CONTEXT_LINES = 200
# Text REPORT lines or JSON platform.report records: a function's log format can change inside the
# window (LoggingConfig is a setting), so both are read whatever the configuration says today.
REPORT_FILTER = '?"REPORT RequestId" ?"platform.report"'

# The AWS/Lambda metrics the diagnosis reads, with the statistics that answer its questions.
LAMBDA_METRICS: dict[str, tuple[str, ...]] = {
    "Invocations": ("Sum",),
    "Errors": ("Sum",),
    "Throttles": ("Sum",),
    "Duration": ("Average", "Maximum"),
}


def function_name_of(value: str) -> str:
    """A function name from a name, a partial ARN or a full ARN (with or without a qualifier)."""
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value
    return value.rpartition(":function:")[2].split(":")[0]  # NAME:QUALIFIER, 123456789012:function:NAME


def fetch_function(lambda_client: Any, function: str) -> dict[str, Any]:
    return lambda_client.get_function_configuration(FunctionName=function)


def read_function(lambda_client: Any, function: str) -> FunctionMemory:
    return function_memory(fetch_function(lambda_client, function))


def read_report_lines(logs: Any, function: FunctionMemory, start: datetime, end: datetime,
                      limit: int = MAX_REPORT_LINES) -> LogRead:
    return filter_lines(logs, function.log_group, REPORT_FILTER, start, end, limit)


def read_failure_lines(logs: Any, function: FunctionMemory, start: datetime, end: datetime,
                       limit: int = MAX_FAILURE_LINES) -> LogRead:
    """Every line with a failure marker (timeouts, init failures, crashes, out of memory) in the window."""
    return filter_lines(logs, function.log_group, FAILURE_FILTER, start, end, limit)


def query_failure_lines(logs: Any, function: FunctionMemory, start: datetime, end: datetime,
                        cancelled: Any = None) -> InsightsRead:
    """The failure lines by one Logs Insights query: one call scans the window, where FilterLogEvents
    pages through it (the fallback when Insights is refused or missing)."""
    return insights_lines(logs, function.log_group, FAILURE_QUERY, start, end, cancelled=cancelled)


def read_context_lines(logs: Any, function: FunctionMemory, stream: str, at: datetime,
                       limit: int = MAX_CONTEXT_LINES) -> LogRead:
    """All lines of one log stream in the timeout's span before ``at``: what the invocation did last."""
    span = timedelta(seconds=function.timeout_s + 1)
    return filter_lines(logs, function.log_group, "", at - span, at + timedelta(milliseconds=1), limit,
                        max_pages=5, streams=[stream])


def read_lambda_metric(cloudwatch: Any, function_name: str, metric: str, start: datetime,
                       end: datetime) -> MetricSeries:
    return fetch_series(cloudwatch, "AWS/Lambda", metric, {"FunctionName": function_name}, start, end,
                        LAMBDA_METRICS[metric])
