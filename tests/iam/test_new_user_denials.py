"""What a new user met running access-denied against a plain moto server (an account with user dave,
whose own inline policy allows ec2:* and denies ec2:TerminateInstances; role app-role, whose
s3:PutObject allow on uploads/* holds only from 10.0.0.0/8; role admin, whose trust policy names
only app-role; user alice with s3:GetObject on reports/*), each turned into the answer it should
have got, end to end through the CLI."""

from __future__ import annotations

import json

import pytest

# The simulator refuses here as there (autouse, imported so it applies to this module too).
from tests.iam.test_plain_moto import _doc, _simulator_unavailable, run_json  # noqa: F401

ACCOUNT = "123456789012"
DAVE = f"arn:aws:iam::{ACCOUNT}:user/dave"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
UPLOADER = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/uploader"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"
WRITES = ("put-", "create-", "update-", "modify-", "set-", "delete-")

pytestmark = pytest.mark.sandbox


@pytest.fixture
def account(plain_moto):
    iam = plain_moto.client("iam")
    iam.create_user(UserName="dave")
    iam.put_user_policy(UserName="dave", PolicyName="p", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}))
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}))
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName="app-role", PolicyName="p", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app-role"}, "Action": "sts:AssumeRole"}))
    s3 = plain_moto.client("s3")
    for bucket in ("reports", "uploads"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="reports", Key="q3.csv", Body=b"a,b\n")
    return plain_moto


def _errors(t: dict) -> list[dict]:
    return [f for f in t["findings"] if f["severity"] == "error"]


def _writes(commands) -> list[str]:
    return [c for c in commands if c.startswith("aws ") and c.split()[2].startswith(WRITES)]


# Fault 8a: an unconditional deny in dave's own policy. Exempting dave from it removes the guard: it
# is an alternative that says what it disrupts, never the primary fix.

