"""The read-only promise: the allow-list as a table, and the guard on real boto3 clients under moto."""

from __future__ import annotations

import re
from functools import cache

import boto3
import botocore.session
import pytest
from moto import mock_aws

from diagnostics.readonly import (
    ALLOWED,
    DENIED,
    READ_PREFIXES,
    READ_SERVICES,
    ReadOnlyViolation,
    install_guard,
    is_read_only,
)

REGION = "us-east-1"

# Services whose every operation is checked against the rules below.
CHECKED_SERVICES = (
    "ec2",
    "iam",
    "s3",
    "lambda",
    "logs",
    "cloudwatch",
    "cloudtrail",
    "sts",
    "kms",
    "rds",
    "organizations",
    "xray",
    "elbv2",
    "ssm",
    "secretsmanager",
    "dynamodb",
    "service-quotas",
    "pi",
    "apigateway",
    "ecr",
)

WRITE_VERBS = (
    "Create",
    "Delete",
    "Put",
    "Update",
    "Modify",
    "Authorize",
    "Revoke",
    "Attach",
    "Detach",
    "Run",
    "Start",
    "Stop",
    "Terminate",
    "Reboot",
    "Associate",
    "Disassociate",
    "Replace",
    "Tag",
    "Untag",
    "Invoke",
    "Send",
    "Publish",
    "Set",
    "Enable",
    "Disable",
    "Register",
    "Deregister",
    "Import",
    "Export",
    "Copy",
    "Restore",
    "Reset",
    "Remove",
    "Add",
    "Upload",
    "Assume",
    "Decrypt",
    "Encrypt",
    "Generate",
    "Sign",
    "Cancel",
    "Accept",
    "Reject",
    "Allocate",
    "Release",
    "Purchase",
    "Execute",
    "Upgrade",
    "Rotate",
    "Schedule",
    "Test",
)
READ_VERB_RE = re.compile("^(?:" + "|".join(READ_PREFIXES) + ")(?=[A-Z0-9]|$)")
WRITE_VERB_RE = re.compile("^(?:" + "|".join(WRITE_VERBS) + ")(?=[A-Z0-9]|$)")


@cache
def operations(service: str) -> tuple[str, ...]:
    return tuple(botocore.session.get_session().get_service_model(service).operation_names)


# -- the table ----------------------------------------------------------------------------------

ALLOWED_EXAMPLES = [
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeNetworkAcls"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "GetConsoleOutput"),
    ("ec2", "SearchTransitGatewayRoutes"),
    ("iam", "GetRole"),
    ("iam", "ListAttachedRolePolicies"),
    ("iam", "SimulatePrincipalPolicy"),
    ("iam", "GetAccountPasswordPolicy"),
    ("iam", "GetCredentialReport"),
    ("sts", "GetCallerIdentity"),
    ("sts", "DecodeAuthorizationMessage"),
    ("cloudtrail", "LookupEvents"),
    ("logs", "FilterLogEvents"),
    ("logs", "StartQuery"),
    ("logs", "StopQuery"),
    ("logs", "GetQueryResults"),
    ("logs", "TestMetricFilter"),
    ("cloudwatch", "GetMetricData"),
    ("lambda", "GetFunctionConfiguration"),
    ("lambda", "GetFunction"),
    ("s3", "GetObject"),
    ("s3", "HeadBucket"),
    ("s3", "GetBucketPolicy"),
    ("xray", "BatchGetTraces"),
    ("kms", "GetKeyPolicy"),
    ("secretsmanager", "DescribeSecret"),
    ("ssm", "DescribeParameters"),
    ("accessanalyzer", "ValidatePolicy"),
    ("ec2", "describe_instances"),  # boto3 method names are understood too
    ("iam", "list_mfa_devices"),
]

