"""DynamoDB capacity: the throttling a table does to protect its provisioned or on-demand throughput.

These throttles never reach CloudTrail's event history (item calls are data events), so they are judged
from the table's own metrics and configuration. Lambda's limits are in :mod:`lambda_limits`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagnostics.findings import Finding


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
