"""Seeders for Lambda: a function with its execution role, memory, timeout and reserved concurrency.

::

    [[resources]]
    type = "lambda.function"
    ref = "worker"
    name = "orders-worker"
    runtime = "python3.12"        # default
    memory = 512                  # MB, default 128
    timeout = 30                  # seconds, default 3
    architecture = "arm64"        # default x86_64
    reserved_concurrency = 5      # optional
    environment = { DB_PASSWORD = "..." }   # optional; awstriage must never show the values

``${function.worker}`` is the function's name, ``${function.worker.arn}`` its ARN. The execution
role is created with the function (``<name>-role``) unless ``role`` gives an ARN.

A function's runs as its log group shows them in the text log format, healthy ones and failed ones
of every kind (the lines Lambda and the Python runtime write; see diagnostics/awslambda/failures.py)::

    [[resources]]
    type = "lambda.runs"
    function = "${function.worker}"
    memory = 512               # "Memory Size" of the REPORT lines
    timeout = 3                # seconds: a timed-out run lasts this long
    invocations = 40           # healthy runs, spread evenly over `minutes`
    minutes = 600
    used = [120, 180]          # "Max Memory Used", MB
    duration = [300, 900]      # ms
    [[resources.failures]]
    kind = "timeout"           # timeout | import | exception | killed
    minutes_ago = [5, 20, 35]  # one failed request each
    attempts = 1               # > 1: an asynchronous retry logs the same request ID again
    recovers = false           # with attempts > 1: the last attempt succeeds
    before = ["calling https://api.partner.example.com/v2/sync"]   # the lines logged before it fails
    error = "KeyError: 'order_id'"    # exception: the unhandled error; import: the missing module
"""

from __future__ import annotations

import io
import json
import random
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox.seed_observability import _put as put_lines
from diagnostics.sandbox.seeders import ClientFactory, seeder

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LOGS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": "*"}]}
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("handler.py", HANDLER)
    return buffer.getvalue()


def _role(clients: ClientFactory, name: str) -> str:
    iam = clients("iam")
    role = iam.create_role(RoleName=f"{name}-role"[:64], AssumeRolePolicyDocument=json.dumps(TRUST),
                           Description=f"execution role of {name} (awstriage sandbox)")["Role"]
    # What AWSLambdaBasicExecutionRole grants, inline: moto does not load AWS managed policies.
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="write-logs", PolicyDocument=json.dumps(LOGS))
    return role["Arn"]


