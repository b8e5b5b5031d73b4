"""What a tester who had never seen the code found running access-denied against a plain moto server
(the account: user alice with s3:GetObject on example-bucket/*, role /service/app-role, user
/eng/carol), each turned into the answer it should have got, end to end through the CLI."""

from __future__ import annotations

import json

import pytest

# The simulator refuses here as there (autouse, imported so it applies to this module too).
from tests.iam.test_plain_moto import _simulator_unavailable, run_json  # noqa: F401

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
PARTNER = "arn:aws:iam::111122223333:user/partner"
OBJECT = "arn:aws:s3:::example-bucket/report.pdf"

pytestmark = pytest.mark.sandbox


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def account(plain_moto):
    iam = plain_moto.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}))
    plain_moto.client("s3").create_bucket(Bucket="example-bucket")
    iam.create_role(RoleName="app-role", Path="/service/", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.create_user(UserName="carol", Path="/eng/")
    return plain_moto


def _commands(t: dict) -> list[str]:
    return [c for f in t["findings"] for c in f.get("remediation", []) if c.startswith("aws ")]


def _errors(t: dict) -> list[str]:
    return [f["code"] for f in t["findings"] if f["severity"] == "error"]


# 1. A misspelt action: the finding is the typo, judged as the action meant; nothing grants it.

def test_a_misspelt_action_is_the_finding_and_the_action_meant_is_already_allowed(account) -> None:
    code, t = run_json(account, f"principal={ALICE}", "action=s3:GetObjet",
                       "resource=arn:aws:s3:::example-bucket/x")
    assert (code, t["verdict"]) == (1, "problem_found")
    typo = t["findings"][0]
    assert typo["code"] == "IAM_UNKNOWN_ACTION" and typo["evidence"]["did_you_mean"] == "s3:GetObject"
    assert typo["evidence"]["meant_decision"] == "allowed"
    assert "did you mean s3:GetObject?" in typo["summary"] and "already allowed" in typo["summary"]
    assert _errors(t) == ["IAM_UNKNOWN_ACTION"]
    assert not any("GetObjet" in c for c in _commands(t))
    assert not any((f["evidence"].get("verified") or {}).get("passes") for f in t["findings"])


def test_a_misspelt_action_the_meant_one_of_which_is_denied_gets_the_meant_ones_fix(account) -> None:
    code, t = run_json(account, f"principal={ALICE}", "action=s3:PutObjet",
                       "resource=arn:aws:s3:::example-bucket/x")
    assert code == 1 and _errors(t) == ["IAM_UNKNOWN_ACTION", "IAM_NO_ALLOW"]
    assert t["findings"][0]["evidence"]["did_you_mean"] == "s3:PutObject"
    assert any('"s3:PutObject"' in c for c in _commands(t))
    assert not any("PutObjet" in c for c in _commands(t))


def test_an_action_with_no_near_name_is_refused_with_no_fix(account) -> None:
    code, t = run_json(account, f"principal={ALICE}", "action=s3:Zzzqqq", "resource=arn:aws:s3:::example-bucket/x")
    assert code == 1 and _errors(t) == ["IAM_UNKNOWN_ACTION"] and not _commands(t)


# 2. A caller from another account: the bucket policy is the fix; the other account is told.

PARTNER_DENIAL = (f"error=User: {PARTNER} is not authorized to perform: s3:GetObject on resource: \"{OBJECT}\" "
                  "because no resource-based policy allows the s3:GetObject action")


def test_a_cross_account_caller_gets_a_bucket_policy_and_a_word_for_its_own_account(account) -> None:
    code, t = run_json(account, PARTNER_DENIAL)
    assert code == 1 and _errors(t) == ["IAM_RESOURCE_POLICY_BLOCKS"]
    finding = t["findings"][0]
    commands = _commands(t)
    assert len(commands) == 1 and commands[0].startswith("aws s3api put-bucket-policy --bucket example-bucket")
    assert PARTNER in commands[0] and "put-user-policy" not in " ".join(finding["remediation"])
    assert "Account 111122223333's administrator must also allow" in " ".join(finding["remediation"])
    verified = finding["evidence"]["verified"]
    # Both sides must allow: the bucket policy alone is never "verified" as the whole fix.
    assert verified["passes"] is False and "identity-based" in verified["sentence"]
    # This account being in no organization says nothing of the partner's: never "no SCPs apply" to it.
    scps = next(s for s in t["steps"] if s["id"] == "scps")["detail"]
    assert "Account 111122223333's SCPs cannot be read here" in scps
    assert "Account 123456789012 is not in an AWS Organization, so no RCPs apply" in scps


def test_the_bucket_policy_fix_keeps_the_existing_policy(account) -> None:
    existing = {"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3:GetBucketLocation", "Resource": "arn:aws:s3:::example-bucket"}
    account.client("s3").put_bucket_policy(Bucket="example-bucket", Policy=_doc(existing))
    code, t = run_json(account, PARTNER_DENIAL)
    (command,) = _commands(t)
    assert code == 1 and '"Sid":"Audit"' in command and PARTNER in command


# 3. and 4. Actions IAM never gates, and actions on no resource type.

def test_get_caller_identity_is_allowed_whatever_the_policies(account) -> None:
    code, t = run_json(account, f"principal={ALICE}", "action=sts:GetCallerIdentity")
    assert (code, t["verdict"]) == (0, "no_problem_found")
    assert t["findings"][0]["evidence"]["decision"] == "allowed"


def test_a_denied_get_caller_identity_says_to_look_elsewhere_and_exits_0(account) -> None:
    code, t = run_json(account, "error=An error occurred (AccessDenied) when calling the GetCallerIdentity "
                                "operation: Access Denied")
    assert code == 0, t["verdict"]
    summary = t["findings"][0]["summary"]
    assert "cannot be denied" in summary and "the credentials" in summary and "the region" in summary


def test_an_action_on_no_resource_type_is_evaluated_on_star(account) -> None:
    code, t = run_json(account, f"principal={ALICE}", "error=An error occurred (AccessDenied) when calling the "
                                                      "ListBuckets operation: Access Denied")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert _errors(t) == ["IAM_NO_ALLOW"]
    assert t["findings"][0]["evidence"]["resource"] == "*"
    assert any('"Action":"s3:ListAllMyBuckets","Resource":"*"' in c for c in _commands(t))


# 5. IAM's own "role NAME", Terraform's wrapping of it, and Secrets Manager's bare names.

GET_ROLE = (f"User: {ALICE} is not authorized to perform: iam:GetRole on resource: role app-role because no "
            "identity-based policy allows the iam:GetRole action")


@pytest.mark.parametrize("message", [
    GET_ROLE,
    "Error: reading IAM Role (app-role): operation error IAM: GetRole, https response error StatusCode: 403, "
    "RequestID: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, api error AccessDenied: " + GET_ROLE,
])
def test_iam_names_its_resources_without_arns_and_the_path_is_read(account, message) -> None:
    code, t = run_json(account, f"error={message}")
    assert (code, _errors(t)) == (1, ["IAM_NO_ALLOW"])
    assert t["findings"][0]["evidence"]["resource"] == f"arn:aws:iam::{ACCOUNT}:role/service/app-role"
    request = next(s for s in t["steps"] if s["id"] == "request")
    assert "'role app-role'" in request["detail"] and "Read its ARN" in request["detail"]


def test_a_user_named_by_iam_gets_its_path(account) -> None:
    code, t = run_json(account, f"error=User: {ALICE} is not authorized to perform: iam:GetUser on resource: user "
                                "carol because no identity-based policy allows the iam:GetUser action")
    assert code == 1 and t["findings"][0]["evidence"]["resource"] == f"arn:aws:iam::{ACCOUNT}:user/eng/carol"


def test_a_bare_secret_name_becomes_its_arn(account) -> None:
    arn = account.client("secretsmanager").create_secret(Name="prod/db", SecretString="x")["ARN"]
    code, t = run_json(account, f"error=An error occurred (AccessDeniedException) when calling the GetSecretValue "
                                f"operation: User: {ALICE} is not authorized to perform: secretsmanager:GetSecretValue "
                                "on resource: prod/db because no identity-based policy allows the "
                                "secretsmanager:GetSecretValue action")
    assert (code, _errors(t)) == (1, ["IAM_NO_ALLOW"])
    assert t["findings"][0]["evidence"]["resource"] == arn
    request = next(s for s in t["steps"] if s["id"] == "request")
    assert "taken as arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db" in request["detail"]


# 6. AWS's words stand when something else fails first.

def test_an_scp_named_by_aws_stands_when_the_role_cannot_be_read(account) -> None:
    code, t = run_json(account, "error=User: arn:aws:sts::123456789012:assumed-role/lb-controller/1700000000 is not "
                                "authorized to perform: waf-regional:GetWebACLForResource on resource: "
                                "arn:aws:waf-regional:us-east-1:123456789012:*/* with an explicit deny in a service "
                                "control policy")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert _errors(t) == ["IAM_SCP_BLOCKS"]
    assert t["findings"][0]["evidence"]["decision"] == "explicitDeny"


def test_a_vpc_endpoint_deny_is_kept_beside_a_missing_bucket(account) -> None:
    code, t = run_json(account, f"error=User: {ALICE} is not authorized to perform: s3:GetObject on resource: "
                                "\"arn:aws:s3:::no-such-bucket/a\" with an explicit deny in a VPC endpoint policy")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert sorted(_errors(t)) == ["IAM_RESOURCE_NOT_FOUND", "IAM_VPCE_POLICY_BLOCKS"]


# 7. "anonymous" is an unsigned request, and a masked account is no account ID.

def test_anonymous_is_an_unsigned_request_never_the_caller(account) -> None:
    code, t = run_json(account, 'error={"Message":"User: anonymous is not authorized to perform: execute-api:Invoke '
                                'on resource: arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/items"}')
    assert (code, _errors(t)) == (1, ["IAM_UNSIGNED_REQUEST"])
    finding = t["findings"][0]
    assert "not signed" in finding["summary"] and "moto" not in json.dumps(finding)
    assert "authorization type" in finding["summary"] and "[REDACTED]" not in finding["summary"]
    assert finding["evidence"]["resource"] is None  # the masked ARN is never filled with an account
    assert finding["evidence"]["masked_resource"].startswith("arn:aws:execute-api:us-east-1:********9012:")


# 8. A malformed ARN is a usage error naming the right form.

def test_an_s3_arn_with_region_and_account_is_a_usage_error(account) -> None:
    done = account.cli("run", "access-denied", "--param", f"principal={ALICE}", "--param", "action=s3:GetObject",
                       "--param", "resource=arn:aws:s3:us-east-1:123456789012:example-bucket/x")
    assert done.returncode == 2, done.stdout
    assert "arn:aws:s3:::${BucketName}/${ObjectName}" in done.stderr and "Traceback" not in done.stderr