def test_an_explicit_deny_is_deliberate_and_exempting_the_principal_is_only_an_alternative(account) -> None:
    code, t = run_json(account, f"principal={DAVE}", "action=ec2:TerminateInstances", f"resource={INSTANCE}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = _errors(t)
    assert finding["code"] == "IAM_EXPLICIT_DENY"
    assert _writes(finding["remediation"]) == []
    assert "aws iam get-user-policy --user-name dave --policy-name p" in finding["remediation"]
    assert "deliberate" in " ".join(finding["remediation"])
    [exempt] = finding["alternatives"]
    assert any("ArnNotEquals" in c for c in exempt["commands"])
    assert "dave" in exempt["disrupts"] and "guard" in exempt["disrupts"]


# Fault 8b and 8c: a near miss on aws:SourceIp. Meeting the condition is the fix; a policy change
# keeps the condition and the statement's resource pattern, and its verification says what else it
# allows. Without the address, the key is one AWS always sends, whose value was not given.

PUT_MESSAGE = (f'User: {UPLOADER} is not authorized to perform: s3:PutObject on resource: '
               '"arn:aws:s3:::uploads/2026/a.csv" because no identity-based policy allows the s3:PutObject action')


def test_a_source_ip_near_miss_is_met_first_and_a_policy_change_keeps_the_condition(account) -> None:
    code, t = run_json(account, f"error={PUT_MESSAGE}", "context=aws:SourceIp=203.0.113.5")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = _errors(t)
    assert finding["code"] == "IAM_NO_ALLOW"
    assert _writes(finding["remediation"]) == []
    assert "10.0.0.0/8" in " ".join(finding["remediation"])
    [change] = finding["alternatives"]
    [command] = change["commands"]
    document = json.loads(command.split("--policy-document ", 1)[1].strip("'"))
    widened = document["Statement"][0]
    assert widened["Resource"] in ("arn:aws:s3:::uploads/*", ["arn:aws:s3:::uploads/*"])
    assert widened["Condition"]["IpAddress"]["aws:SourceIp"] == ["10.0.0.0/8", "203.0.113.5/32"]
    assert "203.0.113.5/32" in change["disrupts"]
    verified = finding["evidence"]["verified_alternative"]
    assert verified["passes"] and any("arn:aws:s3:::uploads/*" in b for b in verified["beyond"])


def test_without_the_callers_address_the_key_is_not_given_never_absent(account) -> None:
    _, t = run_json(account, f"error={PUT_MESSAGE}")
    [finding] = _errors(t)
    text = json.dumps(finding)
    assert "the caller's address was not given" in text
    assert "does not carry" not in text and "absent)" not in text and "key is absent" not in text, text
    assert _writes(finding["remediation"]) == [] and "10.0.0.0/8" in " ".join(finding["remediation"])
    assert finding["certainty"] == "conditional" and "the caller's address (aws:SourceIp)" in finding["condition"]
    decision = {s["id"]: s for s in t["steps"]}["decision"]["detail"]
    assert "The caller's address was not given" in decision and "lacked the context keys aws:SourceIp" not in decision


# Fault 7: AWS named an explicit deny in an identity-based policy that the policies read do not hold.

def test_an_explicit_deny_aws_named_is_an_explicit_deny_even_when_not_found(account) -> None:
    message = ("An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not "
               f"authorized to perform this operation. User: {DAVE} is not authorized to perform: ec2:RunInstances "
               f"on resource: arn:aws:ec2:us-east-1:{ACCOUNT}:instance/* with an explicit deny in an identity-based "
               "policy. Encoded authorization failure message: 4Gy3AbCdEf")
    code, t = run_json(account, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = _errors(t)
    assert finding["code"] == "IAM_EXPLICIT_DENY"
    assert finding["certainty"] == "conditional"
    assert "no policy allows" not in finding["summary"].lower()
    words = finding["summary"] + finding["condition"]
    assert "changed since" in words and "group" in words and "session policy" in words
    assert "aws iam list-groups-for-user --user-name dave" in finding["remediation"]


# Fault 6: AWS denied, the policies read allow: never "no problem found".

def test_get_object_on_a_missing_key_without_list_bucket_is_the_403_s3_gives(account) -> None:
    code, t = run_json(account, "error=An error occurred (AccessDenied) when calling the GetObject operation: "
                       "Access Denied", f"principal={ALICE}", "resource=arn:aws:s3:::reports/missing.csv")
    assert code == 1 and t["verdict"] == "problem_found"
    [finding] = _errors(t)
    assert finding["code"] == "S3_KEY_NOT_FOUND_WITHOUT_LIST"
    assert "s3:ListBucket" in finding["summary"] and "missing.csv" in finding["summary"]
    assert finding["certainty"] == "certain"


def test_get_object_on_an_existing_key_allowed_by_what_was_read_is_not_healthy(account) -> None:
    code, t = run_json(account, "error=An error occurred (AccessDenied) when calling the GetObject operation: "
                       "Access Denied", f"principal={ALICE}", "resource=arn:aws:s3:::reports/q3.csv")
    assert t["verdict"] != "no_problem_found" and code != 0
    [finding] = [f for f in t["findings"] if f["code"] == "IAM_DENIED_UNEXPLAINED"]
    assert finding["certainty"] == "conditional" and "not read" in finding["summary"]


def test_an_assume_role_denial_is_decided_by_the_trust_policy(account) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/sess"
    message = (f"An error occurred (AccessDenied) when calling the AssumeRole operation: User: {session} is not "
               f"authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/admin")
    code, t = run_json(account, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found"), json.dumps(t["findings"])[:2000]
    codes = [f["code"] for f in _errors(t)]
    assert codes and "IAM_ALLOWED" not in codes


# Fault 9a: a failed decode is a cross-check when principal, action and resource are given.

def test_a_failed_decode_does_not_stop_a_request_given_in_full(account) -> None:
    message = ("An error occurred (UnauthorizedOperation) when calling the TerminateInstances operation: You are "
               "not authorized to perform this operation. Encoded authorization failure message: 4Gy3AbCdEf")
    code, t = run_json(account, f"error={message}", f"principal={DAVE}", "action=ec2:TerminateInstances",
                       f"resource={INSTANCE}")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in _errors(t)] == ["IAM_EXPLICIT_DENY"]
    request = {s["id"]: s for s in t["steps"]}["request"]["detail"]
    assert "DecodeAuthorizationMessage" in request


# Fault 9b: the simulator takes a role ARN, never a session ARN.

def test_the_simulator_command_names_the_role_not_the_session(account) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/sess"
    message = (f"An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: "
               f"{session} is not authorized to perform: secretsmanager:GetSecretValue on resource: prod/db/password "
               "because no identity-based policy allows the secretsmanager:GetSecretValue action")
    _, t = run_json(account, f"error={message}")
    commands = [c for f in t["findings"] for c in f["remediation"] + [x for a in f.get("alternatives", [])
                                                                       for x in a["commands"]]]
    simulate = [c for c in commands if "simulate-principal-policy" in c]
    assert all(f"--policy-source-arn arn:aws:iam::{ACCOUNT}:role/app-role " in c for c in simulate), simulate


# Fault 10a: an ARN in another partition is not this account's.

def test_an_arn_in_another_partition_stops_the_run(account) -> None:
    message = ('User: arn:aws-cn:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on '
               'resource: "arn:aws-cn:s3:::reports/q3.csv" because no identity-based policy allows the s3:GetObject '
               "action")
    code, t = run_json(account, f"error={message}")
    assert (code, t["verdict"]) == (3, "incomplete")
    request = {s["id"]: s for s in t["steps"]}["request"]
    assert request["status"] == "error" and "partition aws-cn" in request["detail"]
    assert t["findings"] == [] or not any(c.startswith("aws iam put-") for f in t["findings"]
                                          for c in f["remediation"])


# Fault 10b: a caller from another account whose message blames its identity-based policy.

def test_another_accounts_caller_is_headlined_with_the_cause_aws_named(account) -> None:
    message = ('User: arn:aws:sts::111122223333:assumed-role/app-role/sess is not authorized to perform: '
               's3:GetObject on resource: "arn:aws:s3:::reports/q3.csv" because no identity-based policy allows the '
               "s3:GetObject action")
    code, t = run_json(account, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    first, *rest = _errors(t)
    assert first["code"] == "IAM_NO_ALLOW" and "111122223333" in first["summary"]
    assert "identity-based policy" in first["summary"]
    assert [f["code"] for f in rest] == ["IAM_RESOURCE_POLICY_BLOCKS"]
