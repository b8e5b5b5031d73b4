"""lambda-oom end to end against a plain moto server no sandbox code touched: a function created with
plain boto3, its log group ``/aws/lambda/NAME`` and lines put with put_log_events, and (as on an
endpoint that publishes none) no AWS/Lambda metrics unless a test puts them.

What a verdict may claim: REPORT lines without metrics are never "not invoked"; no logs and no
metrics end ``incomplete`` naming the empty sources; one refused call keeps the rest.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from playbooks.lambda_oom import PLAYBOOK
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook

pytestmark = pytest.mark.sandbox

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def make_function(moto, name: str, memory: int = 512, timeout: int = 3, runtime: str = "python3.12") -> str:
    role = moto.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return moto.client("lambda").create_function(
        FunctionName=name, Runtime=runtime, Role=role["Role"]["Arn"], Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()}, MemorySize=memory, Timeout=timeout)["FunctionArn"]


def put_lines(moto, name: str, lines: list[tuple[float, str]], stream: str = "2026/11/29/[$LATEST]abc") -> None:
    """``lines``: (minutes ago, message), in the order Lambda writes them."""
    logs = moto.client("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = datetime.now(UTC)
    events = [{"timestamp": int((now - timedelta(minutes=ago)).timestamp() * 1000), "message": text}
              for ago, text in lines]
    events.sort(key=lambda e: e["timestamp"])
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def rid(n: int) -> str:
    return str(uuid.UUID(int=n + 0x1F2E3D4C5B6A79880000000000000000))


def invocation(n: int, ago: float, used: int, memory: int = 512, duration: float = 120.5,
               middle: tuple[str, ...] = (), report_tail: str = "") -> list[tuple[float, str]]:
    r = rid(n)
    lines = [(ago, f"START RequestId: {r} Version: $LATEST")]
    lines += [(ago - 0.001 * (i + 1), text.replace("{rid}", r)) for i, text in enumerate(middle)]
    end = ago - 0.001 * (len(middle) + 1)
    lines += [(end, f"END RequestId: {r}"),
              (end, f"REPORT RequestId: {r}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
                    f"Memory Size: {memory} MB\tMax Memory Used: {used} MB\t{report_tail}")]
    return lines


def timeouts(count: int) -> list[tuple[float, str]]:
    """``count`` invocations of a 3 s function that each call a partner API and hit the timeout (140 MB used)."""
    lines = []
    for n in range(count):
        lines += invocation(n, 40 - n * 5, used=140, duration=3000.0, report_tail="Status: timeout",
                            middle=("[INFO]\t2026-11-29T21:00:00.000Z\t{rid}\tcalling https://api.partner.example.com/v2",
                                    "2026-11-29T21:00:03.000Z {rid} Task timed out after 3.00 seconds"))
    return lines


def run(moto, name: str, hours: int = 2):
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"function": name, "hours": str(hours)}), moto.session())


def steps(transcript) -> dict[str, tuple[str, str]]:
    return {s.id: (s.status, s.detail) for s in transcript.steps}


def test_report_lines_without_metrics_are_never_not_invoked(plain_moto) -> None:
    make_function(plain_moto, "quiet")
    put_lines(plain_moto, "quiet", [line for n in range(4) for line in invocation(n, 50 - n * 10, used=90)])
    transcript = run(plain_moto, "quiet")
    by_id = steps(transcript)
    everything = json.dumps([s.detail for s in transcript.steps])
    assert "not invoked" not in everything
    assert by_id["logs"][0] == "ok" and "Read 4 REPORT lines" in by_id["logs"][1]
    status, detail = by_id["metrics"]
    assert status == "no_data" and "disagree" in detail and "4 invocations" in detail
    assert by_id["failures"][0] == "ok"
    assert transcript.verdict == "no_problem_found"  # the metrics only corroborate the logs


def test_no_logs_and_no_metrics_is_incomplete_and_names_the_empty_sources(plain_moto) -> None:
    make_function(plain_moto, "idle")
    transcript = run(plain_moto, "idle")
    by_id = steps(transcript)
    assert transcript.verdict == "incomplete"
    assert by_id["logs"][0] == "no_data" and "/aws/lambda/idle" in by_id["logs"][1]
    assert by_id["verdict"][0] == "no_data"
    status, detail = by_id["metrics"]
    assert status == "no_data" and "AWS/Lambda" in detail
    # Only both sources together may say it: the log group is missing and the metric is empty.
    assert "by both sources" in by_id["logs"][1]


def test_an_empty_log_group_is_no_data_not_health(plain_moto) -> None:
    make_function(plain_moto, "empty")
    put_lines(plain_moto, "empty", [(60 * 30, "START RequestId: x Version: $LATEST")])  # outside the window
    transcript = run(plain_moto, "empty")
    by_id = steps(transcript)
    assert transcript.verdict == "incomplete"
    assert by_id["logs"][0] == "no_data" and "no REPORT line" in by_id["logs"][1]


def test_every_invocation_timing_out_is_a_timeout_finding(plain_moto) -> None:
    arn = make_function(plain_moto, "slow-sync", memory=512, timeout=3)
    put_lines(plain_moto, "slow-sync", timeouts(4))
    result = plain_moto.cli("run", "lambda-oom", "--param", "function=slow-sync", "--param", "hours=2",
                            "--format", "json")
    assert result.returncode == 1, result.stderr
    transcript = json.loads(result.stdout)
    assert transcript["verdict"] == "problem_found"
    [timeout] = [f for f in transcript["findings"] if f["code"] == "LAMBDA_TIMEOUT"]
    assert timeout["resource"] == arn and timeout["severity"] == "error"
    assert "slow-sync" in timeout["summary"] and "timed out" in timeout["summary"]
    assert "api.partner.example.com" in timeout["summary"]
    assert timeout["evidence"]["failed_requests"] == 4
    assert timeout["evidence"]["examples"][-1]["lines_before"]
    assert "--timeout" in timeout["remediation"][0] or timeout["alternatives"]
    assert not [f for f in transcript["findings"] if f["code"] == "LAMBDA_OUT_OF_MEMORY"]


def test_out_of_memory_kills_are_found(plain_moto) -> None:
    arn = make_function(plain_moto, "renderer", memory=256)
    lines = [line for n in range(5) for line in invocation(n, 60 - n, used=120, memory=256)]
    lines += invocation(9, 20, used=256, memory=256, report_tail="Status: error\tError Type: Runtime.OutOfMemory",
                        middle=("RequestId: {rid} Error: Runtime exited with error: signal: killed\n"
                                "Runtime.ExitError",))
    put_lines(plain_moto, "renderer", lines)
    transcript = run(plain_moto, "renderer")
    assert transcript.verdict == "problem_found"
    [oom] = [f for f in transcript.findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    assert oom["resource"] == arn and "--memory-size 384" in oom["remediation"][0]
    assert oom["evidence"]["examples"][0]["request_id"] == rid(9)


def test_a_healthy_function_is_no_problem_found(plain_moto) -> None:
    make_function(plain_moto, "fine", memory=1024)
    put_lines(plain_moto, "fine", [line for n in range(6) for line in invocation(n, 90 - n * 10, used=200,
                                                                                 memory=1024)])
    cloudwatch = plain_moto.client("cloudwatch")
    cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": "fine"}],
         "Timestamp": datetime.now(UTC) - timedelta(minutes=30), "Value": 6, "Unit": "Count"}])
    transcript = run(plain_moto, "fine")
    assert transcript.verdict == "no_problem_found", steps(transcript)
    assert steps(transcript)["metrics"][0] == "ok"


def test_one_refused_metric_keeps_the_others(plain_moto, monkeypatch) -> None:
    make_function(plain_moto, "guarded")
    put_lines(plain_moto, "guarded", invocation(1, 10, used=90))
    session = plain_moto.session()
    cloudwatch = session.client("cloudwatch")

    def refuse_throttles(params, **_):
        if params.get("MetricName") == "Throttles":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "User: arn:aws:iam::123456789012:user/"
                                         "oncall is not authorized to perform: cloudwatch:GetMetricStatistics"}},
                              "GetMetricStatistics")

    cloudwatch.meta.events.register("provide-client-params.cloudwatch.GetMetricStatistics", refuse_throttles)
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"function": "guarded", "hours": "1"}), session)
    metrics = next(s for s in transcript.steps if s.id == "metrics")
    assert metrics.status == "no_data"  # the three metrics it could read were empty, and it says so
    assert [m["fact"] for m in metrics.missing] == ["the AWS/Lambda Throttles metric of guarded"]
    assert "GetMetricStatistics" in metrics.missing[0]["action"]
    failures = next(s for s in transcript.steps if s.id == "failures")
    assert failures.status == "ok" and failures.missing  # judged from the logs, the refusal named
    assert transcript.verdict == "no_problem_found"


def test_an_unreadable_configuration_keeps_the_logs_diagnosis(plain_moto) -> None:
    arn = make_function(plain_moto, "locked", memory=512, timeout=3)
    lines = []
    for n in range(3):
        lines += invocation(n, 30 - n * 5, used=140, duration=3000.0, report_tail="Status: timeout",
                            middle=("2026-11-29T21:00:03.000Z {rid} Task timed out after 3.00 seconds",))
    put_lines(plain_moto, "locked", lines)
    session = plain_moto.session()

    def refuse(params, **_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "User: arn:aws:iam::123456789012:"
                                     "user/oncall is not authorized to perform: lambda:GetFunctionConfiguration"}},
                          "GetFunctionConfiguration")

    session.client("lambda").meta.events.register("provide-client-params.lambda.GetFunctionConfiguration", refuse)
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"function": "locked", "hours": "1"}), session)
    config = next(s for s in transcript.steps if s.id == "configuration")
    assert config.status == "error" and "/aws/lambda/locked" in config.detail
    assert [m["fact"] for m in config.missing] == ["the function's configuration (memory, timeout, log group)"]
    failures = next(s for s in transcript.steps if s.id == "failures")
    # Judged from the logs; the gap is named once, by the step that read it, and the step leaning on the
    # guess says so in a clause (the breaker counted the same "Not read:" line five times).
    assert failures.status == "problem" and "configuration could not be read" in failures.detail
    assert [s.id for s in transcript.steps if s.missing] == ["configuration"]
    [timeout] = [f for f in transcript.findings if f["code"] == "LAMBDA_TIMEOUT"]
    assert timeout["resource"] == arn  # built from the account and region, as the configuration would say
    assert "its 3 s timeout" in timeout["summary"]  # the timeout stated by the log lines
    assert transcript.verdict == "problem_found"


def put_counts(moto, name: str, **per_metric: list[float]) -> None:
    """AWS/Lambda datapoints of ``name`` (Errors=[4, 4, ...]), one every five minutes back from now."""
    now = datetime.now(UTC)
    data = [{"MetricName": metric, "Dimensions": [{"Name": "FunctionName", "Value": name}],
             "Timestamp": now - timedelta(minutes=5 * (i + 1)), "Value": value, "Unit": "Count"}
            for metric, values in per_metric.items() for i, value in enumerate(values)]
    cloudwatch = moto.client("cloudwatch")
    for i in range(0, len(data), 20):
        cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=data[i:i + 20])


def test_throttled_requests_are_a_problem_that_points_at_the_throttling_playbook(plain_moto) -> None:
    make_function(plain_moto, "busy", memory=512)
    plain_moto.client("lambda").put_function_concurrency(FunctionName="busy", ReservedConcurrentExecutions=5)
    put_lines(plain_moto, "busy", [line for n in range(10) for line in invocation(n, 100 - n * 5, used=90)])
    plain_moto.client("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Throttles", "Dimensions": [{"Name": "FunctionName", "Value": "busy"}],
         "Timestamp": datetime.now(UTC) - timedelta(minutes=30), "Value": 50, "Unit": "Count"}])
    transcript = run(plain_moto, "busy")
    status, detail = steps(transcript)["failures"]
    assert status == "problem", detail
    assert detail.startswith("50 requests were throttled")
    throttled = [f for f in transcript.findings if f["code"] == "LAMBDA_THROTTLED"]
    assert len(throttled) == 1 and throttled[0]["severity"] == "error"
    assert "throttled 50 times" in throttled[0]["summary"] and "reserved concurrency is 5" in throttled[0]["summary"]
    assert throttled[0]["remediation"] == ["awstriage run throttling --param function=busy"]
    assert transcript.verdict == "problem_found"


def test_a_mostly_throttled_function_is_a_problem_as_the_throttling_playbook_says(plain_moto) -> None:
    """The breaker's fault 5 (throttled-only): Throttles 440, Invocations 33, three successful REPORT lines.
    "Throttled or never run" is a failure class: lambda-oom and throttling agree that it is a problem."""
    from playbooks.throttling import PLAYBOOK as THROTTLING

    make_function(plain_moto, "throttled-only", memory=256)
    put_lines(plain_moto, "throttled-only", [line for n in range(3) for line in invocation(n, 50 - n * 10, used=60,
                                                                                           memory=256)])
    put_counts(plain_moto, "throttled-only", Invocations=[3.0] * 11, Throttles=[40.0] * 11, Errors=[0.0] * 11)
    transcript = run(plain_moto, "throttled-only")
    assert transcript.verdict == "problem_found", transcript.headline
    [finding] = transcript.findings
    assert finding["code"] == "LAMBDA_THROTTLED" and finding["severity"] == "error"
    assert "440 of 473 requests, 93%" in finding["summary"]
    assert "throttling playbook" in steps(transcript)["failures"][1]
    other = run_playbook(THROTTLING, parse_inputs(THROTTLING, {"function": "throttled-only", "hours": "2"}),
                         plain_moto.session())
    assert other.verdict == transcript.verdict


def test_errors_lambda_counts_that_no_log_line_shows_are_a_problem(plain_moto) -> None:
    """The breaker's fault 1 (errs-metric-only): 5 successful REPORT lines, while AWS/Lambda counts 92 Errors of
    230 Invocations. Lambda's own count proves the failures: never "No problem found"."""
    arn = make_function(plain_moto, "errs-metric-only", memory=256)
    put_lines(plain_moto, "errs-metric-only", [line for n in range(5) for line in invocation(n, 60 - n * 7, used=60,
                                                                                             memory=256)])
    put_counts(plain_moto, "errs-metric-only", Invocations=[10.0] * 23, Errors=[4.0] * 23)
    transcript = run(plain_moto, "errs-metric-only")
    assert transcript.verdict == "problem_found", transcript.headline
    [finding] = transcript.findings
    assert finding["code"] == "LAMBDA_ERRORS_NOT_IN_LOGS" and finding["resource"] == arn
    assert finding["summary"].startswith("92 failures counted by Lambda are not in the log lines read")
    assert "230 invocations" in finding["summary"] and "/aws/lambda/errs-metric-only" in finding["summary"]
    assert "retention" in finding["summary"]
    assert any("describe-log-groups" in c for c in finding["remediation"])
    by_id = steps(transcript)
    assert by_id["metrics"][0] == "problem"
    assert by_id["failures"][0] == "warning" and "92 more failed invocations" in by_id["failures"][1]
    assert arn in transcript.headline


