"""A fix that would weaken a guard is never the first or only one offered (issue 10), AWS's words stay
evidence when the policies read disagree (issue 9), and a denial the policies read allow is explained
or said to be unexplained: pure tests over policy snapshots."""

from __future__ import annotations

import json
import shlex

import pytest

from diagnostics.iam import evaluate
from diagnostics.iam.aws_words import deny_not_found, where_to_look
from diagnostics.iam.context_defaults import missing_key_words, not_given, unknown_value_condition
from diagnostics.iam.explain import fix_for, near_misses
from diagnostics.iam.model import PolicySet
from diagnostics.iam.request import Ask, other_partition, understand
from diagnostics.iam.unexplained import missing_key_finding, s3_object, unexplained_finding
from diagnostics.iam.verify import verify
from tests.iam.helpers import ACCOUNT, ALICE, SESSION, allow, cond, deny, pol, req

INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"
UPLOAD = "arn:aws:s3:::uploads/2026/a.csv"
OFFICE_ONLY = allow("s3:PutObject", "arn:aws:s3:::uploads/*", **cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))


def _fix(policies: PolicySet, request):
    evaluation = evaluate(request, policies)
    return evaluation, fix_for(request, policies, evaluation)


def _document_in(command: str) -> dict:
    words = shlex.split(command)
    return json.loads(words[words.index("--policy-document") + 1])


# --- an explicit deny is deliberate ----------------------------------------------------------------

def test_a_deny_in_the_principals_own_policy_is_read_and_asked_about_never_exempted_first() -> None:
    own = pol("p", "identity", allow("ec2:*"), deny("ec2:TerminateInstances"), attached_to="user alice")
    request = req("ec2:TerminateInstances", INSTANCE)
    evaluation, fix = _fix(PolicySet(identity=(own,)), request)
    assert evaluation.decision == "explicitDeny"
    assert "deliberate" in fix.summary and "ask its owner" in fix.summary
    assert fix.first == ("aws iam get-user-policy --user-name alice --policy-name p",)
    # The exemption is still there, as the alternative: it makes the request pass, and removes the guard.
    assert fix.disrupts.startswith("removes the guard") and fix.alternative.startswith("Exempt")
    assert verify(request, PolicySet(identity=(own,)), fix.commands, [fix.statement]).passes


def test_a_deny_in_a_managed_policy_shows_its_default_version_and_exempting_says_what_it_disrupts() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/no-terminate"
    managed = pol("no-terminate", "identity", deny("ec2:TerminateInstances"), arn=arn, attached_to="group ops")
    policies = PolicySet(identity=(pol("p", "identity", allow("ec2:*"), attached_to="user alice"), managed))
    _, fix = _fix(policies, req("ec2:TerminateInstances", INSTANCE))
    [show] = fix.first
    assert show.startswith(f"aws iam get-policy-version --policy-arn {arn} --version-id $(aws iam get-policy")
    assert "exempts" in fix.disrupts and "no-terminate" in fix.disrupts


