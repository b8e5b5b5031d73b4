"""Recent denials from CloudTrail, AWS's Access Troubleshooter, and the new sandbox worlds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudtrail.events import ApiEvent
from diagnostics.iam.denials import group_denials, pick, read_denial
from diagnostics.iam.troubleshooter import compare, denying_policy_uris, read_details
from diagnostics.sandbox.scenario import scenario_by_name
from playbooks.access_denied import PLAYBOOK
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LOADER = "arn:aws:iam::123456789012:user/loader"


def event(minutes: int, op: str, code: str = "", message: str = "", source: str = "s3.amazonaws.com",
          event_id: str = "", resources: tuple[str, ...] = ()) -> ApiEvent:
    return ApiEvent(NOW - timedelta(minutes=minutes), source, op, LOADER, LOADER, error_code=code,
                    error_message=message, event_id=event_id or f"e-{minutes}", resources=resources)


def test_denials_are_grouped_newest_first_and_read_like_pasted_messages() -> None:
    put = (f'User: {LOADER} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no '
           "identity-based policy allows the s3:PutObject action")
    events = [event(5, "PutObject", "AccessDenied", put), event(9, "PutObject", "AccessDenied", put),
              event(1, "GetObject"),  # worked: not a denial
              event(60, "DescribeInstances", "UnauthorizedOperation", "You are not authorized to perform this "
                    "operation.", source="ec2.amazonaws.com"),
              event(30, "GetObject", "AccessDenied", "Access Denied", resources=("arn:aws:s3:::b/other",))]
    groups = group_denials(events)
    assert [(g.action, g.resource, g.count) for g in groups] == [
        ("s3:PutObject", "arn:aws:s3:::b/k", 2), ("s3:GetObject", "arn:aws:s3:::b/other", 1),
        ("ec2:DescribeInstances", "(no resource named)", 1)]
    assert pick(events, None).event.event_id == "e-5"
    picked = pick(events, "e-60")
    assert (picked.action, picked.resource, picked.principal) == ("ec2:DescribeInstances", None, LOADER)
    assert pick(events, "nope") is None
    assert read_denial(events[4]).resource == "arn:aws:s3:::b/other"  # S3's bare message: the event's resources


ANSWER = {"evaluations": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "evaluatedEffect": "EXPLICIT_DENY",
                           "checks": [
                               {"checkType": "SERVICE_CONTROL_POLICY", "evaluatedEffect": "EXPLICIT_DENY",
                                "matchedPolicies": [{"uri": "p-1", "matchedStatements": [
                                    {"sid": "NoS3", "evaluatedEffect": "DENY"}]}]},
                               {"checkType": "PRINCIPAL", "evaluatedEffect": "ALLOW"},
                               {"checkType": "VPC_ENDPOINT", "evaluatedEffect": "NO_IMPACT"}]}]}


def test_the_troubleshooters_checks_are_compared_type_by_type() -> None:
    [evaluated] = read_details(ANSWER)
    assert [c.policy_type for c in evaluated.checks] == ["scp", "identity", "vpce"]
    assert evaluated.checks[0].matched == ("p-1 (sid NoS3: DENY)",)
    result = {c.policy_type: c.agrees for c in compare(evaluated, {"identity": "allow", "scp": "allow",
                                                                   "vpce": "absent"})}
    assert result == {"scp": False, "identity": True, "vpce": True}
    assert compare(evaluated, {"identity": "allow"})[0].agrees is None  # scp not checked here
    assert denying_policy_uris(ANSWER) == ["p-1"]


def run_scenario(sandbox, name: str, **extra: str):
    seeded = sandbox.seed(scenario_by_name(name))
    raw = {k: [str(v)] for k, v in {**seeded.inputs, **extra}.items()}
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, raw), sandbox.session())


@pytest.mark.sandbox
def test_no_parameters_lists_the_denials_and_diagnoses_the_newest(sandbox) -> None:
    transcript = run_scenario(sandbox, "iam-recent-denials")
    request = transcript.step("request")
    assert "2 denied kinds of call" in request.detail and "Diagnosing the newest" in request.detail
    assert "s3:PutObject" in request.detail and "ec2:DescribeInstances" in request.detail
    assert transcript.verdict == "problem_found"


@pytest.mark.sandbox
def test_param_event_picks_another_denial(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-recent-denials"))
    cloudtrail = sandbox.admin_client("cloudtrail")
    events = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                          "AttributeValue": "DescribeInstances"}])["Events"]
    older = events[0]["EventId"]
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"event": [older], **{
        k: [str(v)] for k, v in seeded.inputs.items()}}), sandbox.session())
    request = transcript.step("request")
    assert f"Diagnosing the one picked: event {older}" in request.detail
    # The event names no resource, and ec2:DescribeInstances acts on no resource type (Service
    # Authorization Reference): IAM authorizes it on "*", so it is evaluated there, never left incomplete.
    assert request.status == "ok" and "ec2:DescribeInstances on *" in request.detail, request.detail
    assert transcript.step("decision").status in ("problem", "ok")


@pytest.mark.sandbox
def test_the_troubleshooter_agrees_in_the_authorization_id_world(sandbox) -> None:
    transcript = run_scenario(sandbox, "iam-authorization-id")
    step = transcript.step("access-troubleshooter")
    assert step.status == "ok" and "EXPLICIT_DENY" in step.detail and "agrees" in step.detail
    assert "as they were at the denial" in step.detail


@pytest.mark.sandbox
def test_a_troubleshooter_that_disagrees_is_a_warning_finding(sandbox) -> None:
    scenario = scenario_by_name("iam-authorization-id")
    gaps = json.loads(json.dumps(scenario.gaps))
    gaps["access_troubleshooter"]["a1b2c3d4e5f6a7b8c9d0"]["evaluations"][0]["checks"][0]["evaluatedEffect"] = "ALLOW"
    from diagnostics.sandbox.scenario import Scenario

    seeded = sandbox.seed(Scenario(**{**scenario.__dict__, "gaps": gaps}))
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {k: [str(v)] for k, v in seeded.inputs.items()}),
                              sandbox.session())
    step = transcript.step("access-troubleshooter")
    assert step.status == "warning"
    [finding] = [f for f in transcript.findings if f["code"] == "IAM_TROUBLESHOOTER_DISAGREES"]
    assert finding["severity"] == "warning" and "DISAGREES" in finding["summary"]
    assert transcript.verdict == "problem_found"  # the explicit deny still decides


@pytest.mark.sandbox
def test_an_unknown_authorization_id_is_one_line_and_changes_nothing(sandbox) -> None:
    scenario = scenario_by_name("iam-authorization-id")
    from diagnostics.sandbox.scenario import Scenario

    seeded = sandbox.seed(Scenario(**{**scenario.__dict__, "gaps": {}}))
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {k: [str(v)] for k, v in seeded.inputs.items()}),
                              sandbox.session())
    step = transcript.step("access-troubleshooter")
    assert step.status == "error" and "could not be asked" in step.detail and "\n" not in step.detail
    assert [s.id for s in transcript.uncorroborated] == ["access-troubleshooter"]
    assert transcript.verdict == "problem_found"


@pytest.mark.sandbox
def test_the_scp_member_account_world_names_the_scp_not_allowed(sandbox) -> None:
    transcript = run_scenario(sandbox, "iam-scp-member-account")
    assert transcript.step("scps").status == "warning" and "not checked" in transcript.step("scps").detail
    decision = transcript.step("decision")
    assert decision.status == "problem" and "AWS's word stands" in decision.detail
    assert "management account" in decision.detail and "allows it" in decision.detail


@pytest.mark.sandbox
def test_cli_with_no_parameters_lists_the_denials_and_diagnoses_the_newest() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "awstriage", "run", "access-denied", "--demo", "--scenario",
                           "iam-recent-denials", "--format", "json"], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    transcript = json.loads(done.stdout)
    assert transcript["inputs"] == {} or not any(transcript["inputs"].get(k) for k in ("action", "resource", "error"))
    request = next(s for s in transcript["steps"] if s["id"] == "request")
    assert "Diagnosing the newest" in request["detail"]
    assert [f["code"] for f in transcript["findings"] if f["severity"] == "error"] == ["IAM_NO_ALLOW"]