REFUSED_EXAMPLES = [
    ("ec2", "AuthorizeSecurityGroupIngress"),
    ("ec2", "RunInstances"),
    ("ec2", "TerminateInstances"),
    ("ec2", "GetPasswordData"),
    ("ec2", "ModifyInstanceAttribute"),
    ("iam", "PutUserPolicy"),
    ("iam", "CreateAccessKey"),
    ("iam", "PassRole"),
    ("s3", "DeleteBucket"),
    ("s3", "PutObject"),
    ("secretsmanager", "GetSecretValue"),
    ("secretsmanager", "BatchGetSecretValue"),
    ("ssm", "GetParameter"),
    ("ssm", "GetParameters"),
    ("ssm", "GetParametersByPath"),
    ("ssm", "GetParameterHistory"),
    ("ssm", "SendCommand"),
    ("sts", "AssumeRole"),
    ("sts", "GetSessionToken"),
    ("sts", "GetFederationToken"),
    ("ecr", "GetAuthorizationToken"),
    ("kms", "Decrypt"),
    ("kms", "GenerateDataKey"),
    ("lambda", "Invoke"),
    ("lambda", "UpdateFunctionConfiguration"),
    ("logs", "PutRetentionPolicy"),
    ("cloudtrail", "StartQuery"),  # CloudTrail Lake bills per byte scanned
    ("cloudtrail", "StopLogging"),
    ("dynamodb", "Scan"),
    ("dynamodb", "Query"),
    ("dynamodb", "GetItem"),
    ("apigateway", "GetApiKeys"),
    ("apigateway", "TestInvokeMethod"),
    ("stepfunctions", "GetActivityTask"),
    ("ec2", "terminate_instances"),
    ("glue", "GetTable"),  # outside READ_SERVICES: refused until a playbook needs it, in review
    ("bedrock-agentcore", "GetResourceApiKey"),
    ("ec2", ""),
]


@pytest.mark.parametrize(("service", "operation"), ALLOWED_EXAMPLES)
def test_reads_are_allowed(service: str, operation: str) -> None:
    assert is_read_only(service, operation)


@pytest.mark.parametrize(("service", "operation"), REFUSED_EXAMPLES)
def test_writes_and_secret_reads_are_refused(service: str, operation: str) -> None:
    assert not is_read_only(service, operation)


def test_deny_list_wins_over_prefixes() -> None:
    for service, operation in DENIED:
        assert not is_read_only(service, operation)
    # These would pass the prefix rule on their own: only the deny-list stops them.
    for service, operation in [
        ("ssm", "GetParameter"),
        ("stepfunctions", "GetActivityTask"),
        ("dynamodb", "GetItem"),
    ]:
        assert (service, operation) in DENIED
        assert service in READ_SERVICES and READ_VERB_RE.match(operation)
        assert not is_read_only(service, operation)


def test_explicit_entries_name_real_operations() -> None:
    for service, operation in ALLOWED | DENIED:
        assert operation in operations(service), f"{service}:{operation} is not a botocore operation"
    known = set(botocore.session.get_session().get_available_services())
    assert known >= READ_SERVICES, READ_SERVICES - known


def test_prefix_needs_a_word_boundary() -> None:
    assert not is_read_only("ec2", "Listen")
    assert not is_read_only("ec2", "Getaway")
    assert not is_read_only("ec2", "DescribeWidgetCredentials")  # the sensitive-word net


def test_service_and_case_are_normalised() -> None:
    assert is_read_only(" EC2 ", "DescribeInstances")
    assert not is_read_only("SecretsManager", "getsecretvalue")


@pytest.mark.parametrize("service", CHECKED_SERVICES)
def test_every_allowed_operation_starts_with_a_read_verb(service: str) -> None:
    explicit = {op for svc, op in ALLOWED if svc == service}
    allowed = [op for op in operations(service) if is_read_only(service, op)]
    assert allowed or service not in READ_SERVICES
    for op in allowed:
        assert READ_VERB_RE.match(op) or op in explicit, f"{service}:{op} is allowed but is not a read"


@pytest.mark.parametrize("service", CHECKED_SERVICES)
def test_no_write_verb_is_allowed(service: str) -> None:
    explicit = {op for svc, op in ALLOWED if svc == service}
    for op in operations(service):
        if WRITE_VERB_RE.match(op) and op not in explicit:
            assert not is_read_only(service, op), f"{service}:{op} writes but is allowed"


