"""Triage, the first five minutes: alarms in ALARM and the playbook each suggests, open AWS Health events
(and the sentence when the support plan refuses the API), recent changes without the routine noise, and
the whole overview on the sandbox, through the CLI, and on a plain moto server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudtrail.timeline import Change
from diagnostics.sandbox.gaps import health as health_gap
from diagnostics.triage.overview import (
    SUGGESTIONS,
    Alarm,
    notable_changes,
    parse_alarm,
    parse_health_event,
    suggest,
)
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from playbooks.triage import TRIAGE, checked

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_overview_left_behind():
    """The sandbox's gap data is process-wide: the overview's Health events must not outlive these tests
    (another moto server in this process would answer Health with them)."""
    yield
    from diagnostics.sandbox import gaps

    gaps.set_data({})


def metric_alarm(name: str, namespace: str, metric: str, **dims: str) -> dict:
    """A MetricAlarms entry of DescribeAlarms, as boto3 returns it."""
    return {
        "AlarmName": name, "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "StateValue": "ALARM", "StateReason": "Threshold Crossed: 1 out of the last 1 datapoints [7.0 ...]",
        "StateUpdatedTimestamp": NOW, "StateTransitionedTimestamp": NOW - timedelta(minutes=12),
        "MetricName": metric, "Namespace": namespace, "Statistic": "Sum",
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
    }


def test_an_alarm_says_since_when_and_on_which_metric() -> None:
    alarm = parse_alarm(metric_alarm("orders-errors", "AWS/Lambda", "Errors", FunctionName="orders-worker"))
    assert alarm.since == NOW - timedelta(minutes=12)  # when it went into ALARM, not its last update
    assert alarm.metric_words == "AWS/Lambda Errors (FunctionName=orders-worker)"


def test_a_metric_math_alarm_names_its_first_metric() -> None:
    raw = {"AlarmName": "p99", "StateValue": "ALARM", "Metrics": [
        {"Id": "e1", "Expression": "m1 * 1000", "ReturnData": True},
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "TargetResponseTime",
                                               "Dimensions": [{"Name": "LoadBalancer", "Value": "app/shop/50dc6c"}]},
                                    "Period": 60, "Stat": "p99"}, "ReturnData": False}]}
    alarm = parse_alarm(raw)
    assert (alarm.namespace, alarm.metric, dict(alarm.dimensions)) == (
        "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/shop/50dc6c"})


@pytest.mark.parametrize(("namespace", "metric", "dims", "playbook", "params"), [
    ("AWS/Lambda", "Errors", {"FunctionName": "orders-worker"}, "lambda-oom", {"function": "orders-worker"}),
    ("AWS/Lambda", "Throttles", {"FunctionName": "resizer"}, "throttling", {"function": "resizer"}),
    ("AWS/Lambda", "Throttles", {}, "throttling", {"service": "lambda"}),  # account-wide: no FunctionName
    ("AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/shop/50dc6c495c0c9188"}, "slow-performance",
     {"resource": "alb:shop"}),
    ("AWS/EC2", "StatusCheckFailed_Instance", {"InstanceId": "i-0abc12345678def01"}, "ssh-timeout",
     {"instance": "i-0abc12345678def01"}),
    ("AWS/EC2", "CPUCreditBalance", {"InstanceId": "i-0abc12345678def01"}, "slow-performance",
     {"resource": "i-0abc12345678def01"}),
    ("AWS/RDS", "BurstBalance", {"DBInstanceIdentifier": "orders-db"}, "slow-performance",
     {"resource": "rds:orders-db"}),
    ("AWS/DynamoDB", "ReadThrottleEvents", {"TableName": "orders"}, "throttling", {"table": "orders"}),
    ("AWS/DynamoDB", "ThrottledRequests", {}, "throttling", {"service": "dynamodb"}),
    ("AWS/Kinesis", "WriteProvisionedThroughputExceeded", {}, None, None),
])
def test_the_suggestion_table_maps_an_alarm_to_a_playbook_and_its_parameters(namespace, metric, dims, playbook,
                                                                              params) -> None:
    suggestion = suggest(parse_alarm(metric_alarm("a", namespace, metric, **dims)))
    if playbook is None:
        assert suggestion is None
        return
    assert suggestion is not None
    suggestion = checked(suggestion)
    assert (suggestion.playbook, dict(suggestion.params), suggestion.note) == (playbook, params, "")
    assert suggestion.command().startswith(f"awstriage run {playbook}")


# A dimension value of each kind, as CloudWatch names it, for checking every row of the table.
SAMPLE_DIMENSIONS = {"FunctionName": "thumbnail-resizer", "LoadBalancer": "app/shop-web/50dc6c495c0c9188",
                     "ApiId": "a1b2c3d4e5", "Stage": "prod", "DistributionId": "E2QWRUHAPOMQZL",
                     "InstanceId": "i-0abc12345678def01", "DBInstanceIdentifier": "orders-db", "TableName": "orders"}


@pytest.mark.parametrize("rule", SUGGESTIONS, ids=lambda r: f"{r.namespace}:{r.metrics[0]}->{r.playbook}")
def test_every_row_of_the_suggestion_table_is_a_command_its_playbook_accepts_today(rule) -> None:
    """A row whose parameters the playbook no longer takes (service=lambda after throttling grew function=)
    would suggest a command that fails: each row is checked against the playbook's own validators."""
    names = {m.group(1) for _, template in rule.params for m in re.finditer(r"\{(\w+)\}", template)}
    dims = {k: v for k, v in SAMPLE_DIMENSIONS.items() if k in names or (k == "LoadBalancer" and
                                                                         "LoadBalancerName" in names)}
    metric = rule.metrics[0].replace("*", "Events")
    suggestion = suggest(parse_alarm(metric_alarm("a", rule.namespace.replace("*", "Custom/App"), metric, **dims)),
                         rules=[rule])
    assert suggestion is not None and suggestion.note == ""
    assert checked(suggestion).note == "", checked(suggestion).note