def test_errors_beyond_the_logged_failures_are_a_warning_in_the_headline(plain_moto) -> None:
    make_function(plain_moto, "half-logged", memory=256)
    lines = [line for n in range(3) for line in invocation(n, 60 - n * 7, used=60, memory=256)]
    for n in (7, 8):
        lines += invocation(n, 20 - n, used=60, memory=256, middle=(
            "[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 12",))
    put_lines(plain_moto, "half-logged", lines)
    put_counts(plain_moto, "half-logged", Invocations=[5.0, 5.0], Errors=[5.0, 5.0])
    transcript = run(plain_moto, "half-logged")
    assert transcript.verdict == "problem_found"
    [gap] = [f for f in transcript.findings if f["code"] == "LAMBDA_ERRORS_NOT_IN_LOGS"]
    assert gap["severity"] == "warning" and gap["summary"].startswith("8 failures counted by Lambda")
    assert "1 warning: 8 failures counted by Lambda are not in the log lines read" in transcript.headline


def test_errors_without_a_log_group_say_where_the_lines_went(plain_moto) -> None:
    make_function(plain_moto, "no-logs-errors", memory=256)
    put_counts(plain_moto, "no-logs-errors", Invocations=[20.0] * 3, Errors=[5.0] * 3)
    transcript = run(plain_moto, "no-logs-errors")
    assert transcript.verdict == "problem_found"
    [finding] = transcript.findings
    assert finding["code"] == "LAMBDA_ERRORS_NOT_IN_LOGS"
    assert "There is no log group /aws/lambda/no-logs-errors" in finding["summary"]
    assert steps(transcript)["logs"][0] == "no_data"  # still said: no data is not health
    status, detail = steps(transcript)["failures"]
    assert status == "no_data" and "Errors metric counts 15 failed invocations" in detail


