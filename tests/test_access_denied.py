"""The access-denied playbook: the request from parameters or a pasted error, the collector over the
sandbox (moto plus the IAM gap module), the decision's one finding, the simulator cross-check, the
read-only promise, and the CLI against a moto server through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from diagnostics.iam.collect import (
    ManagedPolicyReader,
    PrincipalError,
    boundary_policy,
    identity_policies,
    organization_rcps,
    organization_scps,
    resolve_principal,
    resource_policy,
    simulate_principal,
)
from diagnostics.iam.request import context_of, understand
from diagnostics.readonly import is_read_only
from diagnostics.sandbox.scenario import Scenario, scenario_by_name
from playbooks.access_denied import PLAYBOOK, resource_arn
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/developer-boundary"
OBJECT = "arn:aws:s3:::acme-reports/2026/q1-revenue.csv"
READ_OBJECTS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports/*"}]}


def world(*resources: dict, gaps_data: dict | None = None) -> Scenario:
    return Scenario(name="test", playbook="access-denied", title="test", story="", look_for="", default=False,
                    inputs={}, resources=list(resources), expect=[], verdict="problem_found",
                    gaps=gaps_data or {})


def run(sandbox, **inputs):
    raw = {k: v if isinstance(v, list) else [v] for k, v in inputs.items()}
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, raw), sandbox.session())


def decision_findings(transcript) -> list[dict]:
    return [f for f in transcript.findings if "decision" in f["evidence"]]


# --- understanding the request (no AWS) --------------------------------------------------------


def test_params_alone_make_the_request() -> None:
    ask = understand({"principal": ALICE, "action": "s3:GetObject", "resource": OBJECT,
                      "context": [("aws:SourceIp", "203.0.113.7")]}, caller_arn=None)
    assert (ask.principal, ask.action, ask.resource) == (ALICE, "s3:GetObject", OBJECT)
    assert ask.context == {"aws:SourceIp": "203.0.113.7"} and not ask.missing() and ask.denial is None


def test_the_caller_is_the_default_principal() -> None:
    ask = understand({"action": "s3:GetObject", "resource": OBJECT}, caller_arn=ALICE)
    assert ask.principal == ALICE and any("caller" in n for n in ask.notes)


@pytest.mark.parametrize(("message", "policy_type", "explicit", "policy_arn"), [
    (f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: \"{OBJECT}\" because no "
     "permissions boundary allows the s3:GetObject action", "boundary", False, None),
    (f"An error occurred (AccessDenied) when calling the GetObject operation: User: {ALICE} is not authorized "
     f"to perform: s3:GetObject on resource: \"{OBJECT}\" because no identity-based policy allows the "
     "s3:GetObject action", "identity", False, None),
    (f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} with an explicit deny "
     f"in an identity-based policy: arn:aws:iam::{ACCOUNT}:policy/deny-all", "identity", True,
     f"arn:aws:iam::{ACCOUNT}:policy/deny-all"),
    (f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} with an explicit deny "
     "in a service control policy", "scp", True, None),
])
def test_the_error_message_fills_in_the_request(message, policy_type, explicit, policy_arn) -> None:
    ask = understand({"error": message}, caller_arn="arn:aws:iam::123456789012:user/someone-else")
    assert (ask.principal, ask.action, ask.resource) == (ALICE, "s3:GetObject", OBJECT)
    assert ask.denial is not None
    assert (ask.denial.policy_type, ask.denial.explicit, ask.denial.policy_arn) == (policy_type, explicit, policy_arn)


def test_explicit_params_win_over_the_error_and_say_so() -> None:
    message = f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT}"
    ask = understand({"error": message, "action": "s3:PutObject"}, caller_arn=None)
    assert ask.action == "s3:PutObject" and ask.resource == OBJECT
    assert any("the parameter wins" in n for n in ask.notes)


def test_an_encoded_message_is_decoded_and_its_context_kept() -> None:
    decoded = {"allowed": False, "explicitDeny": False, "context": {
        "principal": {"arn": ALICE}, "action": "ec2:RunInstances",
        "resource": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*",
        "conditions": {"items": [{"key": "ec2:InstanceType", "values": {"items": [{"value": "p4d.24xlarge"}]}}]}}}
    seen = []

    def decode(blob: str) -> str:
        seen.append(blob)
        return json.dumps(decoded)

    ask = understand({"error": "You are not authorized to perform this operation. Encoded authorization failure "
                               "message: AbC-123_xyz"}, caller_arn=None, decode=decode)
    assert seen == ["AbC-123_xyz"]
    assert (ask.principal, ask.action) == (ALICE, "ec2:RunInstances")
    assert ask.context == {"ec2:InstanceType": "p4d.24xlarge"}


def test_an_unreadable_error_is_a_warning_and_the_params_still_count() -> None:
    ask = understand({"error": "something broke", "action": "s3:GetObject", "resource": OBJECT}, caller_arn=ALICE)
    assert (ask.principal, ask.action, ask.resource) == (ALICE, "s3:GetObject", OBJECT)
    assert ask.denial is None and len(ask.warnings) == 1 and "does not look like an AWS denial" in ask.warnings[0]


def test_a_request_without_action_or_resource_says_what_is_missing() -> None:
    assert understand({"principal": ALICE}, caller_arn=None).missing() == ["action", "resource"]


def test_repeated_context_keys_become_lists_and_star_is_a_resource() -> None:
    assert context_of([("k", "a"), ("k", "b"), ("j", "c")]) == {"k": ["a", "b"], "j": "c"}
    assert resource_arn(" * ") == "*"
    with pytest.raises(ValueError, match="is not an ARN"):
        resource_arn("acme-reports")


# --- the collector over the sandbox --------------------------------------------------------------

BOUNDARY_POLICY = {"type": "iam.policy", "ref": "boundary", "name": "developer-boundary",
                   "file": "developer-boundary.json"}
SHARED = {"type": "iam.policy", "ref": "shared", "name": "shared-read", "document": READ_OBJECTS}


@pytest.mark.sandbox
def test_a_users_inline_attached_and_group_policies_boundary_and_tags(sandbox) -> None:
    sandbox.seed(world(
        BOUNDARY_POLICY, SHARED,
        {"type": "iam.group", "ref": "g", "name": "analysts", "managed_policies": ["${policy.shared}"],
         "inline_policies": {"group-inline": READ_OBJECTS}},
        {"type": "iam.user", "ref": "alice", "name": "alice", "path": "/data/", "boundary": "${policy.boundary}",
         "tags": {"team": "data"}, "groups": ["${group.g}"], "managed_policies": ["${policy.shared}"],
         "inline_policies": {"own": READ_OBJECTS}},
    ))
    session = sandbox.session()
    iam = session.client("iam")
    principal = resolve_principal(iam, ALICE, ACCOUNT)  # given without its path
    assert principal.arn == f"arn:aws:iam::{ACCOUNT}:user/data/alice"
    assert principal.boundary_arn == BOUNDARY and principal.tags == {"team": "data"}
    reader = ManagedPolicyReader(iam)
    policies = identity_policies(iam, principal, reader)
    assert [(p.name, p.attached_to) for p in policies] == [
        ("own", "user alice"), (f"arn:aws:iam::{ACCOUNT}:policy/shared-read", "user alice"),
        ("group-inline", "group analysts"), (f"arn:aws:iam::{ACCOUNT}:policy/shared-read", "group analysts")]
    boundary = boundary_policy(iam, principal, reader)
    assert boundary is not None and boundary.type == "boundary" and boundary.arn == BOUNDARY
    reads = [c for c in session.call_log.calls if c.operation == "GetPolicyVersion"]
    assert len(reads) == 2, "a managed policy attached twice is read once"


@pytest.mark.sandbox
def test_an_assumed_role_session_maps_to_its_role(sandbox) -> None:
    sandbox.seed(world(SHARED, {"type": "iam.role", "ref": "r", "name": "reader", "path": "/apps/",
                                "managed_policies": ["${policy.shared}"], "boundary": "${policy.shared}"}))
    iam = sandbox.session().client("iam")
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-42"
    principal = resolve_principal(iam, session_arn, ACCOUNT)
    assert principal.kind == "assumed-role" and principal.arn == session_arn
    assert principal.entity_arn == f"arn:aws:iam::{ACCOUNT}:role/apps/reader"
    assert principal.boundary_arn and principal.trust_policy
    assert [p.attached_to for p in identity_policies(iam, principal)] == ["role reader"]


@pytest.mark.sandbox
@pytest.mark.parametrize(("arn", "caller", "message"), [
    (f"arn:aws:iam::{ACCOUNT}:user/nobody", ACCOUNT, "There is no IAM user named nobody"),
    (f"arn:aws:iam::{ACCOUNT}:role/nothing", ACCOUNT, "There is no IAM role named nothing"),
    ("arn:aws:iam::210987654321:user/alice", ACCOUNT, "credentials belong to account 123456789012"),
    (f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "root user"),
])
def test_a_principal_that_cannot_be_read_is_one_sentence(sandbox, arn, caller, message) -> None:
    sandbox.seed(world())
    with pytest.raises(PrincipalError, match=message):
        resolve_principal(sandbox.session().client("iam"), arn, caller)


@pytest.mark.sandbox
def test_resource_policies_by_service(sandbox) -> None:
    bucket_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::with-policy/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    seeded = sandbox.seed(world(
        {"type": "s3.bucket", "ref": "a", "name": "with-policy", "policy": bucket_policy},
        {"type": "s3.bucket", "ref": "b", "name": "without-policy"},
        {"type": "kms.key", "ref": "k", "description": "test key"},
        {"type": "iam.role", "ref": "r", "name": "deployer"},
    ))
    admin = sandbox.admin_client
    queue_url = admin("sqs").create_queue(QueueName="jobs", Attributes={"Policy": json.dumps(READ_OBJECTS)})["QueueUrl"]
    assert queue_url
    topic = admin("sns").create_topic(Name="alerts")["TopicArn"]
    secret = admin("secretsmanager").create_secret(Name="db", SecretString="hunter2")["ARN"]
    admin("secretsmanager").put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps(READ_OBJECTS))
    client = sandbox.session().client
    region = sandbox.region

    read = resource_policy(client, "arn:aws:s3:::with-policy/a/b.txt", "s3:GetObject", region)
    assert (read.status, read.kind, read.holder_arn) == ("read", "bucket policy", "arn:aws:s3:::with-policy")
    assert read.policy is not None and read.policy.name == "arn:aws:s3:::with-policy"
    assert read.policy.document["Statement"][0]["Effect"] == "Deny"
    assert resource_policy(client, "arn:aws:s3:::without-policy/x", "s3:GetObject", region).status == "none"
    assert resource_policy(client, "arn:aws:s3:::no-such-bucket-here/x", "s3:GetObject", region).status == "missing"
    key = resource_policy(client, seeded.refs["key.k"]["arn"], "kms:Decrypt", region)
    assert key.status == "read" and key.kind == "key policy"
    queue = resource_policy(client, f"arn:aws:sqs:{region}:{ACCOUNT}:jobs", "sqs:SendMessage", region)
    assert queue.status == "read" and queue.kind == "queue policy"
    assert resource_policy(client, topic, "sns:Publish", region).kind == "topic policy"
    assert resource_policy(client, secret, "secretsmanager:GetSecretValue", region).status == "read"
    trust = resource_policy(client, seeded.refs["role.r"]["arn"], "sts:AssumeRole", region)
    assert trust.status == "read" and trust.kind == "trust policy"
    assert trust.policy.document["Statement"][0]["Action"] == "sts:AssumeRole"
    assert resource_policy(client, seeded.refs["role.r"]["arn"], "iam:PassRole", region).status == "unsupported"
    assert resource_policy(client, f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-0abc", "ec2:StopInstances",
                           region).status == "unsupported"
    assert resource_policy(client, "*", "ec2:DescribeInstances", region).status == "unsupported"
    elsewhere = resource_policy(client, f"arn:aws:sqs:eu-west-1:{ACCOUNT}:jobs", "sqs:SendMessage", region)
    assert elsewhere.status == "unreadable" and "--region eu-west-1" in elsewhere.detail


@pytest.mark.sandbox
def test_a_lambda_function_without_a_policy_is_told_from_a_missing_one(sandbox) -> None:
    seeded = sandbox.seed(world({"type": "lambda.function", "ref": "f", "name": "worker"}))
    client = sandbox.session().client
    arn = seeded.refs["function.f"]["arn"]
    assert resource_policy(client, arn, "lambda:InvokeFunction", sandbox.region).status == "none"
    gone = arn.replace("worker", "gone")
    assert resource_policy(client, gone, "lambda:InvokeFunction", sandbox.region).status == "missing"


@pytest.mark.sandbox
def test_no_organization_means_no_scps(sandbox) -> None:
    sandbox.seed(world())
    read = organization_scps(sandbox.session().client("organizations"), ACCOUNT)
    assert read.status == "none" and read.policies == () and "not in an AWS Organization" in read.detail


@pytest.mark.sandbox
def test_scps_are_read_level_by_level_for_a_member_account(sandbox) -> None:
    sandbox.seed(world())
    org = sandbox.admin_client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    member = org.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Regions", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
    policy = org.create_policy(Name="regions", Description="", Type="SERVICE_CONTROL_POLICY",
                               Content=json.dumps(deny))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=policy["Id"], TargetId=ou)
    read = organization_scps(sandbox.session().client("organizations"), member)
    assert read.status == "read", read.detail
    assert read.levels == (f"account {member}", f"ou {ou}", f"root {root}")
    regions = [p for p in read.policies if p.name == "regions"]
    assert regions and regions[0].attached_to == f"ou {ou}" and regions[0].arn == policy["Arn"]
    assert {p.attached_to.split()[0] for p in read.policies} == {"account", "ou", "root"}  # FullAWSAccess too
    management = organization_scps(sandbox.session().client("organizations"), ACCOUNT)
    assert management.status == "management" and management.policies == ()


@pytest.mark.sandbox
def test_rcps_of_a_member_account_are_read_and_their_deny_decides(sandbox) -> None:
    from diagnostics.iam import Policy, PolicySet, Request, evaluate

    sandbox.seed(world())
    org = sandbox.admin_client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    member = org.create_account(AccountName="data", Email="data@example.com")["CreateAccountStatus"]["AccountId"]
    perimeter = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-mine"}}}]}
    policy = org.create_policy(Name="data-perimeter", Description="", Type="RESOURCE_CONTROL_POLICY",
                               Content=json.dumps(perimeter))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=policy["Id"], TargetId=member)
    read = organization_rcps(sandbox.session().client("organizations"), member)
    assert read.status == "read", read.detail
    assert {p.name for p in read.policies} >= {"data-perimeter", "RCPFullAWSAccess"}
    assert all(p.type == "rcp" for p in read.policies)
    key = f"arn:aws:kms:us-east-1:{member}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    outsider = "arn:aws:iam::999988887777:role/vendor"
    allow_all = Policy("vendor", "identity", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
    key_policy = Policy("key", "resource", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": outsider}, "Action": "kms:Decrypt", "Resource": "*"}]})
    request = Request(outsider, "kms:Decrypt", key, {"aws:PrincipalOrgID": "o-vendor"})
    evaluation = evaluate(request, PolicySet(identity=(allow_all,), resource=key_policy, rcps=read.policies))
    assert evaluation.decision == "explicitDeny" and evaluation.deciding[0].policy == "data-perimeter"
    assert organization_rcps(sandbox.session().client("organizations"), ACCOUNT).status == "management"


@pytest.mark.sandbox
def test_the_guardrail_step_reads_rcps_only_for_services_they_cover(sandbox) -> None:
    scenario = scenario_by_name("iam-boundary-hides-allow")
    seeded = sandbox.seed(scenario)
    transcript = run(sandbox, **{k: v for k, v in seeded.inputs.items()})
    detail = transcript.step("scps").detail
    assert detail == f"Account {ACCOUNT} is not in an AWS Organization, so no SCPs or RCPs apply."
    ec2 = run(sandbox, principal=ALICE, action="ec2:DescribeInstances", resource="*")
    assert "Resource control policies do not apply to ec2" in ec2.step("scps").detail


@pytest.mark.sandbox
def test_the_sandbox_simulator_answers_from_the_stored_policies(sandbox) -> None:
    sandbox.seed(scenario_by_name("iam-boundary-hides-allow"))
    iam = sandbox.session().client("iam")
    answer = simulate_principal(iam, ALICE, "s3:GetObject", OBJECT, {"aws:SourceIp": "203.0.113.7"})
    assert answer.decision == "implicitDeny" and answer.allowed_by_boundary is False
    assert "read-reports" in answer.matched
    assert simulate_principal(iam, ALICE, "ec2:DescribeInstances", "*", {}).decision == "implicitDeny"


# --- the playbook end to end -----------------------------------------------------------------------


@pytest.mark.sandbox
def test_the_pasted_error_alone_drives_the_diagnosis(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-boundary-hides-allow"))
    transcript = run(sandbox, error=seeded.inputs["error"])
    [finding] = decision_findings(transcript)
    assert finding["code"] == "IAM_BOUNDARY_BLOCKS" and finding["resource"] == BOUNDARY
    evidence = finding["evidence"]
    assert evidence["decision"] == "implicitDeny" and evidence["aws_message"]["policy_type"] == "boundary"
    assert evidence["per_type"]["boundary"] == "implicitDeny" and evidence["per_type"]["identity"] == "allow"
    assert evidence["blocking_types"] == ["boundary"]
    assert any(m["kind"] == "boundary-lacks-action" for m in evidence["near_misses"])
    assert evidence["fix"]["statement"]["Action"] == "s3:GetObject"
    assert any(c.startswith("aws iam put-user-permissions-boundary") for c in finding["remediation"])
    assert not any(c.startswith("aws iam create-policy-version") for c in finding["remediation"])
    assert any(c.startswith("aws iam create-policy-version --policy-arn " + BOUNDARY)
               for alt in finding["alternatives"] for c in alt["commands"])
    assert transcript.verdict == "problem_found"
    assert {s.id: s.status for s in transcript.steps}["simulator"] == "ok"


@pytest.mark.sandbox
def test_explicit_deny_names_the_statement_and_the_narrowed_deny(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-explicit-deny-without-mfa"))
    transcript = run(sandbox, principal=seeded.inputs["principal"], action="s3:PutObject",
                     resource=seeded.inputs["resource"], context=["aws:MultiFactorAuthPresent=false"])
    [finding] = decision_findings(transcript)
    assert (finding["code"], finding["resource"], finding["severity"]) == (
        "IAM_EXPLICIT_DENY", "deny-without-mfa", "error")
    statement = finding["evidence"]["statement"]
    assert (statement["sid"], statement["index"], statement["policy_type"]) == ("DenyAllWithoutMFA", 0, "identity")
    # Meeting the MFA guard is the fix; exempting the user from it is only an alternative that says so.
    assert not any(c.startswith("aws ") for c in finding["remediation"])
    assert "get-session-token" in " ".join(finding["remediation"])
    [exempt] = finding["alternatives"]
    assert any("put-group-policy --group-name developers" in c for c in exempt["commands"])
    assert "exempts" in exempt["disrupts"] and "aws:MultiFactorAuthPresent" in exempt["disrupts"]
    # With MFA the deny's condition no longer holds and the user's own allow decides.
    allowed = run(sandbox, principal=seeded.inputs["principal"], action="s3:PutObject",
                  resource=seeded.inputs["resource"], context=["aws:MultiFactorAuthPresent=true"])
    [finding] = decision_findings(allowed)
    assert finding["code"] == "IAM_ALLOWED" and allowed.verdict == "no_problem_found"


@pytest.mark.sandbox
def test_a_principal_alone_searches_its_recent_denials_and_says_when_there_are_none(sandbox) -> None:
    sandbox.seed(scenario_by_name("iam-boundary-hides-allow"))
    transcript = run(sandbox, principal=ALICE)
    request = transcript.step("request")
    assert request.status == "no_data" and f"no denied call by {ALICE}" in request.detail
    assert "--param error=" in request.detail
    assert transcript.step("decision").status == "skipped"
    assert transcript.verdict == "incomplete" and not transcript.findings
    assert all("Traceback" not in s.detail for s in transcript.steps)


@pytest.mark.sandbox
def test_an_unknown_principal_ends_incomplete_with_a_sentence(sandbox) -> None:
    sandbox.seed(scenario_by_name("iam-boundary-hides-allow"))
    transcript = run(sandbox, principal=f"arn:aws:iam::{ACCOUNT}:user/nobody", action="s3:GetObject",
                     resource=OBJECT)
    assert transcript.step("identity-policies").status == "error"
    assert "There is no IAM user named nobody" in transcript.step("identity-policies").detail
    assert transcript.step("decision").status == "skipped" and transcript.verdict == "incomplete"


@pytest.mark.sandbox
def test_an_encoded_ec2_message_is_decoded_through_sts(sandbox) -> None:
    decoded = {"allowed": False, "explicitDeny": False, "context": {
        "principal": {"id": "AIDA", "arn": ALICE}, "action": "s3:GetObject", "resource": OBJECT,
        "conditions": {"items": []}}}
    scenario = scenario_by_name("iam-boundary-hides-allow")
    sandbox.seed(Scenario(**{**scenario.__dict__, "gaps": {"authorization_messages": {"blob-1": decoded}}}))
    transcript = run(sandbox, error="Encoded authorization failure message: blob-1")
    assert "DecodeAuthorizationMessage" in transcript.step("request").detail
    assert decision_findings(transcript)[0]["code"] == "IAM_BOUNDARY_BLOCKS"
    unknown = run(sandbox, error="Encoded authorization failure message: blob-2")
    assert unknown.step("request").status == "error" and "Could not decode" in unknown.step("request").detail


@pytest.mark.sandbox
def test_a_simulator_that_disagrees_is_shown_as_a_warning(sandbox) -> None:
    scenario = scenario_by_name("iam-boundary-hides-allow")
    sandbox.seed(Scenario(**{**scenario.__dict__, "gaps": {"iam_simulator": {"decision": "allowed"}}}))
    transcript = run(sandbox, principal=ALICE, action="s3:GetObject", resource=OBJECT)
    assert transcript.step("simulator").status == "warning"
    disagreement = [f for f in transcript.findings if f["code"] == "IAM_SIMULATOR_DISAGREES"]
    assert disagreement and disagreement[0]["severity"] == "warning"
    assert disagreement[0]["evidence"]["simulator_decision"] == "allowed"
    assert disagreement[0]["evidence"]["awstriage_decision"] == "implicitDeny"
    assert len(decision_findings(transcript)) == 1


@pytest.mark.sandbox
def test_a_simulator_without_permission_is_not_corroborated_and_changes_nothing(sandbox) -> None:
    scenario = scenario_by_name("iam-boundary-hides-allow")
    sandbox.seed(Scenario(**{**scenario.__dict__, "gaps": {"iam_simulator": {"access_denied": True}}}))
    transcript = run(sandbox, principal=ALICE, action="s3:GetObject", resource=OBJECT)
    step = transcript.step("simulator")
    assert step.status == "error" and "iam:SimulatePrincipalPolicy" in step.detail
    assert [s.id for s in transcript.uncorroborated] == ["simulator"]
    assert transcript.verdict == "problem_found"


@pytest.mark.sandbox
def test_every_call_is_a_read(sandbox) -> None:
    for name in ("iam-boundary-hides-allow", "iam-allowed-role-session", "iam-explicit-deny-without-mfa"):
        seeded = sandbox.seed(scenario_by_name(name))
        raw = {k: v if isinstance(v, list) else [str(v)] for k, v in seeded.inputs.items()}
        transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, raw), sandbox.session())
        calls = transcript.api_calls
        assert calls
        assert all(is_read_only(c["service"], c["operation"]) for c in calls), calls
        assert not [c for c in calls if c.get("error") == "ReadOnlyViolation"]


# --- the command line against a moto server ----------------------------------------------------------


def _cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    return subprocess.run([sys.executable, "-m", "awstriage", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=env)


@pytest.mark.sandbox
def test_cli_denied_names_the_deciding_policy_and_exits_1(sandbox) -> None:
    sandbox.seed(scenario_by_name("iam-boundary-hides-allow"))
    result = _cli(sandbox.endpoint_url, "run", "access-denied", "--param", f"principal={ALICE}",
                  "--param", "action=s3:GetObject", "--param", f"resource={OBJECT}", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    [finding] = [f for f in data["findings"] if "decision" in f["evidence"]]
    assert finding["evidence"]["decision"] == "implicitDeny"
    assert finding["code"] == "IAM_BOUNDARY_BLOCKS" and finding["resource"] == BOUNDARY
    assert data["verdict"] == "problem_found"


@pytest.mark.sandbox
def test_cli_explicit_deny_exits_1(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-explicit-deny-without-mfa"))
    result = _cli(sandbox.endpoint_url, "run", "access-denied", "--param", f"principal={seeded.inputs['principal']}",
                  "--param", "action=s3:PutObject", "--param", f"resource={seeded.inputs['resource']}",
                  "--format", "json")
    assert result.returncode == 1, result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"] if "decision" in f["evidence"]]
    assert finding["evidence"]["decision"] == "explicitDeny" and finding["resource"] == "deny-without-mfa"


@pytest.mark.sandbox
def test_cli_allowed_exits_0(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-allowed-role-session"))
    result = _cli(sandbox.endpoint_url, "run", "access-denied", "--param", f"principal={seeded.inputs['principal']}",
                  "--param", "action=s3:GetObject", "--param", f"resource={seeded.inputs['resource']}",
                  "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    [finding] = [f for f in data["findings"] if "decision" in f["evidence"]]
    assert finding["evidence"]["decision"] == "allowed" and finding["code"] == "IAM_ALLOWED"
    assert finding["resource"] == seeded.refs["policy.read"]["arn"] and data["verdict"] == "no_problem_found"



@pytest.mark.sandbox
def test_the_simulator_comparison_ignores_the_key_policy_it_cannot_see(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("iam-kms-key-policy-without-role"))
    transcript = run(sandbox, **{k: v for k, v in seeded.inputs.items()})
    [finding] = decision_findings(transcript)
    assert finding["code"] == "IAM_RESOURCE_POLICY_BLOCKS" and finding["resource"] == seeded.refs["key.invoices"]["arn"]
    assert any(c.startswith("aws kms put-key-policy") for c in finding["remediation"])
    # AWS's simulator weighs identity policies alone and says allowed: that is agreement, not a dispute.
    simulator = transcript.step("simulator")
    assert simulator.status == "ok" and "both say allowed" in simulator.detail
    assert not [f for f in transcript.findings if f["code"] == "IAM_SIMULATOR_DISAGREES"]


@pytest.mark.parametrize(("code", "status", "words"), [
    ("AccessDeniedException", "unreadable", "SCPs were not checked"),
    ("AWSOrganizationsNotInUseException", "none", "no SCPs apply"),
])
def test_unreadable_organizations_means_scps_not_checked(code, status, words) -> None:
    import boto3
    from botocore.stub import Stubber

    org = boto3.client("organizations", region_name="us-east-1")
    with Stubber(org) as stub:
        stub.add_client_error("describe_organization", service_error_code=code, service_message="nope",
                              http_status_code=400)
        read = organization_scps(org, ACCOUNT)
    assert read.status == status and words in read.detail
    if status == "unreadable":
        assert read.policies is None and "would not show" in read.detail
    else:
        assert read.policies == ()
