"""How fast the Lambda failure classifier reads log lines: one million mixed-format lines.

Run: .venv/bin/python benchmarks/lambda_logs.py [--lines N] [--repeat N]

The workload is fixed (seeded): invocations of Python, Node.js, Java, .NET and Go functions over 64
log streams, 60% in the text log format and 40% in JSON (platform records and structured
application lines), each with START/END/REPORT (or their JSON records) and a few application lines;
about 5% fail (timeouts, out-of-memory kills, heap errors, unhandled exceptions, init failures) and
some failed requests are retried. It prints the median lines per second (CPU time of the process, and wall-clock) of
``classify_invocations`` (classification of every line, tying it to its request, REPORT parsing, the
per-request verdicts) over the repeats (target: at least 200,000), and, as a baseline from the same
run, a naive pass that runs every failure regex on every line and parses every JSON line. Exit status
1 if the target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.awslambda.failures import classify_invocations
from diagnostics.awslambda.memory import LogLine

TARGET = 200_000
STREAMS = 64
T0 = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)

APP_TEXT = [
    "[INFO]\t{ts}\t{rid}\tprocessing order {n}",
    "{ts}\t{rid}\tINFO\tfetched {n} rows from orders table",
    "[DEBUG]\t{ts}\t{rid}\tcache hit for customer {n}",
    "{ts}\t{rid}\tWARN\tslow response from https://api.partner.example.com ({n} ms)",
    "[ERROR]\t{ts}\t{rid}\tpayment declined for order {n}, will retry",
]
APP_JSON = [
    {"level": "INFO", "message": "processing order"},
    {"level": "DEBUG", "message": "cache hit"},
    {"level": "WARN", "message": "slow response from partner"},
]
FAILURES = [  # (text lines, REPORT tail, JSON errorType or status)
    (["{ts} {rid} Task timed out after 3.00 seconds"], "Status: timeout", "timeout"),
    (["RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError"],
     "Status: error\tError Type: Runtime.OutOfMemory", "Runtime.OutOfMemory"),
    (["FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"], "", "Runtime.ExitError"),
    (["[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 12"], "",
     "KeyError"),
    (['{ts}\t{rid}\tERROR\tInvoke Error \t{{"errorType":"TypeError","errorMessage":"x is undefined","stack":[]}}'],
     "", "TypeError"),
    (["[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'"],
     "Status: error\tError Type: Runtime.ImportModuleError", "Runtime.ImportModuleError"),
]


def workload(total: int, seed: int = 7) -> list[LogLine]:
    rng = random.Random(seed)
    lines: list[LogLine] = []
    clock = [T0 + timedelta(seconds=i) for i in range(STREAMS)]
    streams = [f"2026/11/29/[$LATEST]{uuid.UUID(int=rng.getrandbits(128)).hex}" for _ in range(STREAMS)]
    formats = ["json" if rng.random() < 0.4 else "text" for _ in range(STREAMS)]
    n = 0
    while len(lines) < total:
        s = n % STREAMS
        n += 1
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        stream, fmt = streams[s], formats[s]
        at = clock[s]
        failure = FAILURES[rng.randrange(len(FAILURES))] if rng.random() < 0.05 else None
        attempts = 2 if failure and rng.random() < 0.3 else 1
        for _ in range(attempts):
            out: list[str] = []
            used = rng.randrange(60, 400)
            duration = rng.uniform(20, 2500)
            ts = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if fmt == "text":
                out.append(f"START RequestId: {rid} Version: $LATEST")
                for _ in range(rng.randrange(1, 5)):
                    out.append(rng.choice(APP_TEXT).format(ts=ts, rid=rid, n=rng.randrange(10000)))
                tail = ""
                if failure:
                    out.extend(x.format(ts=ts, rid=rid) for x in failure[0])
                    tail = failure[1]
                out.append(f"END RequestId: {rid}")
                out.append(f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
                           f"{int(duration) + 1} ms\tMemory Size: 512 MB\tMax Memory Used: {used} MB\t{tail}")
            else:
                out.append(json.dumps({"time": ts, "type": "platform.start",
                                       "record": {"requestId": rid, "version": "$LATEST"}}))
                for _ in range(rng.randrange(1, 4)):
                    out.append(json.dumps({"timestamp": ts, **rng.choice(APP_JSON), "requestId": rid}))
                status, error = "success", ""
                if failure:
                    status = "timeout" if failure[2] == "timeout" else "error"
                    error = "" if failure[2] == "timeout" else failure[2]
                    if error and not error.startswith("Runtime."):
                        out.append(json.dumps({"timestamp": ts, "level": "ERROR", "errorMessage": "boom",
                                               "errorType": error, "requestId": rid, "stackTrace": []}))
                record = {"requestId": rid, "status": status,
                          "metrics": {"durationMs": round(duration, 2), "billedDurationMs": int(duration) + 1,
                                      "memorySizeMB": 512, "maxMemoryUsedMB": used}}
                if error:
                    record["errorType"] = error
                out.append(json.dumps({"time": ts, "type": "platform.runtimeDone",
                                       "record": {"requestId": rid, "status": status}}))
                out.append(json.dumps({"time": ts, "type": "platform.report", "record": record}))
            for i, message in enumerate(out):
                lines.append(LogLine(at + timedelta(milliseconds=i), message, stream))
            at += timedelta(seconds=rng.uniform(1, 30))
        clock[s] = at
    del lines[total:]
    lines.sort(key=lambda line: line.at)
    return lines


# The baseline: what one writes first. Every marker is its own regex, run on every line, and every
# JSON line is parsed, whatever it holds.
NAIVE = [re.compile(p) for p in (
    r"Runtime\.OutOfMemory", r"signal: killed", r"JavaScript heap out of memory", r"java\.lang\.OutOfMemoryError",
    r"OutOfMemoryException", r"runtime: out of memory", r"\bMemoryError\b", r"Task timed out after ([\d.]+) seconds",
    r"Runtime exited with error: ([^\n]+)", r'"errorType"\s*:\s*"([^"]+)"', r"^\[ERROR\] ([\w.]+): ",
    r"Runtime\.ImportModuleError", r"Runtime\.HandlerNotFound", r"INIT_REPORT.*Status: (\w+)", r"^panic: ",
    r"REPORT RequestId: (\S+)", r"Duration: ([\d.]+) ms", r"Max Memory Used: (\d+) MB", r"Status: (\w+)",
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
)]


def naive(lines: list[LogLine]) -> int:
    hits = 0
    for line in lines:
        text = line.message
        if text.startswith("{"):
            with contextlib.suppress(ValueError):
                json.loads(text)
        for rx in NAIVE:
            if rx.search(text):
                hits += 1
    return hits


def rate(fn: Callable[[list[LogLine]], Any], lines: list[LogLine], repeat: int) -> tuple[float, float, Any]:
    """Lines per second of CPU time (the process's own, so other work on a shared machine does not
    count against it) and of wall-clock time, medians over the repeats."""
    cpu, wall = [], []
    result = None
    for _ in range(repeat):
        started_cpu, started = time.process_time(), time.perf_counter()
        result = fn(lines)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return len(lines) / statistics.median(cpu), len(lines) / statistics.median(wall), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = workload(args.lines)
    fast, fast_wall, report = rate(classify_invocations, lines, args.repeat)
    slow, slow_wall, _ = rate(naive, lines, args.repeat)
    print(f"workload: {len(lines):,} lines, {report.requests:,} requests, {report.attempts:,} attempts, "
          f"failures {report.counts()}")
    print(f"classify_invocations: {fast:,.0f} lines/s of CPU time, {fast_wall:,.0f} wall-clock "
          f"(median of {args.repeat}; target {TARGET:,})")
    print(f"baseline, every regex on every line: {slow:,.0f} lines/s of CPU time, {slow_wall:,.0f} wall-clock")
    print(f"ratio: {fast / slow:.1f}x the baseline")
    return 0 if fast >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