def test_the_only_allowed_start_and_stop_are_logs_insights() -> None:
    starts = {
        (service, op)
        for service in CHECKED_SERVICES
        for op in operations(service)
        if op.startswith(("Start", "Stop")) and is_read_only(service, op)
    }
    assert starts == {("logs", "StartQuery"), ("logs", "StopQuery")}


def test_violation_names_the_operation() -> None:
    exc = ReadOnlyViolation("ec2", "AuthorizeSecurityGroupIngress")
    assert str(exc) == "awstriage is read-only and refused to call ec2:AuthorizeSecurityGroupIngress"
    assert exc.service == "ec2" and exc.operation == "AuthorizeSecurityGroupIngress"
    assert exc.action == "ec2:AuthorizeSecurityGroupIngress"


# -- the guard on real clients ------------------------------------------------------------------


@pytest.fixture
def aws():
    with mock_aws():
        yield


def guarded(service: str, sent: list[str] | None = None):
    client = boto3.client(service, region_name=REGION)
    install_guard(client)
    if sent is not None:
        client.meta.events.register("before-send.*.*", lambda request, **_: sent.append(request.url))
    return client


def make_group() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]


def ingress_rules(group_id: str) -> list:
    ec2 = boto3.client("ec2", region_name=REGION)
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]


def test_guard_refuses_authorize_and_nothing_changes(aws) -> None:
    group_id = make_group()
    before = ingress_rules(group_id)
    sent: list[str] = []
    ec2 = guarded("ec2", sent)
    with pytest.raises(ReadOnlyViolation, match="refused to call ec2:AuthorizeSecurityGroupIngress"):
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
    assert sent == []
    assert ingress_rules(group_id) == before
    # The reads still work through the same client, and do reach the endpoint.
    groups = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert [g["GroupId"] for g in groups] == [group_id]
    assert len(sent) == 1


def test_guard_refuses_run_instances(aws) -> None:
    ec2 = guarded("ec2")
    with pytest.raises(ReadOnlyViolation, match="ec2:RunInstances"):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    assert ec2.describe_instances()["Reservations"] == []


def test_guard_refuses_before_parameter_validation(aws) -> None:
    # Even a malformed write is refused as a write, not reported as a parameter error.
    ec2 = guarded("ec2")
    with pytest.raises(ReadOnlyViolation):
        ec2.terminate_instances()


def test_guard_refuses_put_user_policy(aws) -> None:
    boto3.client("iam", region_name=REGION).create_user(UserName="alice")
    iam = guarded("iam")
    with pytest.raises(ReadOnlyViolation, match="iam:PutUserPolicy"):
        iam.put_user_policy(
            UserName="alice", PolicyName="p", PolicyDocument='{"Version": "2012-10-17", "Statement": []}'
        )
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_guard_refuses_delete_bucket(aws) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="evidence")
    s3 = guarded("s3")
    with pytest.raises(ReadOnlyViolation, match="s3:DeleteBucket"):
        s3.delete_bucket(Bucket="evidence")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["evidence"]
    s3.head_bucket(Bucket="evidence")


def test_guard_refuses_secret_values(aws) -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name="db", SecretString="hunter2")
    sm = guarded("secretsmanager")
    with pytest.raises(ReadOnlyViolation, match="secretsmanager:GetSecretValue"):
        sm.get_secret_value(SecretId="db")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["db"]


def test_guard_covers_paginators_and_is_idempotent(aws) -> None:
    make_group()
    ec2 = guarded("ec2")
    install_guard(ec2)  # a second install must not double the hook or break anything
    pages = list(ec2.get_paginator("describe_security_groups").paginate())
    assert any(g["GroupName"] == "web" for page in pages for g in page["SecurityGroups"])
    with pytest.raises(ReadOnlyViolation):
        ec2.create_vpc(CidrBlock="10.1.0.0/16")


def test_guard_allows_identity(aws) -> None:
    assert guarded("sts").get_caller_identity()["Account"]