@seeder("lambda.function")
def seed_function(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    name = str(spec["name"])
    role = str(spec.get("role") or _role(clients, name))
    kwargs: dict[str, Any] = {
        "FunctionName": name, "Runtime": spec.get("runtime", "python3.12"), "Role": role,
        "Handler": spec.get("handler", "handler.handler"), "Code": {"ZipFile": _code()},
        "MemorySize": int(spec.get("memory", 128)), "Timeout": int(spec.get("timeout", 3)),
        "Architectures": [spec.get("architecture", "x86_64")],
        "Description": spec.get("description", ""),
    }
    if spec.get("environment"):
        kwargs["Environment"] = {"Variables": {k: str(v) for k, v in spec["environment"].items()}}
    lam = clients("lambda")
    function = lam.create_function(**kwargs)
    if "reserved_concurrency" in spec:
        lam.put_function_concurrency(FunctionName=name,
                                     ReservedConcurrentExecutions=int(spec["reserved_concurrency"]))
    return {"id": name, "name": name, "arn": function["FunctionArn"], "role": role}


# --- runs in the function's log group ---------------------------------------------------------

RUNS_NAMESPACE = uuid.UUID("3d0f6a52-8e1b-4c7a-9b2d-5f4e3c2b1a09")
INIT_START = ("INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: "
              "arn:aws:lambda:us-east-1::runtime:7b620fc2e66107a1046b140b9d320295811af3ad5d4c6a011fad1fa65127e9e6")
UNHANDLED = ("LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, "
             "in rare cases, a Lambda runtime update can cause unexpected function behavior.")


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _report_line(request: str, duration: float, memory: int, used: int, tail: str = "") -> str:
    return (f"REPORT RequestId: {request}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: {used} MB\t{tail}")


def _attempt(kind: str, request: str, at: datetime, spec: dict[str, Any], failure: dict[str, Any],
             rng: random.Random, fails: bool) -> list[tuple[datetime, str]]:
    """The lines of one attempt of one request, oldest first."""
    memory = int(spec.get("memory", 128))
    used_lo, used_hi = (int(x) for x in spec.get("used", [memory // 4, memory // 2]))
    dur_lo, dur_hi = (float(x) for x in spec.get("duration", [100, 400]))
    timeout = float(spec.get("timeout", 3))
    used = rng.randint(used_lo, used_hi)
    lines: list[tuple[datetime, str]] = []
    step = timedelta(milliseconds=1)
    if fails and kind == "import":
        module = failure.get("error", "requests")
        error = (f"[ERROR] Runtime.ImportModuleError: Unable to import module 'handler': No module named '{module}'\n"
                 "Traceback (most recent call last):")
        lines += [(at, INIT_START), (at + step, error),
                  (at + 2 * step, "INIT_REPORT Init Duration: 251.52 ms\tPhase: init\tStatus: error\t"
                                  "Error Type: Runtime.ImportModuleError"),
                  (at + 3 * step, f"START RequestId: {request} Version: $LATEST"),
                  (at + 4 * step, error),
                  (at + 5 * step, "INIT_REPORT Init Duration: 1187.04 ms\tPhase: invoke\tStatus: error\t"
                                  "Error Type: Runtime.ImportModuleError"),
                  (at + 6 * step, f"END RequestId: {request}"),
                  (at + 6 * step, _report_line(request, 1190.0, memory, 38,
                                               "Status: error\tError Type: Runtime.ImportModuleError"))]
        return lines
    lines.append((at, f"START RequestId: {request} Version: $LATEST"))
    clock = at
    for text in failure.get("before", []) if fails else ():
        clock += timedelta(milliseconds=rng.uniform(5, 50))
        lines.append((clock, f"[INFO]\t{_stamp(clock)}\t{request}\t{text}"))
    if not fails:
        duration = rng.uniform(dur_lo, dur_hi)
        end = at + timedelta(milliseconds=duration)
        return [*lines, (end, f"END RequestId: {request}"), (end, _report_line(request, duration, memory, used))]
    if kind == "timeout":
        duration = timeout * 1000
        end = at + timedelta(milliseconds=duration)
        return [*lines, (end, f"{_stamp(end)} {request} Task timed out after {timeout:.2f} seconds"),
                (end, f"END RequestId: {request}"),
                (end, _report_line(request, duration, memory, used, "Status: timeout"))]
    duration = rng.uniform(dur_lo, dur_hi)
    end = max(clock, at + timedelta(milliseconds=duration))
    if kind == "killed":
        return [*lines, (end, f"RequestId: {request} Error: Runtime exited with error: signal: killed\n"
                              "Runtime.ExitError"),
                (end, f"END RequestId: {request}"),
                (end, _report_line(request, duration, memory, memory,
                                   "Status: error\tError Type: Runtime.OutOfMemory"))]
    error = str(failure.get("error", "Exception: boom"))
    traceback = (f"[ERROR] {error}\nTraceback (most recent call last):\n  File \"/var/task/handler.py\", line 12, "
                 "in handler")
    return [*lines, (end, UNHANDLED), (end, traceback), (end, f"END RequestId: {request}"),
            (end, _report_line(request, duration, memory, used))]


@seeder("lambda.runs")
def seed_runs(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    function = str(spec["function"])
    count = int(spec.get("invocations", 0))
    minutes = float(spec.get("minutes", 60))
    rng = random.Random(f"{function}/{count}")
    now = datetime.now(UTC)
    events: list[tuple[datetime, str]] = []
    for n in range(count):
        request = str(uuid.uuid5(RUNS_NAMESPACE, f"{function}/ok/{n}"))
        at = now - timedelta(minutes=minutes * (count - n) / max(count, 1))
        events += _attempt("ok", request, at, spec, {}, rng, fails=False)
    for f, failure in enumerate(spec.get("failures", [])):
        kind = str(failure.get("kind", "exception"))
        attempts = max(1, int(failure.get("attempts", 1)))
        for n, minutes_ago in enumerate(failure.get("minutes_ago", [])):
            request = str(uuid.uuid5(RUNS_NAMESPACE, f"{function}/{f}/{n}"))
            for attempt in range(attempts):
                # Lambda retries an asynchronous invocation after about one minute, then two more.
                at = now - timedelta(minutes=float(minutes_ago)) + timedelta(minutes=(1, 3, 6)[min(attempt, 2)] - 1)
                fails = not (failure.get("recovers") and attempt == attempts - 1)
                events += _attempt(kind, request, min(at, now), spec, failure, rng, fails)
    group = str(spec.get("group", f"/aws/lambda/{function}"))
    stream = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid5(RUNS_NAMESPACE, function).hex}"
    # The same writer as every other log seeder (it sorts stably: lines of one millisecond keep their order).
    put_lines(clients("logs"), group, stream, events)
    return {"id": group, "stream": stream}
