"""CloudWatch Logs Insights as awstriage queries it, where moto's falls short.

moto runs ``StartQuery``/``GetQueryResults`` but ignores ``filter`` clauses (every line in the window
comes back), answers ``@timestamp`` in epoch milliseconds and gives no ``statistics``. Real Insights
filters, answers ``2026-11-29 21:00:00.000`` (UTC) and counts what it scanned. This filler makes
the sandbox answer like Insights for the queries awstriage sends: ``filter @message like /regex/``
(several filters all apply), the time format, and ``statistics`` (records matched, and the bytes
of those). It needs no scenario data: the lines are those the scenario's log seeders wrote.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from diagnostics.sandbox import gaps

LIKE = re.compile(r"\|\s*filter\s+@message\s+like\s+/((?:[^/\\]|\\.)*)/")


def filters_of(query: str) -> list[re.Pattern[str]]:
    """The ``filter @message like /.../`` clauses of a query, as Python patterns."""
    return [re.compile(body) for body in LIKE.findall(query)]


def insights_time(millis: int) -> str:
    at = datetime.fromtimestamp(millis / 1000.0, UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"


def apply(rows: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """moto's rows filtered as Insights would, in its time format."""
    patterns = filters_of(query)
    kept = []
    for row in rows:
        if all(p.search(str(row.get("@message", ""))) for p in patterns):
            out = dict(row)
            if isinstance(out.get("@timestamp"), int):
                out["@timestamp"] = insights_time(out["@timestamp"])
            kept.append(out)
    return kept


@gaps.filler
def install() -> None:
    from moto.logs import models

    original_execute = models.execute_query
    original_result = models.LogQuery.to_result_json

    def execute_query(log_groups: list[Any], query: str, start_time: int, end_time: int) -> list[dict[str, Any]]:
        # moto applies `limit` before anything filters; filter first, then limit, as Insights does.
        unlimited = re.sub(r"\|\s*limit\s+\d+", "", query)
        rows = original_execute(log_groups=log_groups, query=unlimited, start_time=start_time, end_time=end_time)
        kept = apply(rows, query)
        limit = re.search(r"\|\s*limit\s+(\d+)", query)
        return kept[: int(limit.group(1))] if limit else kept

    def to_result_json(self: Any) -> dict[str, Any]:
        # Only the matched rows are kept, so what was scanned is counted as what matched: a floor.
        answer = original_result(self)
        matched = float(len(self.results))
        answer["statistics"] = {"recordsMatched": matched, "recordsScanned": matched,
                                "bytesScanned": float(sum(len(str(r.get("@message", ""))) for r in self.results))}
        return answer

    models.execute_query = execute_query
    models.LogQuery.to_result_json = to_result_json
