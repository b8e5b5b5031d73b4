"""slow-performance end to end against a plain moto server: a function with REPORT lines and no metrics.

Nothing of the sandbox touches this server: the function is made with plain boto3 (as
diagnostics/sandbox/seed_lambda.py does) and its REPORT lines are put into /aws/lambda/NAME as the
Lambda runtime prints them.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from playbooks.exporters import export
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from playbooks.slow_performance import PLAYBOOK
from tui.widgets.path_graph import layout_graph

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def make_function(moto, name: str, timeout: int = 3, memory: int = 512) -> str:
    role = moto.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    answer = moto.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()}, MemorySize=memory, Timeout=timeout)
    return answer["FunctionArn"]


def report(duration: float, memory: int, used: int, init: float | None = None) -> str:
    """A REPORT line as the Lambda runtime prints it (text log format)."""
    line = (f"REPORT RequestId: {uuid.uuid4()}\tDuration: {duration:.2f} ms\tBilled Duration: "
            f"{int(duration) + 1} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t")
    if init is not None:
        line += f"Init Duration: {init:.2f} ms\t"
    return line


def put_reports(moto, name: str, lines: list[str], minutes: float = 50) -> None:
    logs = moto.client("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/03/01/[$LATEST]0123456789abcdef")
    now = datetime.now(UTC)
    events = [{"timestamp": int((now - timedelta(minutes=minutes * (len(lines) - i) / len(lines))).timestamp()
                                * 1000), "message": line} for i, line in enumerate(lines)]
    logs.put_log_events(logGroupName=group, logStreamName="2026/03/01/[$LATEST]0123456789abcdef",
                        logEvents=events)


def run(moto, resource: str):
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"resource": resource}), moto.session())


def steps(transcript) -> dict[str, tuple[str, str]]:
    return {s.id: (s.status, s.detail) for s in transcript.steps}


@pytest.mark.sandbox
def test_near_timeout_function_with_cold_starts_is_a_problem_from_logs_alone(plain_moto) -> None:
    arn = make_function(plain_moto, "checkout-api", timeout=3, memory=512)
    lines = [report(2650 + 5 * i, 512, 180 + i, init=1800.0 if i % 3 == 0 else None) for i in range(30)]
    put_reports(plain_moto, "checkout-api", lines)
    transcript = run(plain_moto, "checkout-api")
    assert transcript.verdict == "problem_found", steps(transcript)
    found = {(f["code"], f["severity"]): f for f in transcript.findings}
    near = found[("LAMBDA_DURATION_NEAR_TIMEOUT", "error")]
    assert near["resource"] == arn and "checkout-api" in near["summary"]
    assert "30 of 30 invocations" in near["summary"]
    cold = found[("LAMBDA_COLD_STARTS", "warning")]
    assert "10 of 30" in cold["summary"] and "1,800 ms of Init Duration" in cold["summary"]
    status, detail = steps(transcript)["latency"]
    assert status == "ok" and "REPORT lines" in detail and "disagree" in detail
    assert "p50" in detail and "p90" in detail and "p99 needs at least 100 samples" in detail
    # No baseline a week ago: said, and the verdict rests on the deciding steps.
    assert steps(transcript)["regression"][0] == "no_data"


@pytest.mark.sandbox
def test_fast_function_is_no_problem_found(plain_moto) -> None:
    make_function(plain_moto, "thumbs", timeout=3, memory=512)
    put_reports(plain_moto, "thumbs", [report(120 + 2 * i, 512, 90, init=300.0 if i == 0 else None)
                                       for i in range(30)])
    transcript = run(plain_moto, "thumbs")
    assert transcript.verdict == "no_problem_found", steps(transcript)
    assert not [f for f in transcript.findings if f["severity"] == "error"]
    assert steps(transcript)["saturation"][0] == "ok"
    assert "REPORT lines" in steps(transcript)["saturation"][1]


@pytest.mark.sandbox
def test_function_without_any_data_is_incomplete_and_says_which_source_was_empty(plain_moto) -> None:
    make_function(plain_moto, "idle-fn")
    transcript = run(plain_moto, "idle-fn")
    assert transcript.verdict == "incomplete", steps(transcript)
    status, detail = steps(transcript)["latency"]
    assert status == "no_data"
    assert "AWS/Lambda Duration" in detail and "/aws/lambda/idle-fn does not exist" in detail
    assert "not invoked" in detail and "according to both" in detail
    assert steps(transcript)["saturation"][0] == "no_data"


@pytest.mark.sandbox
def test_function_through_the_cli_exit_status(plain_moto) -> None:
    make_function(plain_moto, "checkout-api", timeout=3)
    put_reports(plain_moto, "checkout-api", [report(2700 + i, 512, 180, init=1800.0 if i % 3 == 0 else None)
                                             for i in range(30)])
    result = plain_moto.cli("run", "slow-performance", "--param", "resource=checkout-api", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "problem_found"
    assert any(f["code"] == "LAMBDA_DURATION_NEAR_TIMEOUT" for f in data["findings"])


def put_metric(moto, namespace: str, name: str, dims: dict[str, str], values: list[float],
               days_ago: float = 0, unit: str = "Seconds") -> None:
    """One datapoint a minute, the last one a minute before now (minus ``days_ago``)."""
    end = datetime.now(UTC) - timedelta(days=days_ago, minutes=1)
    moto.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()], "Unit": unit,
         "Timestamp": end - timedelta(minutes=len(values) - 1 - i), "Value": value}
        for i, value in enumerate(values)])


def make_alb_to_function(moto, function_arn: str) -> tuple[dict, dict]:
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    elbv2 = moto.client("elbv2")
    lb = elbv2.create_load_balancer(Name="shop-web", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="shop-search", TargetType="lambda")["TargetGroups"][0]
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": function_arn}])
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    return lb, group


@pytest.mark.sandbox
def test_load_balancer_path_names_the_function_whose_own_time_grew_against_last_week(plain_moto) -> None:
    arn = make_function(plain_moto, "search", timeout=10, memory=1024)
    lb, group = make_alb_to_function(plain_moto, arn)
    lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dim = "targetgroup/" + group["TargetGroupArn"].split(":targetgroup/")[1]
    for dims in ({"LoadBalancer": lb_dim}, {"LoadBalancer": lb_dim, "TargetGroup": tg_dim}):
        put_metric(plain_moto, "AWS/ApplicationELB", "TargetResponseTime", dims, [1.40 + 0.01 * (i % 5)
                                                                                  for i in range(30)])
        put_metric(plain_moto, "AWS/ApplicationELB", "TargetResponseTime", dims, [0.30 + 0.01 * (i % 5)
                                                                                  for i in range(30)], days_ago=7)
    logs = plain_moto.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/search")
    logs.create_log_stream(logGroupName="/aws/lambda/search", logStreamName="s")
    now = datetime.now(UTC)
    events = [(now - timedelta(days=7, minutes=40 - i), report(250 + i, 1024, 200)) for i in range(30)]
    events += [(now - timedelta(minutes=40 - i), report(1350 + i, 1024, 200)) for i in range(30)]
    logs.put_log_events(logGroupName="/aws/lambda/search", logStreamName="s",
                        logEvents=[{"timestamp": int(at.timestamp() * 1000), "message": m} for at, m in events])
    transcript = run(plain_moto, "alb:shop-web")
    by_id = steps(transcript)
    assert "The path has 3 components" in by_id["resource"][1], by_id
    assert transcript.graph and len(transcript.graph["nodes"]) == 3
    [regression] = [f for f in transcript.findings if f["code"] == "LATENCY_REGRESSION"]
    assert regression["resource"] == arn and regression["severity"] == "error", by_id
    assert regression["evidence"]["now_ms"] >= 1350 and regression["evidence"]["baseline_ms"] <= 280
    assert "only because of what is below them" in regression["summary"]
    assert "Application Load Balancer shop-web" in regression["summary"]
    assert transcript.verdict == "problem_found"
    # The drawn path marks the function the finding names, and every export draws it.
    status = {n["id"]: n["status"] for n in transcript.graph["nodes"]}
    assert status == {"alb:shop-web": "ok", "target-group:shop-search": "ok", "lambda:search": "blocked"}, status
    page = export(transcript, "html")
    assert "Request path" in page and ">search</tspan>" in page.replace("Lambda function ", "")
    assert layout_graph(transcript.graph, 120)[0].plain.startswith("Request path")


@pytest.mark.sandbox
def test_stack_takes_its_functions_and_tables(plain_moto) -> None:
    role = plain_moto.client("iam").create_role(RoleName="shop-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    template = {"Resources": {
        "Search": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "shop-search", "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 3,
            "Role": role["Role"]["Arn"], "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"}}},
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "shop-orders", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}}}
    plain_moto.client("cloudformation").create_stack(StackName="shop-prod", TemplateBody=json.dumps(template))
    put_reports(plain_moto, "shop-search", [report(2700 + i, 128, 60) for i in range(30)])
    transcript = run(plain_moto, "stack:shop-prod")
    detail = steps(transcript)["resource"][1]
    assert "Lambda function shop-search" in detail and "DynamoDB table shop-orders" in detail, detail
    assert transcript.verdict == "problem_found"
    assert any(f["code"] == "LAMBDA_DURATION_NEAR_TIMEOUT" and f["resource"].endswith(":function:shop-search")
               for f in transcript.findings)


@pytest.mark.sandbox
def test_near_timeout_from_metrics_alone_is_the_same_problem_as_from_logs(plain_moto) -> None:
    """The breaker's metrics-only (fault 12): AWS/Lambda Duration 2,500 ms against a 3 s timeout, Invocations
    100, Throttles 40, no log lines. The >= 80%-of-timeout rule is a problem from the metric as from REPORT lines,
    and the throttling hint names the function."""
    arn = make_function(plain_moto, "metrics-only", timeout=3, memory=128)
    at = datetime.now(UTC) - timedelta(minutes=20)
    for metric, value, unit in (("Duration", 2500.0, "Milliseconds"), ("Invocations", 100.0, "Count"),
                                ("Throttles", 40.0, "Count"), ("Errors", 5.0, "Count")):
        plain_moto.client("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[{
            "MetricName": metric, "Dimensions": [{"Name": "FunctionName", "Value": "metrics-only"}],
            "Timestamp": at, "Value": value, "Unit": unit}])
    transcript = run(plain_moto, "metrics-only")
    found = {(f["code"], f["severity"]): f for f in transcript.findings}
    near = found[("LAMBDA_DURATION_NEAR_TIMEOUT", "error")]
    assert near["resource"] == arn and "Duration metric" in near["summary"]
    assert any("update-function-configuration --function-name metrics-only" in c for c in near["remediation"])
    throttled = found[("LAMBDA_THROTTLED", "warning")]
    assert any("--param function=metrics-only" in c for c in throttled["remediation"])
    assert transcript.verdict == "problem_found"


def make_database(moto, name: str, latency: dict[str, tuple[float, float]]) -> None:
    """An RDS instance and 30 minutes of each latency metric: (seconds now, seconds a week earlier)."""
    moto.client("rds").create_db_instance(
        DBInstanceIdentifier=name, DBInstanceClass="db.t3.medium", Engine="postgres",
        MasterUsername="admin", MasterUserPassword="Passw0rdPassw0rd", AllocatedStorage=20)
    for metric, (now, then) in latency.items():
        put_metric(moto, "AWS/RDS", metric, {"DBInstanceIdentifier": name}, [now] * 30)
        put_metric(moto, "AWS/RDS", metric, {"DBInstanceIdentifier": name}, [then] * 30, days_ago=7)


@pytest.mark.sandbox
def test_a_database_and_a_table_many_times_slower_than_last_week_are_named(plain_moto) -> None:
    """breaker_b fault 3: RDS ReadLatency 2 ms -> 80 ms per I/O and DynamoDB GetItem 4 ms -> 45 ms were
    "Nothing got markedly slower" under a 100 ms floor meant for a request's latency."""
    make_database(plain_moto, "orders-db", {"ReadLatency": (0.08, 0.002)})
    plain_moto.client("dynamodb").create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    get = {"TableName": "orders", "Operation": "GetItem"}
    put_metric(plain_moto, "AWS/DynamoDB", "SuccessfulRequestLatency", get, [45.0] * 30, unit="Milliseconds")
    put_metric(plain_moto, "AWS/DynamoDB", "SuccessfulRequestLatency", get, [4.0] * 30, days_ago=7,
               unit="Milliseconds")
    for resource, named, numbers in (("orders-db", ":db:orders-db", "80 ms now against 2 ms at baseline (40.0x)"),
                                     ("dynamodb:orders", ":table/orders", "45 ms now against 4 ms at baseline")):
        transcript = run(plain_moto, resource)
        status, detail = steps(transcript)["regression"]
        assert status == "problem" and "Nothing got markedly slower" not in detail, detail
        [regression] = [f for f in transcript.findings if f["code"] == "LATENCY_REGRESSION"]
        assert regression["resource"].endswith(named) and numbers in regression["summary"], regression
        assert transcript.verdict == "problem_found"