def test_a_suggestion_the_playbook_would_refuse_becomes_a_note() -> None:
    api = suggest(parse_alarm(metric_alarm("slow", "AWS/ApiGateway", "Latency", ApiId="NOT_AN_ID", Stage="prod")))
    assert api is not None and api.playbook == "slow-performance"
    assert "cannot take these parameters yet" in checked(api).note
    missing = suggest(Alarm("x", "", None, "", "AWS/Lambda", "Errors"))
    assert missing is not None and "no FunctionName dimension" in missing.note


def test_health_events_and_routine_changes() -> None:
    event = parse_health_event({"arn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/x",
                                "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
                                "eventTypeCategory": "issue", "region": "us-east-1", "startTime": NOW,
                                "statusCode": "open"})
    assert event.line() == "EC2 AWS_EC2_OPERATIONAL_ISSUE (issue) in us-east-1, open since 2026-11-29T03:00:00Z"
    person = Change(NOW, "UpdateStack", "cloudformation.amazonaws.com", "arn:aws:iam::123456789012:user/sam", "s")
    routine = Change(NOW, "CreateLogStream", "logs.amazonaws.com", "arn:aws:iam::123456789012:role/fn", "g")
    service = Change(NOW, "CreateGrant2", "kms.amazonaws.com", "lambda.amazonaws.com", "k")
    kept = notable_changes([person, routine, service])
    assert kept.changes == [person] and kept.hidden == 2


def test_the_sandbox_health_filler_filters_open_events_and_can_refuse(monkeypatch) -> None:
    specs = [{"service": "EC2", "region": "us-east-1", "statusCode": "open", "minutes_ago": 30},
             {"service": "RDS", "region": "eu-west-1", "statusCode": "open"},
             {"service": "S3", "region": "us-east-1", "statusCode": "closed"}]
    got = health_gap.describe_events({"filter": {"eventStatusCodes": ["open"], "regions": ["us-east-1", "global"]}},
                                     specs, NOW)
    assert [e["service"] for e in got["events"]] == ["EC2"]
    monkeypatch.setattr(health_gap.gaps, "get", lambda key, default=None: {"subscription_required": True}
                        if key == "health" else default)
    status, body = health_gap.answer("DescribeEvents", {})
    assert status == 400 and body["__type"] == "SubscriptionRequiredException"