def test_a_guard_deny_is_met_first_and_names_the_guard_it_would_exempt_from() -> None:
    mfa = deny("*", **cond({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    policies = PolicySet(identity=(pol("p", "identity", allow(), mfa, attached_to="user alice"),))
    _, fix = _fix(policies, req())
    assert fix.first == () and "get-session-token" in fix.summary
    assert fix.disrupts == f"exempts {ALICE} from the guard on aws:MultiFactorAuthPresent"


# --- a near miss on a condition ------------------------------------------------------------------

def test_a_source_ip_near_miss_keeps_the_condition_and_the_statements_resources() -> None:
    role = pol("p", "identity", OFFICE_ONLY, attached_to="role app")
    policies = PolicySet(identity=(role,))
    request = req("s3:PutObject", UPLOAD, SESSION, {"aws:SourceIp": "203.0.113.5"})
    evaluation, fix = _fix(policies, request)
    assert evaluation.decision == "implicitDeny"
    assert "Meet the condition" in fix.summary and "10.0.0.0/8" in fix.summary
    [command] = fix.commands
    [statement] = _document_in(command)["Statement"]
    assert statement["Resource"] == "arn:aws:s3:::uploads/*"
    assert statement["Condition"] == {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.5/32"]}}
    assert "203.0.113.5/32" in fix.disrupts
    verified = verify(request, policies, fix.commands, [fix.statement])
    assert verified.passes
    assert "every resource matching arn:aws:s3:::uploads/*" in verified.beyond
    assert any("203.0.113.5/32" in b for b in verified.beyond)


def test_an_unconditional_allow_beside_a_conditional_one_is_said_to_drop_the_condition() -> None:
    policies = PolicySet(identity=(pol("p", "identity", OFFICE_ONLY, attached_to="role app"),))
    request = req("s3:PutObject", UPLOAD, SESSION, {"aws:SourceIp": "203.0.113.5"})
    bare = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": UPLOAD}
    command = ("aws iam put-role-policy --role-name app --policy-name extra --policy-document "
               + shlex.quote(json.dumps({"Version": "2012-10-17", "Statement": [bare]})))
    verified = verify(request, policies, [command], [bare])
    assert verified.passes
    assert any("without the condition IpAddress aws:SourceIp 10.0.0.0/8" in b for b in verified.beyond)
    assert "It also allows more than the request" in verified.sentence(request)


def test_without_the_callers_address_it_is_not_given_and_no_change_is_written() -> None:
    policies = PolicySet(identity=(pol("p", "identity", OFFICE_ONLY, attached_to="role app"),))
    request = req("s3:PutObject", UPLOAD, SESSION)
    evaluation, fix = _fix(policies, request)
    [miss] = near_misses(request, policies, evaluation)
    assert "the caller's address was not given" in miss.summary and "does not carry" not in miss.summary
    assert "the caller's address was not given" in fix.summary and fix.commands == ()


def test_a_condition_that_cannot_be_widened_is_only_met() -> None:
    mfa_only = allow("s3:GetObject", **cond({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    policies = PolicySet(identity=(pol("p", "identity", mfa_only, attached_to="user alice"),))
    _, fix = _fix(policies, req(ctx={"aws:MultiFactorAuthPresent": "false"}))
    assert fix.commands == () and "sign in with MFA" in fix.summary


def test_source_ip_is_not_given_never_absent_and_other_keys_may_be_absent() -> None:
    assert not_given("aws:SourceIp").startswith("the caller's address was not given")
    assert not_given("aws:MultiFactorAuthPresent") == ""
    words = missing_key_words(["aws:SourceIp", "aws:MultiFactorAuthPresent"])
    assert words.startswith("The request lacked the context keys aws:MultiFactorAuthPresent (")
    assert "The caller's address was not given" in words and "aws:SourceIp," not in words
    assert unknown_value_condition(["aws:SourceIp"]).startswith("if the caller's address (aws:SourceIp), which was "
                                                                "not given, does not meet")
    assert unknown_value_condition(["aws:MultiFactorAuthPresent"]) == ""


# --- AWS's words -------------------------------------------------------------------------------

def test_a_named_deny_not_found_says_where_to_look_for_a_user_and_for_a_session() -> None:
    places, commands = deny_not_found("identity", principal=ALICE, kind="user", region="us-east-1")
    assert "changed since" in places and "group" in places and "session policy" in places
    assert "aws iam list-groups-for-user --user-name alice" in commands
    places, _ = deny_not_found("identity", principal=SESSION, kind="assumed-role", region=None)
    assert "session policy passed when the session was created" in places and "group" not in places


def test_the_simulator_is_pointed_at_the_role_never_the_session() -> None:
    _, (command,) = where_to_look("identity", account=ACCOUNT, region=None, service="s3", principal=SESSION,
                                  resource=UPLOAD, action="s3:PutObject")
    assert f"--policy-source-arn arn:aws:iam::{ACCOUNT}:role/app " in command


# --- denied by AWS, allowed by what was read -------------------------------------------------------

def test_a_missing_key_without_list_bucket_is_s3s_403() -> None:
    request = req("s3:GetObject", "arn:aws:s3:::reports/2026/missing.csv")
    assert s3_object(request) == ("reports", "2026/missing.csv")
    assert s3_object(req("s3:PutObject", "arn:aws:s3:::reports/x")) is None
    assert s3_object(req("s3:GetObject", "arn:aws:s3:::reports")) is None
    finding = missing_key_finding(request, "reports", "2026/missing.csv", "arn:aws:s3:::reports", None)
    assert finding.code == "S3_KEY_NOT_FOUND_WITHOUT_LIST" and finding.certainty == "certain"
    assert "403 AccessDenied instead of 404 NoSuchKey" in finding.summary
    assert "aws s3api list-objects-v2 --bucket reports --max-items 20 --prefix 2026/" in finding.remediation


def test_an_unexplained_denial_is_conditional_and_says_what_was_not_read() -> None:
    request = req("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin", SESSION)
    finding = unexplained_finding(request, {"session": "no AWS API reads back the session policy"},
                                  allowed_by="statement 0 of the trust policy")
    assert finding.code == "IAM_DENIED_UNEXPLAINED" and finding.certainty == "conditional"
    assert "session policy" in finding.summary and "sts:ExternalId" in finding.summary
    assert "decision" not in finding.evidence  # the decision finding stays the evaluation's own
    unknown = unexplained_finding(req("s3:GetObject", "arn:aws:s3:::reports/x"), {}, allowed_by="p",
                                  object_state="unknown", list_allowed=False)
    assert "a key that does not exist" in unknown.summary and "could not be read here" in unknown.summary


# --- the request ----------------------------------------------------------------------------------

ENCODED = ("An error occurred (UnauthorizedOperation) when calling the TerminateInstances operation: You are not "
           "authorized to perform this operation. Encoded authorization failure message: 4Gy3AbCdEf")


def test_a_decode_that_could_not_be_read_leaves_the_request_given() -> None:
    ask = understand({"error": ENCODED, "principal": ALICE, "action": "ec2:TerminateInstances",
                      "resource": INSTANCE}, None, lambda blob: None)
    assert ask.missing() == [] and (ask.principal, ask.action, ask.resource) == (ALICE, "ec2:TerminateInstances",
                                                                                 INSTANCE)
    assert any(w.startswith("Could not decode") and "DecodeAuthorizationMessage" in w for w in ask.warnings)


def test_another_partition_is_named() -> None:
    china = Ask("arn:aws-cn:iam::123456789012:user/alice", "s3:GetObject", "arn:aws-cn:s3:::reports/q3.csv", {})
    assert "partition aws-cn" in other_partition(china, "arn:aws:iam::123456789012:user/me")
    same = Ask(ALICE, "s3:GetObject", "arn:aws:s3:::reports/q3.csv", {})
    assert other_partition(same, "arn:aws:iam::123456789012:user/me") == ""
    assert other_partition(china, None) == ""


@pytest.mark.parametrize(("kind", "resource", "source"), [
    ("resource", "arn:aws:s3:::example-bucket/key", "s3.amazonaws.com"),
    ("resource", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "kms.amazonaws.com"),
    ("resource", "arn:aws:sqs:us-east-1:123456789012:orders", "sqs.amazonaws.com"),
    ("resource", "arn:aws:iam::123456789012:role/app", "iam.amazonaws.com"),
    ("identity", "arn:aws:s3:::example-bucket/key", "iam.amazonaws.com"),
])
def test_the_change_history_is_searched_where_the_policy_owner_logs_it(kind, resource, source) -> None:
    # A bucket policy change is logged by S3 (PutBucketPolicy), a key policy's by KMS: searching IAM's
    # events for them finds nothing.
    _, commands = deny_not_found(kind, principal=ALICE, kind="user", region="us-east-1", resource=resource)
    assert commands[0].startswith("aws cloudtrail lookup-events")
    assert f"AttributeValue={source} " in commands[0]
