"""How long redaction takes on a typical call's parameters (it runs on every call logged and shown).

Run: .venv/bin/python benchmarks/redact.py [--repeat N]

The workload is fixed: 5,000 redactions of a DescribeSecurityGroups-like parameter dict (filters, 20
group IDs) and of an AWS error message with an access key and a session token in it. It prints the
median milliseconds per 5,000 over the repeats and, as a baseline in the same run, a plain
``json.dumps`` of the same values (what merely walking them costs), with the ratio. Exit status 1 if
the median is over 2,000 ms (an accidental slow path: a backtracking pattern, a cache miss per key).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.redact import redact

LIMIT_MS = 2000.0
PARAMS = {
    "Filters": [{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}],
    "MaxResults": 100,
    "GroupIds": [f"sg-{i:017x}" for i in range(20)],
}
MESSAGE = ("An error occurred (AccessDenied) when calling the GetObject operation: User: "
           "arn:aws:sts::123456789012:assumed-role/app/1700000000 with key AKIAIOSFODNN7EXAMPLE and token "
           "IQoJb3JpZ2luX2VjEXAMPLETOKEN" + "x" * 200 + " is not authorized")


def _time(work) -> float:
    started = time.perf_counter()
    for _ in range(5000):
        work(PARAMS)
        work(MESSAGE)
    return (time.perf_counter() - started) * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    redacting = statistics.median(_time(redact) for _ in range(args.repeat))
    walking = statistics.median(_time(json.dumps) for _ in range(args.repeat))
    print(f"redact    median {redacting:8.1f} ms per 5,000 (limit {LIMIT_MS:.0f} ms)")
    print(f"json.dumps median {walking:8.1f} ms per 5,000 (baseline)")
    print(f"ratio {redacting / walking:.1f}x the baseline")
    return 0 if redacting <= LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