def test_a_healthy_function_quoting_another_systems_oom_has_no_failure(plain_moto) -> None:
    """The breaker's fp-healthy (seed_fp.py): python3.12, 512 MB, every REPORT at 90 MB with no error status,
    and each request logs a handled [WARNING] quoting Java's OutOfMemoryError and an [INFO] quoting a timeout."""
    make_function(plain_moto, "fp-healthy", memory=512, timeout=30, runtime="python3.12")
    lines = []
    for n in range(12):
        lines += invocation(n, 50 - n, used=90, middle=(
            "[WARNING]\t2026-11-30T01:00:00.000Z\t{rid}\tdownstream worker reported java.lang.OutOfMemoryError: "
            "Java heap space; retrying on another node",
            "[INFO]\t2026-11-30T01:00:00.000Z\t{rid}\tpartner said: Task timed out after 3.00 seconds (their side); "
            "we used the cached quote"))
    put_lines(plain_moto, "fp-healthy", lines)
    transcript = run(plain_moto, "fp-healthy")
    by_id = steps(transcript)
    assert by_id["failures"] == ("ok", "None of the 12 requests read failed.")
    assert by_id["verdict"][0] == "ok" and "room to spare" in by_id["verdict"][1]
    assert transcript.findings == [] and transcript.verdict == "no_problem_found"


