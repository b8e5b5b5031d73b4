"""The "What changed recently?" step: parsing CloudTrail write events, redaction, ordering, the suspect,
pacing at CloudTrail's rate with a cap, the sandbox's ResourceName lookups, and end to end on the sandbox
and on a plain moto server that has no LookupEvents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudtrail.changes import ordered_resources, read_changes
from diagnostics.cloudtrail.resource_names import cloudtrail_names
from diagnostics.cloudtrail.timeline import (
    build_timeline,
    is_write,
    parse_change,
    request_summary,
    summary,
)
from diagnostics.concurrency import Pacer
from diagnostics.sandbox.gaps import cloudtrail as ct_gap
from playbooks.changes import CHANGE_STEP, changes_hours, lookup_names, with_change_step
from playbooks.exporters import export
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.transcript import transcript_from_events

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ACL = "acl-0a1b2c3d4e5f60718"
ADMIN_SESSION = "arn:aws:sts::123456789012:assumed-role/platform-admin/dana"
CLI_UA = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-aws exe/x86_64.ubuntu.22 prompt/off command/ec2.x"


def entry(name: str, minutes_ago: float, params: dict | None = None, read_only: bool = False, error: str = "",
          arn: str = ADMIN_SESSION, resource: str = ACL, event_id: str = "") -> dict:
    """A LookupEvents entry as CloudTrail returns it: the record is a JSON string in CloudTrailEvent."""
    at = NOW - timedelta(minutes=minutes_ago)
    record = {
        "eventVersion": "1.09", "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "ec2.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.24", "userAgent": CLI_UA,
        "userIdentity": {"type": "AssumedRole", "arn": arn, "sessionContext": {"sessionIssuer": {
            "type": "Role", "arn": "arn:aws:iam::123456789012:role/platform-admin"}}},
        "requestParameters": params, "readOnly": read_only, "eventID": event_id or f"{name}-{minutes_ago}",
        "eventType": "AwsApiCall", "managementEvent": True,
    }
    if error:
        record["errorCode"] = error
    return {"EventId": record["eventID"], "EventName": name, "ReadOnly": str(read_only).lower(),
            "EventTime": at, "EventSource": "ec2.amazonaws.com",
            "Resources": [{"ResourceType": "AWS::EC2::NetworkAcl", "ResourceName": resource}],
            "CloudTrailEvent": json.dumps(record)}


# --- the analyser ------------------------------------------------------------------------------


def test_a_change_keeps_who_when_what_and_the_rule_removed() -> None:
    change = parse_change(entry("DeleteNetworkAclEntry", 600, {"networkAclId": ACL, "ruleNumber": 120,
                                                               "egress": True}), ACL)
    assert change.event == "DeleteNetworkAclEntry"
    assert change.principal == "arn:aws:iam::123456789012:role/platform-admin"
    assert change.session_name == "dana" and change.agent == "aws-cli/2.15.30"
    assert change.when == "2026-11-29T02:00:00Z"
    assert dict(change.params) == {"networkAclId": ACL, "ruleNumber": "120", "egress": "true"}
    assert "DeleteNetworkAclEntry on acl-0a1b2c3d4e5f60718 by arn:aws:iam::123456789012:role/platform-admin " \
           "(session dana, aws-cli/2.15.30): networkAclId=" in change.line()


def test_only_successful_writes_are_changes() -> None:
    assert is_write(entry("AuthorizeSecurityGroupIngress", 5))
    assert not is_write(entry("DescribeNetworkAcls", 5, read_only=True))
    assert not is_write(entry("DeleteNetworkAclEntry", 5, error="Client.UnauthorizedOperation"))


def test_request_parameters_are_flattened_and_redacted() -> None:
    params, more = request_summary({
        "groupId": "sg-0123456789abcdef0",
        "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                     "ipRanges": {"items": [{"cidrIp": "203.0.113.0/24"}]}}]},
        "password": "hunter2", "environment": {"variables": {"DB_PASSWORD": "hunter2"}},
        "dryRun": False,
    })
    flat = dict(params)
    assert flat["ipPermissions.ipRanges.cidrIp"] == "203.0.113.0/24"
    assert flat["ipPermissions.fromPort"] == "22"
    assert "hunter2" not in json.dumps(params)
    assert "dryRun" not in flat and more == 0


def test_long_values_are_summarised_and_the_rest_counted() -> None:
    params, more = request_summary({"policyDocument": "x" * 500, **{f"k{i}": i for i in range(12)}})
    assert dict(params)["policyDocument"] == "(500 characters)"
    assert more == 3


def test_timeline_is_ordered_and_the_last_write_to_the_component_at_fault_is_the_suspect() -> None:
    changes = [parse_change(entry(name, minutes), ACL) for name, minutes in
               (("ReplaceNetworkAclEntry", 30), ("CreateNetworkAclEntry", 900), ("DeleteNetworkAclEntry", 600))]
    other = parse_change(entry("ModifyInstanceAttribute", 10, resource="i-0abc"), "i-0abc")
    timeline = build_timeline([*changes, other, changes[0]], [ACL, "i-0abc"], 24, at_fault=[ACL])
    assert [c.event for c in timeline.changes] == ["CreateNetworkAclEntry", "DeleteNetworkAclEntry",
                                                   "ReplaceNetworkAclEntry", "ModifyInstanceAttribute"]
    assert [c.event for c in timeline.suspects] == ["ReplaceNetworkAclEntry"]  # the instance is not at fault
    words = summary(timeline)
    assert "Most plausible cause" in words and "a correlation in time, not a proof" in words
    assert "ReplaceNetworkAclEntry" in words


def test_without_a_write_to_the_component_at_fault_there_is_no_suspect() -> None:
    other = parse_change(entry("ModifyInstanceAttribute", 10, resource="i-0abc"), "i-0abc")
    timeline = build_timeline([other], [ACL, "i-0abc"], 24, at_fault=[ACL])
    assert not timeline.suspects
    words = summary(timeline)
    assert f"none to the component at fault ({ACL})" in words
    # It names what changed (the instance), not every name it looked up, and the change that did happen.
    assert words.startswith(f"1 change in the last 24 h (to i-0abc; looked up: {ACL}, i-0abc)")
    assert "the latest change:" in words and "ModifyInstanceAttribute" in words


def test_an_empty_history_says_which_source_and_how_to_look_further() -> None:
    words = summary(build_timeline([], [ACL], 24))
    assert "no successful write" in words and "changes_hours" in words


# --- the collector -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_pacer_allows_two_lookups_a_second() -> None:
    fake = FakeClock()
    pacer = Pacer(2.0, clock=fake.clock, sleep=fake.sleep)
    sent_at = []
    for _ in range(4):
        pacer.wait()
        sent_at.append(round(fake.now, 3))
    # Half a second apart (each wait sleeps in short slices, so that a cancel is seen at once).
    assert sent_at == [100.0, 100.5, 101.0, 101.5]


class FakeCloudTrail:
    """Pages of LookupEvents as the paginator yields them (NextToken on every page but the last)."""

    def __init__(self, entries: list[dict], page: int = 50) -> None:
        self.entries, self.page, self.calls = entries, page, []

    def get_paginator(self, name: str):
        assert name == "lookup_events"
        fake = self

        class Paginator:
            def paginate(self, **kwargs):
                fake.calls.append(kwargs)
                size = kwargs["PaginationConfig"]["PageSize"]
                for start in range(0, len(fake.entries), size):
                    page = {"Events": fake.entries[start:start + size]}
                    if start + size < len(fake.entries):
                        page["NextToken"] = f"t{start + size}"
                    yield page

        return Paginator()


def test_read_changes_looks_up_by_resource_name_keeps_writes_and_says_when_the_cap_was_hit() -> None:
    entries = [entry("DeleteNetworkAclEntry" if i % 2 else "DescribeNetworkAcls", i, read_only=not i % 2)
               for i in range(120)]
    fake = FakeCloudTrail(entries)
    timeline = read_changes(fake, [ACL], NOW - timedelta(hours=24), NOW, at_fault=[ACL], max_events=100)
    assert fake.calls[0]["LookupAttributes"] == [{"AttributeKey": "ResourceName", "AttributeValue": ACL}]
    assert timeline.read == 100 and timeline.capped
    assert len(timeline.changes) == 50  # the writes among the 100 read
    assert "Stopped after reading 100 events" in summary(timeline)


def test_the_components_at_fault_are_looked_up_first_and_the_list_is_bounded() -> None:
    names, over = ordered_resources(["acl-1", "sg-1"], ["i-1", "acl-1", "i-2"], limit=3)
    assert names == ["acl-1", "sg-1", "i-1"] and over == ["i-2"]
    assert lookup_names("arn:aws:iam::123456789012:role/deployer") == ["arn:aws:iam::123456789012:role/deployer",
                                                                        "deployer"]
    assert lookup_names("rds:orders-db") == ["orders-db"]
    fn = "arn:aws:lambda:us-east-1:123456789012:function:search-api"
    assert lookup_names(f"{fn}:$LATEST") == [fn, "search-api"]  # never "$LATEST" as a resource name
    assert lookup_names(f"{fn}:prod") == [fn, "search-api", f"{fn}:prod"]


def test_changes_hours_stops_at_cloudtrails_ninety_days() -> None:
    assert changes_hours("2160") == 2160
    with pytest.raises(ValueError, match="90 days"):
        changes_hours("2161")


def test_every_playbook_ends_with_the_corroborating_change_step() -> None:
    for name in ("ssh-timeout", "access-denied", "throttling", "lambda-oom", "slow-performance"):
        playbook = get_playbook(name)
        assert playbook.steps[-1] is CHANGE_STEP and not CHANGE_STEP.decides
        assert playbook.param("changes_hours") is not None
    assert with_change_step(get_playbook("ssh-timeout")) == get_playbook("ssh-timeout")


# --- the sandbox's LookupEvents by ResourceName ------------------------------------------------


def test_the_sandbox_answers_resource_name_lookups_from_the_scenarios_changes() -> None:
    specs = [{"readOnly": False, "eventName": "DeleteNetworkAclEntry", "eventSource": "ec2.amazonaws.com",
              "arn": ADMIN_SESSION, "requestParameters": {"networkAclId": ACL},
              "resources": [{"type": "AWS::EC2::NetworkAcl", "name": ACL}], "minutes_ago": 60},
             {"eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com", "minutes_ago": 1}]
    hit = ct_gap.answer({"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": ACL}]}, specs, NOW)
    assert [e["EventName"] for e in hit["Events"]] == ["DeleteNetworkAclEntry"]
    assert hit["Events"][0]["ReadOnly"] == "false"
    writes = ct_gap.answer({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]},
                           specs, NOW)
    assert [e["EventName"] for e in writes["Events"]] == ["DeleteNetworkAclEntry"]


# --- end to end --------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_ssh_timeout_demo_names_the_change_that_removed_the_rule_with_principal_and_time(sandbox) -> None:
    from diagnostics.sandbox import scenario_by_name
    from playbooks.workspace import raw_inputs

    seeded = sandbox.seed(scenario_by_name("ssh-nacl-return-traffic"))
    playbook = get_playbook("ssh-timeout")
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())
    acl = seeded.refs["nacl.web"]["id"]
    step = transcript.step("changes")
    assert step is not None and step.status == "warning" and not step.decides
    assert f"DeleteNetworkAclEntry on {acl} by arn:aws:iam::123456789012:role/platform-admin" in step.detail
    assert "not a proof" in step.detail
    suspect = [c for c in transcript.changes if c["suspect"]]
    assert len(suspect) == 1 and suspect[0]["resource"] == acl and suspect[0]["params"]["ruleNumber"] == "120"
    datetime.strptime(suspect[0]["at"], "%Y-%m-%dT%H:%M:%SZ")  # a UTC time
    assert transcript.verdict == "problem_found"
    data = json.loads(export(transcript, "json"))
    assert data["changes"][0]["event"] == "DeleteNetworkAclEntry"
    assert "## What changed" in export(transcript, "markdown")
    assert 'class="timeline"' in export(transcript, "html") and 'class="suspect"' in export(transcript, "html")
    assert "▶" in export(transcript, "text")


@pytest.mark.sandbox
def test_the_timeline_survives_the_journal(sandbox, tmp_path) -> None:
    from diagnostics.sandbox import scenario_by_name
    from playbooks.journal import Journal, read_journal
    from playbooks.workspace import raw_inputs

    seeded = sandbox.seed(scenario_by_name("ssh-nacl-return-traffic"))
    playbook = get_playbook("ssh-timeout")
    journal = Journal(tmp_path / "run.jsonl")
    live = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session(), [journal])
    journal.close()
    again = transcript_from_events(read_journal(tmp_path / "run.jsonl"))
    assert again.changes == live.changes and again.changes


def test_plain_moto_without_lookup_events_says_so_in_one_line_and_keeps_the_verdict(plain_moto, monkeypatch) -> None:
    # The sandbox's fillers patch moto's classes process-wide; a plain server must not have them.
    from moto.cloudtrail.responses import CloudTrailResponse

    if hasattr(CloudTrailResponse, "lookup_events"):
        monkeypatch.delattr(CloudTrailResponse, "lookup_events")
    ec2 = plain_moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)[
        "Instances"][0]["InstanceId"]
    inputs = {"instance": instance, "source": "203.0.113.10/32"}
    with_step = get_playbook("ssh-timeout")
    from playbooks.ssh_timeout import PLAYBOOK as without_step

    transcript = run_playbook(with_step, parse_inputs(with_step, inputs), plain_moto.session())
    baseline = run_playbook(without_step, parse_inputs(without_step, inputs), plain_moto.session())
    step = transcript.step("changes")
    assert step is not None and step.status == "error"
    assert step.detail.startswith("Could not read the change history (cloudtrail:LookupEvents)")
    assert "\n" not in step.detail and "Traceback" not in step.detail
    assert transcript.verdict == baseline.verdict
    assert transcript.headline == baseline.headline
    assert transcript.changes == []


# Scenarios whose change is to a neighbour of the component at fault: the timeline shows it, and marks
# no suspect (the cause was no change to the component itself).
NO_SUSPECT = {"ssh-no-public-address": "RunInstances", "iam-explicit-deny-without-mfa": "CreateAccessKey"}


def _with_changes():
    from diagnostics.sandbox import load_scenarios

    return [s for s in load_scenarios() if s.gaps.get("changes")]


@pytest.mark.sandbox
@pytest.mark.parametrize("scenario", _with_changes(), ids=lambda s: s.name)
def test_each_broken_scenario_shows_its_change(sandbox, scenario) -> None:
    from playbooks.workspace import raw_inputs

    seeded = sandbox.seed(scenario)
    playbook = get_playbook(scenario.playbook)
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())
    assert transcript.changes, transcript.step("changes").detail
    suspects = {c["event"] for c in transcript.changes if c["suspect"]}
    if scenario.name in NO_SUSPECT:
        assert not suspects and NO_SUSPECT[scenario.name] in {c["event"] for c in transcript.changes}
    else:
        wanted = {spec["eventName"] for spec in scenario.gaps["changes"]}
        assert suspects == wanted
        at_fault = {f["resource"] for f in transcript.findings if f["severity"] == "error"}
        assert {c["resource"] for c in transcript.changes if c["suspect"]} <= {
            n for r in at_fault for n in lookup_names(r)}


def test_a_complete_read_with_no_write_is_an_answer_not_a_missing_source(monkeypatch) -> None:
    """CloudTrail read fine and found no write: the step is ``ok``, and nothing says "could not corroborate";
    only a read the cap stopped leaves the rest of the window unknown (``no_data``)."""
    from diagnostics.findings import Finding
    from diagnostics.session import sandbox_session
    from playbooks import changes as changes_module
    from playbooks.exporters import to_text
    from playbooks.model import Playbook, Step, StepOutcome

    blocked = Step("path", "Path?", "why", lambda c: StepOutcome(
        "problem", "The ACL drops the replies.", [Finding("NACL_BLOCKS", "error", ACL, "The ACL drops replies.")]))
    playbook = with_change_step(Playbook(name="t", title="T", purpose="p", params=(), steps=(blocked,)))
    session = sandbox_session("http://127.0.0.1:9")  # nothing listens: the read below is replaced

    for capped, status in ((False, "ok"), (True, "no_data")):
        monkeypatch.setattr(changes_module, "read_changes", lambda *a, capped=capped, **k: build_timeline(
            [], [ACL], 24, read=500, capped=capped, cap=500))
        transcript = run_playbook(playbook, {}, session)
        step = transcript.step("changes")
        assert step is not None and step.status == status, step.detail
        text = to_text(transcript)
        assert ("Could not corroborate" in text) is capped, text
        if capped:
            assert "nothing recorded" not in step.detail and "500 newest events" in step.detail
        else:
            assert "no successful write" in step.detail


# --- the names CloudTrail records (breaker_b fault 7) ----------------------------------------------

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-web/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api/b32ed884215eaed8"


@pytest.mark.parametrize(("given", "names"), [
    # awstriage's own shorthand is never a ResourceName: the part a service records is.
    ("alb:shop-web", ["shop-web"]),
    ("api:a1b2c3d4e5/prod", ["a1b2c3d4e5"]),
    ("dynamodb:orders", ["orders"]),
    ("table:orders", ["orders"]),
    ("cloudfront:E2QWRUHAPOMQZL", ["E2QWRUHAPOMQZL"]),
    ("stack:shop-prod", ["shop-prod"]),
    ("tg:shop-api", ["shop-api"]),
    ("lambda:orders-api:prod", ["orders-api"]),
    # ARNs: the ARN and the name, never the random suffix of a load balancer's or target group's ARN.
    (LB_ARN, [LB_ARN, "shop-web"]),
    (TG_ARN, [TG_ARN, "shop-api"]),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer",
     ["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "orders"]),
    ("arn:aws:rds:us-east-1:123456789012:db:orders-db",
     ["orders-db", "arn:aws:rds:us-east-1:123456789012:db:orders-db"]),
    ("arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod",
     ["a1b2c3d4e5", "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5"]),
    ("arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
     ["E2QWRUHAPOMQZL", "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"]),
    ("arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
     ["arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      "shop-prod"]),
    ("arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1b2c3d", ["sg-0a1b2c3d",
                                                                       "arn:aws:ec2:us-east-1:123456789012:"
                                                                       "security-group/sg-0a1b2c3d"]),
    # Event history never lists an object (data events) or a role session: the bucket and the role.
    ("arn:aws:s3:::acme-reports/2026/q3.csv", ["acme-reports", "arn:aws:s3:::acme-reports"]),
    ("arn:aws:sts::123456789012:assumed-role/reporting/nightly",
     ["reporting", "arn:aws:iam::123456789012:role/reporting"]),
    ("arn:aws:s3:::acme-reports", ["arn:aws:s3:::acme-reports", "acme-reports"]),
    # Nothing CloudTrail lists by name: not looked up at all.
    ("https://backend.example.com/orders", []),
    ("192.0.2.10", []),
    ("*", []),
])
def test_each_resource_is_looked_up_under_the_names_cloudtrail_records(given, names) -> None:
    assert lookup_names(given) == names


def test_a_function_parameter_is_the_function_whatever_its_form() -> None:
    assert lookup_names("orders-api:prod", function=True) == ["orders-api"]
    assert lookup_names("123456789012:function:orders-api", function=True) == ["orders-api"]
    assert cloudtrail_names("10.0.1.7").why_not


def test_a_resource_that_could_not_be_looked_up_is_said_never_nothing_changed_it() -> None:
    words = summary(build_timeline([], [TG_ARN, "shop-api"], 24, unnamed=["https://backend.example.com/orders"]))
    assert "https://backend.example.com/orders not looked up: no CloudTrail event lists it by name" in words
    assert f"listed under {TG_ARN}, shop-api" in words
    assert "alb:" not in words


def test_an_object_and_a_role_session_say_what_they_were_looked_up_as() -> None:
    """breaker_c N6: the object's key and the session name were looked up, then "nothing changed it"."""
    obj = cloudtrail_names("arn:aws:s3:::acme-reports/2026/q3.csv")
    assert "looked up as its bucket acme-reports" in obj.note and "data events" in obj.note
    session = cloudtrail_names("arn:aws:sts::123456789012:assumed-role/reporting/nightly")
    assert "role session nightly" in session.note and "as its role reporting" in session.note
    assert session.region == "us-east-1"  # IAM's changes are recorded there