@pytest.mark.sandbox
def test_a_database_whose_writes_got_slower_is_a_regression_too(plain_moto) -> None:
    """Only ReadLatency was compared: a disk whose writes went from 1 ms to 40 ms per I/O was never named."""
    make_database(plain_moto, "ledger-db", {"ReadLatency": (0.002, 0.002), "WriteLatency": (0.04, 0.001)})
    transcript = run(plain_moto, "ledger-db")
    [regression] = [f for f in transcript.findings if f["code"] == "LATENCY_REGRESSION"]
    assert regression["evidence"]["metric"] == "WriteLatency", regression
    assert "its WriteLatency is average 40 ms now against 1 ms at baseline (40.0x)" in regression["summary"]
    assert transcript.verdict == "problem_found"


@pytest.mark.sandbox
def test_what_changed_looks_up_the_load_balancers_arn_never_the_shorthand(plain_moto, monkeypatch) -> None:
    """breaker_b fault 7: ``alb:shop-web`` was looked up as a CloudTrail ResourceName, which nothing records,
    and the step said "nothing changed it". The load balancer read from the account is looked up under its
    ARN and name. (Plain moto has no LookupEvents: the lookup is answered here, as CloudTrail would.)"""
    from playbooks import changes as changes_module
    from playbooks.registry import get_playbook

    arn = make_function(plain_moto, "search", timeout=10, memory=1024)
    lb, _ = make_alb_to_function(plain_moto, arn)
    asked: list[str] = []
    listener_change = {
        "EventId": "e-1", "EventName": "ModifyListener", "ReadOnly": "false", "EventSource":
        "elasticloadbalancing.amazonaws.com", "EventTime": datetime.now(UTC) - timedelta(hours=2),
        "Resources": [{"ResourceType": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                       "ResourceName": lb["LoadBalancerArn"]}],
        "CloudTrailEvent": json.dumps({
            "eventTime": (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventName": "ModifyListener", "eventSource": "elasticloadbalancing.amazonaws.com",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/sam"},
            "requestParameters": {"port": 8080}, "readOnly": False, "eventID": "e-1"})}

    def lookup(_client, name, _start, _end, _budget=500):
        asked.append(name)
        return ([listener_change] if name == lb["LoadBalancerArn"] else []), False

    monkeypatch.setattr(changes_module, "lookup_resource", lookup)
    playbook = get_playbook("slow-performance")
    transcript = run_playbook(playbook, parse_inputs(playbook, {"resource": "alb:shop-web"}), plain_moto.session())
    assert lb["LoadBalancerArn"] in asked and "shop-web" in asked, asked
    assert not any(name.startswith("alb:") for name in asked), asked
    step = transcript.step("changes")
    assert step is not None and "alb:shop-web" not in step.detail, step.detail
    assert [c["event"] for c in transcript.changes] == ["ModifyListener"]