# --- an alias or a version: the fix that reaches it, and only its own lines ---------------------


def killed(n: int, ago: float, version: str = "$LATEST") -> list[tuple[float, str]]:
    lines = invocation(n, ago, used=128, memory=128, middle=(
        "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",))
    return [(at, text.replace("Version: $LATEST", f"Version: {version}")) for at, text in lines]


def publish_prod(moto, name: str) -> str:
    lam = moto.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion=version)
    return version


def test_an_alias_gets_the_fix_that_reaches_it_from_its_own_versions_lines(plain_moto) -> None:
    """The breaker's fault 5: prod -> version 1, OOM kills in [1] streams and others in [$LATEST]. The
    finding counts version 1's kills only, and the fix publishes a version and moves the alias."""
    make_function(plain_moto, "py-oom", memory=128)
    version = publish_prod(plain_moto, "py-oom")
    put_lines(plain_moto, "py-oom", [line for n in range(3) for line in killed(n, 50 - n)],
              stream="2026/11/30/[$LATEST]0a1b2c3d4e5f")
    logs = plain_moto.client("logs")
    logs.create_log_stream(logGroupName="/aws/lambda/py-oom", logStreamName=f"2026/11/30/[{version}]9f8e7d6c5b4a")
    now = datetime.now(UTC)
    events = [{"timestamp": int((now - timedelta(minutes=ago)).timestamp() * 1000), "message": text}
              for n in (10, 11) for ago, text in killed(n, 30 - n, version)]
    logs.put_log_events(logGroupName="/aws/lambda/py-oom", logStreamName=f"2026/11/30/[{version}]9f8e7d6c5b4a",
                        logEvents=sorted(events, key=lambda e: e["timestamp"]))
    transcript = run(plain_moto, "py-oom:prod")
    by_id = steps(transcript)
    assert "alias prod, version 1" in by_id["configuration"][1]
    assert "Read 2 REPORT lines" in by_id["logs"][1] and "3 REPORT lines of version(s) $LATEST" in by_id["logs"][1]
    [oom] = [f for f in transcript.findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    assert oom["evidence"]["out_of_memory_kills"] == 2 and oom["evidence"]["version"] == version
    assert {e["request_id"] for e in oom["evidence"]["examples"]} == {rid(10), rid(11)}
    commands = [c for c in oom["remediation"] if not c.startswith("#")]
    assert commands[0].startswith("aws lambda update-function-configuration --function-name py-oom --memory-size")
    assert commands[1].startswith("aws lambda wait function-updated --function-name py-oom")
    assert "aws lambda publish-version --function-name py-oom" in commands[2]
    assert commands[3].startswith('aws lambda update-alias --function-name py-oom --name prod --function-version '
                                  '"$VERSION"')
    assert "immutable" in oom["summary"]
    assert any("holds the same code as version 1" in c for c in oom["remediation"])  # CodeSha256 compared


def test_publishing_latest_with_other_code_is_a_caution(plain_moto) -> None:
    make_function(plain_moto, "py-oom", memory=128)
    version = publish_prod(plain_moto, "py-oom")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 2  # not released yet\n")
    plain_moto.client("lambda").update_function_code(FunctionName="py-oom", ZipFile=buffer.getvalue())
    put_lines(plain_moto, "py-oom", [line for n in range(2) for line in killed(n, 40 - n, version)],
              stream=f"2026/11/30/[{version}]abcdef")
    [oom] = [f for f in run(plain_moto, "py-oom:prod").findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    assert "CAUTION" in oom["summary"]
    assert any(c.startswith("# CAUTION: $LATEST's code differs from version 1's") for c in oom["remediation"])


def test_a_bare_version_is_said_immutable_and_its_callers_moved(plain_moto) -> None:
    make_function(plain_moto, "py-oom", memory=128)
    version = publish_prod(plain_moto, "py-oom")
    put_lines(plain_moto, "py-oom", [line for n in range(2) for line in killed(n, 40 - n, version)],
              stream=f"2026/11/30/[{version}]abcdef")
    transcript = run(plain_moto, f"arn:aws:lambda:us-east-1:123456789012:function:py-oom:{version}")
    [oom] = [f for f in transcript.findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    assert f"Version {version} is immutable" in oom["summary"]
    assert not any("update-alias" in c for c in oom["remediation"])
    assert any(c.startswith("aws lambda publish-version") or "publish-version" in c for c in oom["remediation"])
    assert any("list-event-source-mappings --function-name py-oom:1" in c for c in oom["remediation"])


def test_an_alias_whose_version_logged_nothing_is_not_blamed_for_latest(plain_moto) -> None:
    """All the kills are $LATEST's: prod (version 1) ran nothing in the window, and the run says so."""
    make_function(plain_moto, "py-oom", memory=128)
    publish_prod(plain_moto, "py-oom")
    put_lines(plain_moto, "py-oom", [line for n in range(3) for line in killed(n, 50 - n)],
              stream="2026/11/30/[$LATEST]0a1b2c3d4e5f")
    transcript = run(plain_moto, "py-oom:prod")
    by_id = steps(transcript)
    status, detail = by_id["logs"]
    assert status == "no_data" and "none of the report lines" in detail.lower() and "3 from version $LATEST" in detail
    assert transcript.findings == [] and transcript.verdict == "incomplete"


# --- a function, alias or version that does not exist ----------------------------------------


def test_a_missing_alias_stops_at_the_first_step(plain_moto) -> None:
    make_function(plain_moto, "py-oom", memory=128)
    publish_prod(plain_moto, "py-oom")
    put_lines(plain_moto, "py-oom", [line for n in range(3) for line in killed(n, 50 - n)])
    transcript = run(plain_moto, "py-oom:nosuch")
    by_id = steps(transcript)
    status, detail = by_id["configuration"]
    assert status == "error" and detail.startswith("Function py-oom has no alias or version nosuch")
    assert "Its aliases: prod." in detail
    for step in ("logs", "failures", "metrics", "verdict"):
        assert by_id[step][0] == "skipped", by_id[step]
    assert transcript.findings == [] and transcript.verdict == "incomplete"


def test_a_function_missing_in_another_region_is_not_found_not_idle(plain_moto) -> None:
    result = plain_moto.cli("run", "lambda-oom", "--param",
                            "function=arn:aws:lambda:eu-west-1:123456789012:function:nope", "--format", "json")
    assert result.returncode == 3, result.stderr
    transcript = json.loads(result.stdout)
    by_id = {s["id"]: (s["status"], s["detail"]) for s in transcript["steps"]}
    status, detail = by_id["configuration"]
    assert status == "error" and detail.startswith("There is no Lambda function nope in account 123456789012, "
                                                   "region eu-west-1")
    assert "has not run since it was created" not in result.stdout



def billing(moto) -> str:
    """The breaker's fault 4 (alias_seed.py): version 1 has 128 MB and alias prod; $LATEST was raised to 1024 MB
    after. Version 1's [1] stream shows 3 kills at 128 MB, $LATEST's stream 5 healthy runs using 90 MB."""
    arn = make_function(moto, "billing", memory=128)
    version = publish_prod(moto, "billing")
    moto.client("lambda").update_function_configuration(FunctionName="billing", MemorySize=1024)
    put_lines(moto, "billing", [line for n in range(3) for line in killed(n, 50 - n, version)],
              stream=f"2026/11/30/[{version}]bbbbbbbb")
    now = datetime.now(UTC)
    events = [{"timestamp": int((now - timedelta(minutes=ago)).timestamp() * 1000), "message": text}
              for n in range(5) for ago, text in invocation(10 + n, 40 - n, used=90, memory=1024)]
    logs = moto.client("logs")
    logs.create_log_stream(logGroupName="/aws/lambda/billing", logStreamName="2026/11/30/[$LATEST]cccccccc")
    logs.put_log_events(logGroupName="/aws/lambda/billing", logStreamName="2026/11/30/[$LATEST]cccccccc",
                        logEvents=sorted(events, key=lambda e: e["timestamp"]))
    return arn


def test_the_unqualified_function_judges_each_request_against_its_versions_memory(plain_moto) -> None:
    """function=NAME reads every version's lines: version 1's kills are judged at its 128 MB, and fixed by
    publishing and moving prod; $LATEST's 90 MB peak is judged against its 1024 MB."""
    arn = billing(plain_moto)
    transcript = run(plain_moto, "billing")
    by_id = steps(transcript)
    assert "peak was 90 MB of 1024 MB (9%)" in by_id["verdict"][1]
    assert "peak was 128 MB of 128 MB (100%)" in by_id["verdict"][1]
    assert "with 128 MB: 3 of 3 requests failed (3 ran out of memory)" in by_id["failures"][1]
    [oom] = [f for f in transcript.findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    assert oom["resource"] == f"{arn}:1" and oom["evidence"]["memory_size_mb"] == 128
    assert "alias prod, version 1" in oom["summary"]
    assert not any(c.startswith("aws lambda update-function-configuration") for c in oom["remediation"])
    assert any(c.startswith("aws lambda update-alias --function-name billing --name prod") for c in oom["remediation"])
    assert "1344" not in json.dumps(transcript.findings)


def test_an_aliases_fix_never_lowers_latest(plain_moto) -> None:
    billing(plain_moto)
    for name in ("billing:prod", "billing:1"):
        [oom] = [f for f in run(plain_moto, name).findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
        assert not any("--memory-size 192" in c for c in oom["remediation"]), oom["remediation"]
        assert any("$LATEST already has memory size 1024 MB" in c for c in oom["remediation"])
        assert any("publish-version --function-name billing" in c for c in oom["remediation"])


RUBY_ERROR = ["Error raised from handler method", "{",
              '  "errorMessage": "no implicit conversion of String into Integer",',
              '  "errorType": "Function<TypeError>",', '  "stackTrace": [',
              "    \"/var/task/function.rb:3:in `first'\",", "    \"/var/task/function.rb:3:in `handler'\"", "  ]", "}"]


def test_a_ruby_functions_unhandled_exceptions_are_crashes(plain_moto) -> None:
    """The breaker's fault 2 (ruby-crash2): the Ruby runtime's message and error document, one event per line, as
    https://docs.aws.amazon.com/lambda/latest/dg/ruby-exceptions.html shows them, and a REPORT without Status."""
    arn = make_function(plain_moto, "ruby-crash2", memory=128, runtime="ruby3.3")
    put_lines(plain_moto, "ruby-crash2", [line for n in range(3) for line in invocation(
        n, 50 - n * 10, used=18, memory=128, duration=22.74, middle=("Processing event...", *RUBY_ERROR))])
    transcript = run(plain_moto, "ruby-crash2")
    assert transcript.verdict == "problem_found", transcript.headline
    status, detail = steps(transcript)["failures"]
    assert status == "problem" and detail.startswith("3 of 3 requests read failed: 3 crashed.")
    [crash] = transcript.findings
    assert crash["code"] == "LAMBDA_CRASH" and crash["resource"] == arn and "3x TypeError" in crash["summary"]


def test_the_lines_before_a_crash_are_its_own_requests(plain_moto) -> None:
    """The breaker's fault 6 (go-crash): each request's 'Runtime exited' line lands after its REPORT line, so it
    sits before the next request's START. Neither the step, the proof nor lines_before may show it as the next
    request's context."""
    make_function(plain_moto, "go-crash", memory=128, runtime="provided.al2023")
    lines: list[tuple[float, str]] = []
    for n in range(3):
        r, ago = rid(n), 40 - n * 7
        lines += [(ago, f"START RequestId: {r} Version: $LATEST"),
                  (ago - 0.0001, "panic: runtime error: invalid memory address or nil pointer dereference\n"
                                 "goroutine 1 [running]:\nmain.handler()\n\t/build/main.go:25 +0x2a"),
                  (ago - 0.0002, f"END RequestId: {r}"),
                  (ago - 0.0003, f"REPORT RequestId: {r}\tDuration: 15.00 ms\tBilled Duration: 16 ms\tMemory Size: "
                                 "128 MB\tMax Memory Used: 25 MB\tStatus: error\tError Type: Runtime.ExitError"),
                  (ago - 0.0004, f"2026-11-30T02:26:59.016Z {r} Error: Runtime exited with error: exit status 2\n"
                                 "Runtime.ExitError")]
    put_lines(plain_moto, "go-crash", lines)
    transcript = run(plain_moto, "go-crash")
    [crash] = transcript.findings
    assert crash["code"] == "LAMBDA_CRASH"
    for example in crash["evidence"]["examples"]:
        others = [rid(n) for n in range(3) if rid(n) != example["request_id"]]
        assert not any(o in line for o in others for line in example["lines_before"]), example
    shown = json.dumps(crash["proof"])
    assert rid(1) not in shown and rid(0) not in shown  # the proof is the last failure's, request 2
    detail = steps(transcript)["failures"][1]
    context = detail.split("Before the last one it logged:", 1)[-1].split("Then:", 1)[0] if "Before" in detail else ""
    assert rid(1) not in context


def test_kills_before_the_memory_was_raised_are_history_not_a_new_memory_fix(plain_moto) -> None:
    """Breaker N1: three kills at 128 MB, then memory raised to 1024 MB and four healthy requests (peak 140 MB).
    Each request is judged at the Memory Size of its own REPORT line: no memory fix, a warning with the story."""
    arn = make_function(plain_moto, "raised", memory=128)
    plain_moto.client("lambda").update_function_configuration(FunctionName="raised", MemorySize=1024)
    oom = "Status: error\tError Type: Runtime.OutOfMemory"
    lines = [line for n in range(3) for line in invocation(n, 110 - 7 * n, used=128, memory=128, report_tail=oom)]
    lines += [line for n in range(4) for line in invocation(10 + n, 60 - 7 * n, used=140, memory=1024)]
    put_lines(plain_moto, "raised", lines)
    transcript = run(plain_moto, "raised")
    detail = steps(transcript)
    assert transcript.verdict != "problem_found", detail
    assert detail["verdict"][0] == "warning" and "peak 140 MB of 1024 MB (14%)" in detail["verdict"][1]
    assert "at 128 MB" in detail["verdict"][1] and "Recommended" not in detail["verdict"][1]
    assert not [f for f in transcript.findings if f["code"] == "LAMBDA_OUT_OF_MEMORY"]
    [settled] = [f for f in transcript.findings if f["code"] == "LAMBDA_OOM_BEFORE_MEMORY_RAISED"]
    assert settled["resource"] == arn and settled["severity"] == "warning"
    assert not any("--memory-size" in step for step in settled["remediation"])
