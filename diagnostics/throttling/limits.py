"""Throttling a service does to protect a limit of yours: Lambda concurrency and DynamoDB capacity.

These throttles never reach CloudTrail's event history (Lambda Invoke and DynamoDB item calls are data
events), so they are judged from the services' own metrics and configuration.

Lambda runs at most "concurrency" copies of a function at once. The account has a regional pool (1,000
by default, far less on new accounts); reserving concurrency for a function carves a slice out of the
pool for it, and also caps the function at that slice. An invocation beyond the cap is throttled
(HTTP 429 for synchronous calls; queued and retried for asynchronous ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagnostics.findings import Finding

LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"
DEFAULT_ACCOUNT_CONCURRENCY = 1000
# A peak this close to a limit counts as reaching it (metrics are per-minute maxima).
NEAR = 0.9


@dataclass(frozen=True)
class AccountConcurrency:
    limit: int
    unreserved: int


@dataclass(frozen=True)
class FunctionConcurrency:
    name: str
    arn: str
    reserved: int | None
    throttles: float
    invocations: float
    peak_concurrency: float | None


@dataclass(frozen=True)
class TableThrottles:
    name: str
    arn: str
    billing_mode: str
    throttled_requests: float
    read_throttles: float
    write_throttles: float
    read_capacity: int | None = None
    write_capacity: int | None = None


def quota_arn(region: str, account: str) -> str:
    return f"arn:aws:servicequotas:{region}:{account}:lambda/{LAMBDA_CONCURRENCY_QUOTA}"


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:g}"


def lambda_concurrency_findings(account: AccountConcurrency | None, functions: Iterable[FunctionConcurrency],
                                region: str, account_id: str) -> list[Finding]:
    findings: list[Finding] = []
    account_hit = False
    any_throttled = False
    for fn in functions:
        if fn.throttles <= 0 and fn.reserved != 0:
            continue
        any_throttled = True
        evidence = {"function": fn.name, "throttles": fn.throttles, "invocations": fn.invocations,
                    "reserved_concurrency": fn.reserved, "peak_concurrent_executions": fn.peak_concurrency}
        if account is not None:
            evidence.update(account_concurrency_limit=account.limit,
                            unreserved_concurrency=account.unreserved)
        if fn.reserved == 0:
            findings.append(Finding(
                "LAMBDA_CONCURRENCY_LIMIT", "error", fn.arn,
                f"{fn.name} has a reserved concurrency of 0, so Lambda throttles every invocation "
                f"({_fmt(fn.throttles)} throttles in the window). Someone switched the function off this "
                "way.",
                evidence,
                [f"aws lambda delete-function-concurrency --function-name {fn.name} --region {region}",
                 "# or give it a real reservation:",
                 f"aws lambda put-function-concurrency --function-name {fn.name} "
                 f"--reserved-concurrent-executions 10 --region {region}"]))
            continue
        at_reservation = fn.peak_concurrency is None or fn.peak_concurrency >= NEAR * (fn.reserved or 0)
        if fn.reserved is not None and at_reservation:
            wanted = max(fn.reserved * 2, int((fn.peak_concurrency or fn.reserved) * 1.5) + 1)
            findings.append(Finding(
                "LAMBDA_CONCURRENCY_LIMIT", "error", fn.arn,
                f"{fn.name} was throttled {_fmt(fn.throttles)} times: it reached its reserved concurrency of "
                f"{fn.reserved} (peak {_fmt(fn.peak_concurrency)} concurrent executions). Reserved "
                "concurrency is also a cap.",
                evidence,
                [f"aws lambda put-function-concurrency --function-name {fn.name} "
                 f"--reserved-concurrent-executions {wanted} --region {region}",
                 "# or remove the cap and let it share the account's pool:",
                 f"aws lambda delete-function-concurrency --function-name {fn.name} --region {region}"]))
            continue
        if account is not None and fn.reserved is None and (
                fn.peak_concurrency is None or fn.peak_concurrency >= NEAR * account.unreserved):
            account_hit = True
            findings.append(Finding(
                "LAMBDA_THROTTLED", "error", fn.arn,
                f"{fn.name} was throttled {_fmt(fn.throttles)} times while the account's unreserved "
                f"concurrency ({account.unreserved} of {account.limit}) was used up (peak "
                f"{_fmt(fn.peak_concurrency)}).",
                evidence,
                ["# Reserve concurrency for this function so other functions cannot starve it:",
                 f"aws lambda put-function-concurrency --function-name {fn.name} "
                 f"--reserved-concurrent-executions <N> --region {region}"]))
            continue
        findings.append(Finding(
            "LAMBDA_THROTTLED", "warning", fn.arn,
            f"{fn.name} was throttled {_fmt(fn.throttles)} times although its peak concurrency "
            f"({_fmt(fn.peak_concurrency)}) stayed below its limits: a sudden burst outran Lambda's scaling "
            "rate (each function adds 1,000 executions every 10 seconds).",
            evidence,
            ["# Keep warm capacity for the bursts:",
             f"aws lambda put-provisioned-concurrency-config --function-name {fn.name} --qualifier <ALIAS> "
             f"--provisioned-concurrent-executions <N> --region {region}"]))
    small_pool = account is not None and account.limit < DEFAULT_ACCOUNT_CONCURRENCY
    if account is not None and (account_hit or (any_throttled and small_pool)):
        desired = max(DEFAULT_ACCOUNT_CONCURRENCY, account.limit * 2)
        findings.append(Finding(
            "ACCOUNT_CONCURRENCY_LIMIT", "error" if account_hit else "warning", quota_arn(region, account_id),
            f"The account's Lambda concurrency limit in {region} is {account.limit} "
            f"({account.unreserved} unreserved); "
            + ("the throttled functions ran out of it." if account_hit else
               f"that is below the usual {DEFAULT_ACCOUNT_CONCURRENCY}, as on new accounts."),
            {"concurrent_executions_limit": account.limit,
             "unreserved_concurrent_executions": account.unreserved, "quota_code": LAMBDA_CONCURRENCY_QUOTA},
            [f"aws service-quotas request-service-quota-increase --service-code lambda "
             f"--quota-code {LAMBDA_CONCURRENCY_QUOTA} --desired-value {desired} --region {region}"]))
    return findings


def dynamodb_findings(tables: Iterable[TableThrottles], region: str) -> list[Finding]:
    findings: list[Finding] = []
    for table in tables:
        total = max(table.throttled_requests, table.read_throttles + table.write_throttles)
        if total <= 0:
            continue
        evidence = {"table": table.name, "billing_mode": table.billing_mode,
                    "throttled_requests": table.throttled_requests,
                    "read_throttle_events": table.read_throttles,
                    "write_throttle_events": table.write_throttles,
                    "provisioned_read_capacity": table.read_capacity,
                    "provisioned_write_capacity": table.write_capacity}
        if table.billing_mode == "PAY_PER_REQUEST":
            summary = (f"DynamoDB throttled {total:g} requests on {table.name} although it is on-demand: one "
                       "partition key is hot (each partition serves 3,000 reads and 1,000 writes a second), "
                       "or traffic more than doubled its previous peak at once.")
            fix = ["# Spread the traffic over more partition keys (add a suffix to hot keys), and retry with "
                   "backoff: export AWS_RETRY_MODE=adaptive",
                   f"aws dynamodb describe-contributor-insights --table-name {table.name} --region {region}"]
        else:
            summary = (f"DynamoDB throttled {total:g} requests on {table.name}: the traffic exceeded its "
                       f"provisioned capacity ({table.read_capacity} RCU, {table.write_capacity} WCU).")
            fix = [f"aws dynamodb update-table --table-name {table.name} --billing-mode PAY_PER_REQUEST "
                   f"--region {region}",
                   "# or raise the provisioned capacity (and let auto scaling manage it):",
                   f"aws dynamodb update-table --table-name {table.name} --provisioned-throughput "
                   f"ReadCapacityUnits=<RCU>,WriteCapacityUnits=<WCU> --region {region}"]
        findings.append(Finding("DYNAMODB_THROTTLED", "error", table.arn, summary, evidence, fix))
    return findings
