"""RDS Performance Insights: database load against vCPUs, and the SQL and waits behind it (pure).

DB load (``db.load.avg``) is the average number of active sessions: sessions running on a CPU or
waiting for something. Above the number of vCPUs, sessions queue. Grouped by ``db.sql_tokenized``
it says which statements make the load, grouped by ``db.wait_event`` what they wait for.
See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Overview.ActiveSessions.html
and https://docs.aws.amazon.com/performance-insights/latest/APIReference/API_DescribeDimensionKeys.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.findings import Finding, Fix
from diagnostics.performance.saturation import RdsProfile, next_size, size_of

DOMINANT_SHARE = 0.5
VCPUS = {"micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16,
         "8xlarge": 32, "12xlarge": 48, "16xlarge": 64, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192}


def vcpus(instance_class: str) -> int | None:
    """vCPUs of a DB instance class, by its size (db.t3.micro and db.m5.large have 2)."""
    return VCPUS.get(size_of(instance_class))


@dataclass(frozen=True)
class Share:
    name: str
    load: float  # average active sessions
    share: float  # of the total load
    detail: str = ""  # the statement's ID, the wait event's type


@dataclass(frozen=True)
class InsightsReading:
    load_avg: float | None
    load_max: float | None
    vcpus: int | None
    sql: tuple[Share, ...]
    waits: tuple[Share, ...]

    @property
    def empty(self) -> bool:
        return self.load_avg is None and not self.sql


def _shares(answer: Mapping[str, Any], name_key: str, detail_key: str) -> tuple[Share, ...]:
    keys = answer.get("Keys") or []
    total = sum(float(k.get("Total") or 0) for k in keys) or 0.0
    out = []
    for key in keys:
        dims = key.get("Dimensions") or {}
        load = float(key.get("Total") or 0)
        out.append(Share(str(dims.get(name_key, "?")), load, load / total if total else 0.0,
                         str(dims.get(detail_key, ""))))
    return tuple(sorted(out, key=lambda s: -s.load))


def read_insights(metrics: Mapping[str, Any] | None, sql: Mapping[str, Any] | None,
                  waits: Mapping[str, Any] | None, instance_class: str) -> InsightsReading:
    """From GetResourceMetrics (db.load.avg) and two DescribeDimensionKeys answers."""
    points: list[float] = []
    for item in (metrics or {}).get("MetricList") or []:
        points += [float(p["Value"]) for p in item.get("DataPoints") or [] if p.get("Value") is not None]
    return InsightsReading(sum(points) / len(points) if points else None, max(points) if points else None,
                           vcpus(instance_class),
                           _shares(sql or {}, "db.sql_tokenized.statement", "db.sql_tokenized.id"),
                           _shares(waits or {}, "db.wait_event.name", "db.wait_event.type"))


def describe_insights(reading: InsightsReading) -> str:
    if reading.empty:
        return "Performance Insights had no load for the window"
    parts = []
    if reading.load_avg is not None:
        cpus = f" against {reading.vcpus} vCPUs" if reading.vcpus else ""
        parts.append(f"DB load averaged {reading.load_avg:.1f} active sessions (peak {reading.load_max:.1f}){cpus}")
    if reading.sql:
        top = reading.sql[0]
        parts.append(f"the top statement makes {top.share:.0%} of it: {_short(top.name)}")
    if reading.waits:
        parts.append("waiting mostly on " + ", ".join(f"{w.name} ({w.share:.0%})" for w in reading.waits[:2]))
    return "; ".join(parts)


def _short(statement: str, limit: int = 160) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def insights_findings(reading: InsightsReading, profile: RdsProfile, resource_id: str, region: str,
                      hours: int = 1) -> list[Finding]:
    """One statement dominating a load the vCPUs cannot carry."""
    if not reading.sql or reading.load_avg is None or not reading.vcpus:
        return []
    top = reading.sql[0]
    if reading.load_avg <= reading.vcpus or top.share < DOMINANT_SHARE:
        return []
    db = profile.identifier
    query = (f"aws pi describe-dimension-keys --service-type RDS --identifier {resource_id} --metric db.load.avg "
             f"--group-by '{{\"Group\": \"db.sql_tokenized\", \"Limit\": 10}}' --start-time $(date -u -d "
             f"'-{hours} hours' +%Y-%m-%dT%H:%M:%SZ) --end-time $(date -u +%Y-%m-%dT%H:%M:%SZ) --region {region}")
    return [Finding(
        "RDS_TOP_SQL", "error", profile.arn,
        f"{db}: one statement makes {top.share:.0%} of a DB load of {reading.load_avg:.1f} active sessions, on "
        f"{reading.vcpus} vCPUs: sessions queue for the CPU. The statement: {_short(top.name, 300)}",
        {"db_load_avg": round(reading.load_avg, 2), "db_load_max": reading.load_max, "vcpus": reading.vcpus,
         "top_sql": top.name, "top_sql_id": top.detail, "top_sql_share": round(top.share, 3),
         "waits": {w.name: round(w.share, 3) for w in reading.waits[:5]}},
        ["# Look at its plan first (EXPLAIN in the database); a missing index is the usual cause. The load by "
         "statement, as Performance Insights' top SQL view shows it:", query],
        alternatives=[Fix((f"aws rds modify-db-instance --db-instance-identifier {db} --db-instance-class "
                           f"{next_size(profile.instance_class) or '<a larger class>'} --apply-immediately "
                           f"--region {region}",),
                          "give the database more vCPUs", "a reboot (a failover on Multi-AZ), and a bigger bill")])]
