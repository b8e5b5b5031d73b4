"""access-denied end to end against a plain moto server (no seeders, no gap fillers), through the CLI
as a user would run it with AWS_ENDPOINT_URL: moto lacks iam:SimulatePrincipalPolicy, Organizations
policies and CloudTrail LookupEvents, as a restricted real account may."""

from __future__ import annotations

import json

import pytest

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"

pytestmark = pytest.mark.sandbox


@pytest.fixture(autouse=True)
def _simulator_unavailable():
    """The moto server runs in this process: once a sandbox test has run, the sandbox's gap fillers
    (process-wide patches of moto) serve iam:SimulatePrincipalPolicy on it too. Then make that
    simulator refuse, so the simulator cannot run either way: not implemented, or refused."""
    from diagnostics.sandbox import gaps

    saved = gaps._data
    gaps.set_data({"iam_simulator": {"access_denied": True}})
    yield
    gaps.set_data(saved)


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_alice(plain_moto, *statements: dict) -> None:
    iam = plain_moto.client("iam")
    iam.create_user(UserName="alice")
    if statements:
        iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=_doc(*statements))
    plain_moto.client("s3").create_bucket(Bucket="acme")


def run_json(plain_moto, *params: str):
    args = ["run", "access-denied", "--format", "json"]
    for p in params:
        args += ["--param", p]
    done = plain_moto.cli(*args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_an_allowed_request_stays_decided_when_the_simulator_cannot_run(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"})
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject",
                       "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (0, "no_problem_found")
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["decision"]["status"] == "ok" and steps["simulator"]["status"] == "error"
    assert steps["simulator"]["role"] == "corroborates"
    assert "SimulatePrincipalPolicy" in steps["simulator"]["detail"]


def test_the_text_output_says_what_could_not_be_corroborated(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"})
    done = plain_moto.cli("run", "access-denied", "--param", f"principal={ALICE}", "--param", "action=s3:GetObject",
                          "--param", "resource=arn:aws:s3:::acme/a.txt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Could not corroborate with 'Does AWS's policy simulator agree?'" in done.stdout


def test_a_denied_request_is_a_problem_even_without_the_simulator(plain_moto) -> None:
    seed_alice(plain_moto)
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in t["findings"] if f["severity"] == "error"] == ["IAM_NO_ALLOW"]


# --- AWS's words as evidence (issue 9) ----------------------------------------------------------

LB_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/lb-controller/1700000000"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def errors(t) -> list[dict]:
    return [f for f in t["findings"] if f["severity"] == "error"]


def test_an_scp_denial_is_the_scps_doing_never_allowed(plain_moto) -> None:
    iam = plain_moto.client("iam")
    iam.create_role(RoleName="lb-controller", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="lb-controller", PolicyName="waf", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "waf-regional:*", "Resource": "*"}))
    message = (f"User: {LB_ROLE} is not authorized to perform: waf-regional:GetWebACLForResource on resource: "
               f"arn:aws:waf-regional:us-east-1:{ACCOUNT}:*/* with an explicit deny in a service control policy")
    code, t = run_json(plain_moto, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_SCP_BLOCKS" and "service control policy" in finding["summary"]
    assert finding["evidence"]["decision"] == "explicitDeny"
    assert "AWS's message is authoritative" in finding["summary"] or "AWS's word stands" in finding["summary"]
    assert not any(f["code"] == "IAM_ALLOWED" for f in t["findings"])


def test_a_vpc_endpoint_denial_names_the_endpoint_policy(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"})
    message = (f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::acme/report.pdf" '
               "with an explicit deny in a VPC endpoint policy")
    code, t = run_json(plain_moto, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_VPCE_POLICY_BLOCKS" and "VPC endpoint policy" in finding["summary"]
    assert any("describe-vpc-endpoints" in c for c in finding["remediation"])


@pytest.mark.parametrize(("message", "action", "resource"), [
    ("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied", None,
     "arn:aws:s3:::acme/a.txt"),
    ("An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized "
     "to perform this operation.", None, "*"),
    ("AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in "
     "this region, or you are not allowed to access.", "kms:Decrypt", "KEY"),
])
def test_detail_free_messages_with_params_are_evaluated(plain_moto, message, action, resource) -> None:
    seed_alice(plain_moto)
    if resource == "KEY":
        resource = plain_moto.client("kms").create_key()["KeyMetadata"]["Arn"]
    params = [f"error={message}", f"principal={ALICE}", f"resource={resource}"]
    if action:
        params.append(f"action={action}")
    code, t = run_json(plain_moto, *params)
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["request"]["status"] == "ok", steps["request"]["detail"]
    assert steps["decision"]["status"] == "problem", steps["decision"]["detail"]
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in errors(t)] == ["IAM_NO_ALLOW"]


def test_a_key_that_does_not_exist_is_its_own_finding(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=kms:Decrypt", f"resource={key}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_RESOURCE_NOT_FOUND" and finding["resource"] == key
    assert "account 123456789012, region us-east-1" in finding["summary"]
    assert {s["id"]: s["status"] for s in t["steps"]}["decision"] == "skipped"


CAROL = "arn:aws:iam::111122223333:user/carol"


def _bucket_policy(plain_moto, principal: str) -> None:
    plain_moto.client("s3").create_bucket(Bucket="acme")
    plain_moto.client("s3").put_bucket_policy(Bucket="acme", Policy=_doc(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::acme/*"}))


def test_a_cross_account_caller_is_evaluated_on_the_side_readable_here(plain_moto) -> None:
    _bucket_policy(plain_moto, CAROL)
    message = (f'User: {CAROL} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::acme/a.txt" '
               "because no identity-based policy allows the s3:GetObject action")
    code, t = run_json(plain_moto, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_NO_ALLOW" and "111122223333" in finding["summary"]
    assert "credentials for" not in json.dumps(t)
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["resource-policy"]["status"] == "ok" and steps["identity-policies"]["status"] == "skipped"
    assert "allow" in steps["decision"]["detail"]


def test_a_cross_account_caller_the_bucket_policy_does_not_name_is_refused_here(plain_moto) -> None:
    _bucket_policy(plain_moto, "arn:aws:iam::444455556666:user/dave")
    code, t = run_json(plain_moto, f"principal={CAROL}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_RESOURCE_POLICY_BLOCKS" and finding["resource"] == "arn:aws:s3:::acme"


# --- VPC endpoint policies ------------------------------------------------------------------------

ENDPOINT_DENY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    {"Sid": "NoReports", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::acme/*"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _instance_behind_endpoint(plain_moto, endpoint_policy: dict) -> tuple[str, str]:
    """An instance whose role may read acme/*, in a VPC whose S3 endpoint has ``endpoint_policy``."""
    ec2, iam = plain_moto.client("ec2"), plain_moto.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                       PolicyDocument=json.dumps(endpoint_policy))["VpcEndpoint"]["VpcEndpointId"]
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.put_role_policy(RoleName="app-role", PolicyName="read", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"}))
    plain_moto.client("s3").create_bucket(Bucket="acme")
    images = ec2.describe_images()["Images"]
    instance = ec2.run_instances(ImageId=images[0]["ImageId"], MinCount=1, MaxCount=1,
                                 SubnetId=subnet)["Instances"][0]["InstanceId"]
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{instance}", endpoint


def test_the_endpoint_policy_of_the_instances_vpc_is_read_and_its_deny_decides(plain_moto) -> None:
    session, endpoint = _instance_behind_endpoint(plain_moto, ENDPOINT_DENY)
    message = (f'User: {session} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::acme/q.csv" '
               "with an explicit deny in a VPC endpoint policy")
    code, t = run_json(plain_moto, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["vpc-endpoint"]["status"] == "ok" and endpoint in steps["vpc-endpoint"]["detail"]
    [finding] = errors(t)
    assert finding["code"] == "IAM_VPCE_POLICY_BLOCKS" and finding["resource"] == endpoint
    assert finding["evidence"]["deciding"][0]["sid"] == "NoReports"
    assert "AWS's message says the same" in finding["summary"]
    # The deny is deliberate: exempting the caller from it weakens the endpoint's guard, so it is only an
    # alternative that says what it disrupts (issue 10).
    assert not any(c.startswith("aws ec2 modify-vpc-endpoint") for c in finding["remediation"])
    [exempt] = finding["alternatives"]
    assert any(c.startswith(f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint} --policy-document")
               for c in exempt["commands"])
    assert exempt["disrupts"]


def test_an_endpoint_named_by_source_vpce_is_read_and_must_allow(plain_moto) -> None:
    only_puts = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}
    _, endpoint = _instance_behind_endpoint(plain_moto, only_puts)
    seed = plain_moto.client("iam")
    seed.create_user(UserName="alice")
    seed.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"}))
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/q.csv",
                       f"context=aws:SourceVpce={endpoint}")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["code"] == "IAM_VPCE_POLICY_BLOCKS" and finding["evidence"]["policy_type"] == "vpce"
    assert "modify-vpc-endpoint" in " ".join(finding["remediation"])


def test_no_parameters_without_cloudtrail_history_is_incomplete_with_a_sentence(plain_moto) -> None:
    code, t = run_json(plain_moto)
    assert (code, t["verdict"]) == (3, "incomplete")
    request = {s["id"]: s for s in t["steps"]}["request"]
    assert request["status"] in ("error", "no_data")  # LookupEvents missing, or (sandbox fillers loaded) empty
    assert "No request was given" in request["detail"] and "--param error=" in request["detail"]


def test_an_authorization_id_the_troubleshooter_cannot_answer_leaves_the_decision(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"},
               {"Sid": "NoQ", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/q*"})
    message = (f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::acme/q.csv" '
               "with an explicit deny in an identity-based policy. Go to https://us-east-1.console.aws.amazon.com/"
               "iam/home#/authorization-details/abc123def456 for complete details, or call the "
               "GetRequestAuthorizationDetails API with the following authorization id: abc123def456")
    code, t = run_json(plain_moto, f"error={message}")
    assert (code, t["verdict"]) == (1, "problem_found")
    steps = {s["id"]: s for s in t["steps"]}
    troubleshooter = steps["access-troubleshooter"]
    assert troubleshooter["status"] == "error" and troubleshooter["role"] == "corroborates"
    assert [f["code"] for f in errors(t)] == ["IAM_EXPLICIT_DENY"]


# --- the context AWS always sends (issue 10) -----------------------------------------------------


def test_a_deny_outside_the_office_applies_to_a_direct_call(plain_moto) -> None:
    from pathlib import Path

    office = json.loads(Path("assets/policies/deny-outside-office.json").read_text())
    iam = plain_moto.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="office", PolicyDocument=json.dumps(office))
    plain_moto.client("s3").create_bucket(Bucket="acme")
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt",
                       "context=aws:SourceIp=198.51.100.23")
    assert (code, t["verdict"]) == (1, "problem_found")
    [finding] = errors(t)
    assert finding["evidence"]["decision"] == "explicitDeny"
    assert finding["evidence"]["deciding"][0]["sid"] == "DenyOutsideOffice"
    assert finding["evidence"]["assumed_context"]["aws:ViaAWSService"] == "false"
    decision = {s["id"]: s for s in t["steps"]}["decision"]["detail"]
    assert "Assumed, as AWS sends them on a direct call: aws:ViaAWSService=false" in decision
    # Given explicitly, a value wins over the assumption: a call an AWS service makes is not denied.
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt",
                       "context=aws:SourceIp=198.51.100.23", "context=aws:ViaAWSService=true")
    assert (code, t["verdict"]) == (0, "no_problem_found")


def test_one_refused_policy_read_keeps_the_rest_and_is_never_taken_as_empty(plain_moto, monkeypatch) -> None:
    """A user whose group listing is refused: the user's own policies are kept, the missing fact is named,
    and a request the read policies do not allow is a conditional finding, not a certain one."""
    from botocore.exceptions import ClientError

    from playbooks.access_denied import PLAYBOOK
    from playbooks.registry import parse_inputs
    from playbooks.runner import run_playbook

    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme"})
    session = plain_moto.session()
    real_client = session.client

    def client(service: str):
        made = real_client(service)
        if service == "iam":
            def refuse(**_):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListGroupsForUser")
            made.get_paginator = (lambda original: lambda name: (
                type("P", (), {"paginate": staticmethod(refuse)})() if name == "list_groups_for_user"
                else original(name)))(made.get_paginator)
        return made

    monkeypatch.setattr(session, "client", client)
    inputs = parse_inputs(PLAYBOOK, {"principal": [ALICE], "action": ["s3:GetObject"],
                                     "resource": ["arn:aws:s3:::acme/a.txt"]})
    transcript = run_playbook(PLAYBOOK, inputs, session)
    step = transcript.step("identity-policies")
    assert step.status == "warning" and "read (inline, on user alice)" in step.detail
    assert [m["action"].split(":")[-1] for m in step.missing] == ["ListGroupsForUser"]
    [finding] = [f for f in transcript.findings if f["severity"] == "error"]
    assert finding["certainty"] == "conditional" and "could not be read" in finding["condition"]


# --- every blocking layer is a problem at the step that read it (issue 10) -------------------------

BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/contractor-boundary"


def _uploader(plain_moto, identity: dict, boundary: dict) -> str:
    """The role uploader with one inline policy and a permissions boundary, and the bucket acme. (A role:
    plain moto keeps a role's boundary, not a user's.)"""
    iam = plain_moto.client("iam")
    iam.create_policy(PolicyName="contractor-boundary", PolicyDocument=_doc(boundary))
    iam.create_role(RoleName="uploader", AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=BOUNDARY_ARN)
    iam.put_role_policy(RoleName="uploader", PolicyName="invoices", PolicyDocument=_doc(identity))
    plain_moto.client("s3").create_bucket(Bucket="acme")
    return f"arn:aws:iam::{ACCOUNT}:role/uploader"


def test_no_identity_allow_and_a_boundary_that_does_not_allow_are_two_problems(plain_moto) -> None:
    role = _uploader(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    code, t = run_json(plain_moto, f"principal={role}", "action=s3:PutObject", "resource=arn:aws:s3:::acme/a.pdf")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [(f["code"], f["resource"]) for f in errors(t)] == [("IAM_NO_ALLOW", role),
                                                              ("IAM_BOUNDARY_BLOCKS", BOUNDARY_ARN)]
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["identity-policies"]["status"] == "problem", steps["identity-policies"]["detail"]
    assert "None of them allows s3:PutObject on arn:aws:s3:::acme/a.pdf" in steps["identity-policies"]["detail"]
    assert steps["boundary"]["status"] == "problem"
    assert all(f["evidence"]["verified_together"]["passes"] for f in errors(t))


def test_an_identity_allow_under_a_boundary_that_does_not_allow_is_the_boundarys_problem_only(plain_moto) -> None:
    role = _uploader(plain_moto, {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    code, t = run_json(plain_moto, f"principal={role}", "action=s3:PutObject", "resource=arn:aws:s3:::acme/a.pdf")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in errors(t)] == ["IAM_BOUNDARY_BLOCKS"]
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["identity-policies"]["status"] == "ok", steps["identity-policies"]["detail"]
    assert "None of them allows" not in steps["identity-policies"]["detail"]
    assert steps["boundary"]["status"] == "problem"


def test_a_bucket_policy_that_grants_in_place_of_an_identity_policy_is_no_problem(plain_moto) -> None:
    seed_alice(plain_moto)
    plain_moto.client("s3").put_bucket_policy(Bucket="acme", Policy=_doc(
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"}))
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (0, "no_problem_found")
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["identity-policies"]["status"] == "ok", steps["identity-policies"]["detail"]
    assert steps["decision"]["status"] == "ok"
