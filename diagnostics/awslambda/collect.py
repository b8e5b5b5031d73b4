"""Reading a Lambda function's configuration, log lines and metrics for the failure and memory diagnosis.

Log lines come from ``FilterLogEvents`` (:mod:`diagnostics.cloudwatch.logs`) with plain terms and
quoted phrases, which every CloudWatch Logs endpoint understands. REPORT lines are read up to a bound
(a busy function logs millions a day) and the answer says when it was reached; failure lines are
rarer and read up to a larger share; the lines just before a few example failures are read from
their own log streams, so a finding can show what the function was doing when it failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from diagnostics.awslambda.failures import FAILURE_FILTER, FAILURE_QUERY
from diagnostics.awslambda.memory import FunctionMemory, function_memory
from diagnostics.awslambda.names import parse_function
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


def fetch_function(lambda_client: Any, function: str) -> dict[str, Any]:
    return lambda_client.get_function_configuration(FunctionName=function)


def read_function(lambda_client: Any, function: str) -> FunctionMemory:
    ref = parse_function(function)
    return function_memory(fetch_function(lambda_client, function), ref.qualifier if ref else "")


@dataclass(frozen=True)
class FunctionAbsent:
    """Lambda answered ResourceNotFoundException for the function asked about. ``function_exists``:
    for an alias or version that was not found, whether the function itself is there (None when that
    could not be read); ``aliases``: its aliases, to say which exist."""

    name: str
    qualifier: str
    message: str
    function_exists: bool | None = None
    aliases: tuple[str, ...] = ()


def absent_sentence(absent: FunctionAbsent, account: str, region: str) -> str:
    """What to say when the function, alias or version asked about does not exist: where it was looked
    for, which aliases do exist, and what to check (every playbook that takes a function says the same)."""
    where = f"account {account or '(unknown)'}, region {region}"
    if absent.qualifier and absent.function_exists:
        aliases = (f" Its aliases: {', '.join(absent.aliases)}." if absent.aliases
                   else " It has no alias.")
        return (f"Function {absent.name} has no alias or version {absent.qualifier} in {where}: "
                f"GetFunctionConfiguration answered ResourceNotFoundException.{aliases} Give function="
                f"{absent.name} for $LATEST, name:ALIAS for an alias, or name:N for a published version.")
    return (f"There is no Lambda function {absent.name} in {where}: GetFunctionConfiguration answered "
            "ResourceNotFoundException. Check the name, the region (--region, or the one in the ARN) and the "
            "account (--profile).")


def _not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def read_target(lambda_client: Any, function: str) -> FunctionMemory | FunctionAbsent:
    """The configuration of the function as given (NAME, NAME:ALIAS, NAME:VERSION or an ARN), or what is
    known of its absence: a name, alias or version that does not exist is an answer, not a failure."""
    ref = parse_function(function)
    name, qualifier = (ref.name, ref.qualifier) if ref else (function, "")
    base = function.rpartition(":")[0] if qualifier else function  # the same form without the qualifier
    try:
        found = read_function(lambda_client, function)
    except ClientError as exc:
        if not _not_found(exc):
            raise
        message = str(exc.response.get("Error", {}).get("Message") or "")
    else:
        if found.qualifier and found.version != "$LATEST":
            # A fix for a published version is published from $LATEST: whether $LATEST holds the same
            # code decides whether that ships other code too. Unread, the fix says to compare.
            try:
                latest = fetch_function(lambda_client, base)
            except ClientError:
                latest = {}
            found = replace(found, latest_code_sha256=str(latest.get("CodeSha256") or ""),
                            latest_memory_size_mb=int(latest.get("MemorySize") or 0),
                            latest_timeout_s=int(latest.get("Timeout") or 0))
        return found
    if not qualifier:
        return FunctionAbsent(name, "", message, function_exists=False)
    try:
        lambda_client.get_function_configuration(FunctionName=base)
    except ClientError as exc:
        return FunctionAbsent(name, qualifier, message, function_exists=False if _not_found(exc) else None)
    try:
        pages = lambda_client.get_paginator("list_aliases").paginate(FunctionName=base)
        aliases = tuple(a["Name"] for page in pages for a in page.get("Aliases", []))
    except ClientError:
        aliases = ()
    return FunctionAbsent(name, qualifier, message, function_exists=True, aliases=aliases)


@dataclass(frozen=True)
class Versions:
    """A function's published versions (each one's configuration) and its aliases (name -> version)."""

    configs: dict[str, dict[str, Any]]
    aliases: dict[str, str]

    def aliases_of(self, version: str) -> list[str]:
        return sorted(name for name, points in self.aliases.items() if points == version)


def read_versions(lambda_client: Any, name: str) -> Versions:
    """Every published version's configuration (ListVersionsByFunction) and every alias (ListAliases): what each
    version that ran in the window has, and which alias callers reach it by."""
    configs: dict[str, dict[str, Any]] = {}
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        for config in page.get("Versions", []):
            configs[str(config.get("Version"))] = config
    aliases: dict[str, str] = {}
    for page in lambda_client.get_paginator("list_aliases").paginate(FunctionName=name):
        for alias in page.get("Aliases", []):
            aliases[str(alias.get("Name"))] = str(alias.get("FunctionVersion"))
    return Versions(configs, aliases)


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
                       end: datetime, qualifier: str = "") -> MetricSeries:
    """A function's metric; of one alias or version with ``qualifier`` (Lambda publishes those with the
    dimension Resource = NAME:QUALIFIER beside FunctionName)."""
    dimensions = {"FunctionName": function_name}
    if qualifier:
        dimensions["Resource"] = f"{function_name}:{qualifier}"
    return fetch_series(cloudwatch, "AWS/Lambda", metric, dimensions, start, end, LAMBDA_METRICS[metric])