# --- end to end --------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_triage_on_the_sandbox_lists_alarms_health_and_changes_with_a_playbook_for_each_alarm(sandbox) -> None:
    from diagnostics.sandbox.overview import overview_scenario

    sandbox.seed(overview_scenario())
    transcript = run_playbook(TRIAGE, parse_inputs(TRIAGE, {}), sandbox.session())
    overview = transcript.overview
    names = {a["name"] for a in overview["alarms"]}
    assert names == {"invoice-renderer-errors", "thumbnail-resizer-throttles", "reports-1-cpu-credits"}  # not OK
    by_alarm = {s["alarm"]: s for s in overview["suggestions"]}
    assert set(by_alarm) == names and not any(s.get("note") for s in by_alarm.values())
    renderer = by_alarm["invoice-renderer-errors"]["command"]
    assert renderer == "awstriage run lambda-oom --param function=invoice-renderer"
    assert [h["type"] for h in overview["health"]] == ["AWS_EC2_OPERATIONAL_ISSUE"]
    events = [c["event"] for c in transcript.changes]
    assert "UpdateStack" in events and "CreateLogStream" not in events
    assert transcript.verdict == "problem_found"
    assert {s.id: s.status for s in transcript.steps}["health"] == "warning"


@pytest.mark.sandbox
def test_triage_says_in_one_sentence_when_the_support_plan_refuses_health(sandbox) -> None:
    from dataclasses import replace

    from diagnostics.sandbox.overview import overview_scenario

    scenario = overview_scenario()
    sandbox.seed(replace(scenario, gaps={**scenario.gaps, "health": {"subscription_required": True}}))
    transcript = run_playbook(TRIAGE, parse_inputs(TRIAGE, {}), sandbox.session())
    step = transcript.step("health")
    assert step is not None and step.status == "no_data"
    assert "Business, Enterprise On-Ramp or Enterprise Support plan (SubscriptionRequiredException)" in step.detail
    assert transcript.verdict == "problem_found"  # the alarms still decide