@pytest.mark.sandbox
@pytest.mark.parametrize("form", ["arn", "tg"])
def test_a_target_group_is_walked_from_its_arn_or_name(plain_moto, form) -> None:
    """breaker_b fault 10: a target group ARN pasted from an alarm was a usage error (exit 2, "is not an EC2
    instance ID"). It is the entry point: it and its targets are judged, its metrics read with the load
    balancer's dimension."""
    arn = make_function(plain_moto, "search", timeout=10, memory=1024)
    lb, group = make_alb_to_function(plain_moto, arn)
    lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dim = "targetgroup/" + group["TargetGroupArn"].split(":targetgroup/")[1]
    dims = {"LoadBalancer": lb_dim, "TargetGroup": tg_dim}
    put_metric(plain_moto, "AWS/ApplicationELB", "TargetResponseTime", dims, [1.4] * 30)
    put_metric(plain_moto, "AWS/ApplicationELB", "TargetResponseTime", dims, [0.3] * 30, days_ago=7)
    given = group["TargetGroupArn"] if form == "arn" else "tg:shop-search"
    result = plain_moto.cli("run", "slow-performance", "--param", f"resource={given}", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    resource_step = next(s for s in data["steps"] if s["id"] == "resource")
    assert "target group shop-search" in resource_step["detail"] and "Lambda function search" in \
        resource_step["detail"], resource_step["detail"]
    [regression] = [f for f in data["findings"] if f["code"] == "LATENCY_REGRESSION"]
    assert regression["resource"] == group["TargetGroupArn"], regression
    assert "1,400 ms now against 300 ms" in regression["summary"]


@pytest.mark.sandbox
def test_a_target_group_that_does_not_exist_is_one_sentence(plain_moto) -> None:
    result = plain_moto.cli("run", "slow-performance", "--param", "resource=tg:no-such-group", "--format", "json")
    assert result.returncode == 3, result.stderr
    step = next(s for s in json.loads(result.stdout)["steps"] if s["id"] == "resource")
    assert step["status"] == "error" and "no-such-group" in step["detail"] and "\n" not in step["detail"], step


@pytest.mark.sandbox
def test_an_aurora_cluster_is_judged_through_its_writer_with_a_valid_fix(plain_moto) -> None:
    """breaker_c N4: the cluster name or ARN was "no RDS DB instance named", and an Aurora instance's slow
    reads got modify-db-instance --storage-type gp3 --iops 6000, which Aurora rejects (its storage is the
    cluster's)."""
    rds = plain_moto.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="shop-aurora", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="Passw0rdPassw0rd")
    for name in ("shop-aurora-1", "shop-aurora-2"):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.r6g.large",
                               Engine="aurora-postgresql", DBClusterIdentifier="shop-aurora")
    put_metric(plain_moto, "AWS/RDS", "ReadLatency", {"DBInstanceIdentifier": "shop-aurora-1"}, [0.06] * 30)
    for resource in ("shop-aurora", "arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora",
                     "rds-cluster:shop-aurora"):
        transcript = run(plain_moto, resource)
        status, detail = steps(transcript)["resource"]
        assert status == "ok" and "shop-aurora is a DB cluster" in detail, detail
        assert "shop-aurora-2" in detail and "RDS DB instance shop-aurora-1" in detail
        [slow] = [f for f in transcript.findings if f["code"] == "RDS_HIGH_IO_LATENCY"]
        assert slow["resource"].endswith(":db:shop-aurora-1")
        commands = "\n".join(slow["remediation"])
        assert "--iops" not in commands and "--storage-type" not in commands, commands
        assert "cluster shop-aurora" in commands


@pytest.mark.sandbox
def test_a_small_gp2_database_is_moved_to_gp3_without_iops(plain_moto) -> None:
    """gp3 below 400 GiB is fixed at 3,000 IOPS: RDS rejects --iops there (breaker_c N4)."""
    make_database(plain_moto, "orders-db", {"ReadLatency": (0.05, 0.05)})
    [slow] = [f for f in run(plain_moto, "orders-db").findings if f["code"] == "RDS_HIGH_IO_LATENCY"]
    commands = "\n".join(slow["remediation"])
    assert "--storage-type gp3" in commands and "--iops" not in commands, commands
