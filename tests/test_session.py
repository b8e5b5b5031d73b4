"""The session's promises, checked against a real (moto) endpoint: read-only, logged, keyring-aware."""

from __future__ import annotations

import keyring
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from keyring_backends import MemoryKeyring

from diagnostics import credentials
from diagnostics.calllog import ApiCall
from diagnostics.errors import explain_error
from diagnostics.readonly import ReadOnlyViolation
from diagnostics.session import SessionOptions, open_session, sandbox_session

pytestmark = pytest.mark.sandbox


@pytest.fixture
def memory_keyring():
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def vpc_group(sandbox) -> str:
    sandbox.reset()
    ec2 = sandbox.admin_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_security_group(GroupName="locked", Description="no ingress", VpcId=vpc)["GroupId"]


def test_a_mutating_call_is_refused_before_it_is_sent_and_nothing_changes(sandbox, vpc_group: str) -> None:
    session = sandbox.session()
    ec2 = session.client("ec2")
    with pytest.raises(ReadOnlyViolation) as refused:
        ec2.authorize_security_group_ingress(
            GroupId=vpc_group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                               "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert "AuthorizeSecurityGroupIngress" in explain_error(refused.value)
    group = sandbox.admin_client("ec2").describe_security_groups(GroupIds=[vpc_group])["SecurityGroups"][0]
    assert group["IpPermissions"] == []
    # The refusal is in the call log, so the user sees what was attempted.
    assert [(c.operation, c.error) for c in session.call_log.calls] == [
        ("AuthorizeSecurityGroupIngress", "ReadOnlyViolation")]


@pytest.mark.parametrize("service, call", [
    ("iam", lambda c: c.create_user(UserName="mallory")),
    ("s3", lambda c: c.delete_bucket(Bucket="logs")),
    ("lambda", lambda c: c.update_function_configuration(FunctionName="f", MemorySize=1024)),
])
def test_other_writes_are_refused_too(sandbox, service: str, call) -> None:
    with pytest.raises(ReadOnlyViolation):
        call(sandbox.session().client(service))


def test_the_call_log_records_service_operation_params_duration_and_errors(sandbox, vpc_group: str) -> None:
    session = sandbox.session()
    seen: list[ApiCall] = []
    session.call_log.subscribe(seen.append)
    ec2 = session.client("ec2")
    ec2.describe_security_groups(GroupIds=[vpc_group])
    with pytest.raises(ClientError):
        ec2.describe_security_groups(GroupIds=["sg-00000000000000000"])
    ok, failed = seen
    assert (ok.service, ok.operation, ok.error) == ("ec2", "DescribeSecurityGroups", None)
    assert ok.params == {"GroupIds": [vpc_group]} and ok.duration_ms > 0
    assert failed.error == "InvalidGroup.NotFound"


def test_retries_are_counted(sandbox) -> None:
    session = sandbox.session()
    sts = session.client("sts")
    first = iter([True])

    def throttle_once(request, **_):
        if not next(first, False):
            return None  # let the retry through to moto
        body = (b'<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
                b'</ErrorResponse>')
        return AWSResponse(request.url, 400, {}, _Raw(body))

    sts.meta.events.register("before-send.sts.GetCallerIdentity", throttle_once)
    sts.get_caller_identity()
    assert session.call_log.calls[-1].retries == 1


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def test_keyring_credentials_are_used_for_the_profile(memory_keyring: MemoryKeyring) -> None:
    credentials.save("incident", credentials.StoredCredentials(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="eu-west-1"))
    session = open_session(SessionOptions(profile="incident"))
    assert session.credential_method == "keyring"
    assert session.region == "eu-west-1"
    assert session.boto.get_credentials().access_key == "AKIAIOSFODNN7EXAMPLE"
    assert "keyring" in session.credential_source


def test_without_saved_credentials_the_standard_chain_goes_on(memory_keyring: MemoryKeyring) -> None:
    session = open_session(SessionOptions(region="us-west-2"))
    assert session.credential_method == "env"  # conftest sets dummy environment keys
    assert session.region == "us-west-2"


def test_endpoint_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    session = open_session(SessionOptions(use_keyring=False))
    assert session.endpoint_url == "http://127.0.0.1:4566"
    assert session.client("sts").meta.endpoint_url == "http://127.0.0.1:4566"


def test_clients_have_adaptive_retries_outside_the_sandbox() -> None:
    session = open_session(SessionOptions(use_keyring=False))
    retries = session.client("ec2").meta.config.retries
    assert retries["mode"] == "adaptive"
    assert sandbox_session("http://127.0.0.1:9").client("ec2").meta.config.retries["mode"] == "standard"