@pytest.mark.sandbox
def test_the_demo_change_step_looks_up_the_bucket_and_role_and_says_so(sandbox) -> None:
    from diagnostics.sandbox import load_scenarios
    from playbooks.workspace import raw_inputs

    [scenario] = [s for s in load_scenarios() if s.name == "iam-action-typo"]
    seeded = sandbox.seed(scenario)
    playbook = get_playbook(scenario.playbook)
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())
    step = transcript.step("changes")
    assert step is not None and "q3.csv," not in step.detail and "nightly," not in step.detail, step.detail
    assert "acme-reports" in step.detail and "arn:aws:iam::123456789012:role/reporting" in step.detail
    assert "looked up as its bucket acme-reports" in step.detail and "as its role reporting" in step.detail


def test_iam_sts_and_cloudfront_are_looked_up_where_cloudtrail_records_them() -> None:
    assert cloudtrail_names("arn:aws:iam::123456789012:role/deployer").region == "us-east-1"
    assert cloudtrail_names("arn:aws-cn:iam::123456789012:role/deployer").region == "cn-north-1"
    assert cloudtrail_names("cloudfront:E2QWRUHAPOMQZL").region == "us-east-1"
    assert cloudtrail_names(LB_ARN).region == ""


def test_a_role_at_fault_is_looked_up_in_us_east_1_from_a_run_in_another_region(monkeypatch) -> None:
    """Since November 2021 IAM's changes are in us-east-1's event history only: looked up in eu-west-1, a
    role's history is always empty, and the step said "nothing changed it"."""
    from diagnostics.findings import Finding
    from diagnostics.session import sandbox_session
    from playbooks import changes as changes_module
    from playbooks.model import Playbook, Step, StepOutcome

    role = "arn:aws:iam::123456789012:role/deployer"
    denied = Step("policy", "Policy?", "why", lambda c: StepOutcome(
        "problem", "The role's policy denies it.", [Finding("EXPLICIT_DENY", "error", role, "Denied.")]))
    playbook = with_change_step(Playbook(name="t", title="T", purpose="p", params=(), steps=(denied,)))
    asked: list[tuple[str, str]] = []

    def lookup(client, name, _start, _end, _budget=500):
        asked.append((name, client.meta.region_name))
        return [], False

    monkeypatch.setattr(changes_module, "lookup_resource", lookup)
    transcript = run_playbook(playbook, {}, sandbox_session("http://127.0.0.1:9", region="eu-west-1"))
    assert sorted(asked) == [(role, "us-east-1"), ("deployer", "us-east-1")], asked
    step = transcript.step("changes")
    assert step is not None and "looked up in us-east-1, where CloudTrail records IAM" in step.detail, step.detail