@pytest.mark.sandbox
def test_awstriage_triage_demo_end_to_end() -> None:
    result = subprocess.run([sys.executable, "-m", "awstriage", "triage", "--demo", "--format", "json"],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stderr  # alarms are firing
    data = json.loads(result.stdout)
    assert len(data["overview"]["alarms"]) == 3 and len(data["overview"]["suggestions"]) == 3
    assert data["overview"]["health"] and data["changes"]
    text = subprocess.run([sys.executable, "-m", "awstriage", "triage", "--demo"], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL).stdout
    for expected in ("Alarms in ALARM", "-> awstriage run lambda-oom --param function=invoice-renderer",
                     "-> awstriage run throttling --param function=thumbnail-resizer",
                     "AWS Health events", "AWS_EC2_OPERATIONAL_ISSUE", "What changed", "UpdateStack"):
        assert expected in text, text


def test_awstriage_triage_refuses_a_window_beyond_ninety_days() -> None:
    result = subprocess.run([sys.executable, "-m", "awstriage", "triage", "--demo", "--hours", "5000"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "--hours" in result.stderr and "Traceback" not in result.stderr


def test_triage_on_plain_moto_reads_alarms_and_says_what_it_could_not_read(plain_moto, monkeypatch) -> None:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    # The sandbox's fillers patch moto process-wide; a plain server must not have them.
    if hasattr(CloudTrailResponse, "lookup_events"):
        monkeypatch.delattr(CloudTrailResponse, "lookup_events")
    get_application = DomainDispatcherApplication.get_application
    monkeypatch.setattr(DomainDispatcherApplication, "get_application",
                        getattr(get_application, "__wrapped__", get_application))
    cloudwatch = plain_moto.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName="orders-errors", Namespace="AWS/Lambda", MetricName="Errors",
                                Dimensions=[{"Name": "FunctionName", "Value": "orders-worker"}], Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    cloudwatch.set_alarm_state(AlarmName="orders-errors", StateValue="ALARM", StateReason="Threshold Crossed")
    transcript = run_playbook(TRIAGE, parse_inputs(TRIAGE, {}), plain_moto.session())
    status = {s.id: s.status for s in transcript.steps}
    assert status["alarms"] == "problem" and status["health"] == "error" and status["recent-changes"] == "error"
    assert transcript.overview["suggestions"][0]["params"] == {"function": "orders-worker"}
    assert transcript.verdict == "problem_found"


def test_an_alarm_named_after_its_webhook_never_shows_the_token(plain_moto, monkeypatch) -> None:
    """breaker_b: 'awstriage triage' printed an alarm name with '?token=abcSECRETxyz123' as it is, in text
    and JSON alike; the name, its ARN and its reason are redacted where the alarm is read."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    get_application = DomainDispatcherApplication.get_application
    monkeypatch.setattr(DomainDispatcherApplication, "get_application",
                        getattr(get_application, "__wrapped__", get_application))
    name = "api-5xx-https://hooks.example.com/?token=abcSECRETxyz123"
    cloudwatch = plain_moto.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/Lambda", MetricName="Throttles",
                                Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}], Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed")
    for form in ("text", "json"):
        result = plain_moto.cli("triage", "--format", form)
        assert result.returncode == 1, result.stderr
        assert "abcSECRETxyz123" not in result.stdout + result.stderr
        assert "?token=[REDACTED]" in result.stdout
        assert "--param function=orders-api" in result.stdout or '"function": "orders-api"' in result.stdout


def test_triage_on_plain_moto_without_alarms_says_health_and_changes_were_not_read(plain_moto, monkeypatch) -> None:
    """Alarms decide, Health and changes corroborate: no alarm in ALARM is "no problem found", and the
    headline itself says which corroborating sources could not be read."""
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if hasattr(CloudTrailResponse, "lookup_events"):
        monkeypatch.delattr(CloudTrailResponse, "lookup_events")
    get_application = DomainDispatcherApplication.get_application
    monkeypatch.setattr(DomainDispatcherApplication, "get_application",
                        getattr(get_application, "__wrapped__", get_application))
    transcript = run_playbook(TRIAGE, parse_inputs(TRIAGE, {}), plain_moto.session())
    status = {s.id: s.status for s in transcript.steps}
    assert status["alarms"] == "ok" and status["health"] == "error" and status["recent-changes"] == "error"
    assert transcript.verdict == "no_problem_found"
    assert transcript.headline == (
        "No problem found; not corroborated: 'Does AWS report a problem?' could not be read, "
        "'What changed in the account recently?' could not be read")


# --- the TUI -------------------------------------------------------------------------------------


@pytest.mark.tui
@pytest.mark.sandbox
async def test_t_opens_triage_and_enter_on_an_alarm_opens_its_playbook(sandbox) -> None:
    import asyncio

    from playbooks.workspace import Workspace
    from tui.app import AwstriageApp
    from tui.screens.inputs import InputsScreen
    from tui.screens.triage import TriageScreen
    from tui.widgets.filter_list import FilterList

    async def wait_for(pilot, predicate, what: str, timeout: float = 40.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
            await pilot.pause(0.05)

    app = AwstriageApp(Workspace(demo=True, sandbox=sandbox))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.identity is not None, "the identity")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TriageScreen), "the triage screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.transcript is not None, "the overview")
        suggestions = screen.query_one("#suggestions", FilterList)
        assert len(suggestions.visible_ids()) == 3
        overview = screen.transcript.overview
        assert {s["playbook"] for s in overview["suggestions"]} == {"lambda-oom", "throttling", "slow-performance"}
        first = overview["suggestions"][int(suggestions.visible_ids()[0])]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), "the suggested playbook's inputs")
        assert app.screen.playbook.name == first["playbook"]
        await wait_for(pilot, lambda: not app.screen.seeding, "the playbook's scenario")


def test_an_alarm_is_redacted_where_it_is_read_for_every_screen() -> None:
    """The TUI's triage screen shows Alarm.name itself, not an exported transcript: it is redacted at the source."""
    alarm = parse_alarm({"AlarmName": "api-5xx https://hooks.example.com/?token=abcSECRETxyz123",
                         "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx?token=abcSECRETxyz123",
                         "StateReason": "Threshold crossed; see https://hooks.example.com/?sig=abcSECRETxyz123",
                         "Namespace": "AWS/Lambda", "MetricName": "Throttles", "StateValue": "ALARM"})
    assert "abcSECRETxyz123" not in str(alarm.to_dict()) and "token=[REDACTED]" in alarm.name
