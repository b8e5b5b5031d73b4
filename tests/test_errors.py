"""Every failure is one clear sentence: botocore errors built by hand, and a few real ones from moto."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore import exceptions as bx
from botocore.config import Config
from botocore.parsers import ResponseParserError
from moto import mock_aws

from diagnostics.errors import (
    ErrorKind,
    classify_error,
    describe_error,
    encoded_authorization_message,
    error_code,
    explain_error,
    iam_action,
)
from diagnostics.readonly import ReadOnlyViolation, install_guard

K = ErrorKind


def client_error(
    code: str, message: str = "", status: int = 400, operation: str = "DescribeNetworkAcls", retries: int = 0
) -> bx.ClientError:
    return bx.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries},
        },
        operation,
    )


def assert_one_sentence(sentence: str) -> None:
    assert sentence and "\n" not in sentence and "Traceback" not in sentence
    assert not sentence.endswith(".")
    assert len(sentence) < 600


# -- AWS answers --------------------------------------------------------------------------------

CLIENT_CASES = [
    # (code, status, kind, words the sentence must contain)
    ("AccessDenied", 403, K.ACCESS_DENIED, ["the credentials lack ec2:DescribeNetworkAcls"]),
    ("AccessDeniedException", 400, K.ACCESS_DENIED, ["the credentials lack ec2:DescribeNetworkAcls"]),
    ("UnauthorizedOperation", 403, K.ACCESS_DENIED, ["the credentials lack ec2:DescribeNetworkAcls"]),
    ("OptInRequired", 401, K.ACCESS_DENIED, ["not subscribed"]),
    ("AuthFailure", 401, K.CREDENTIALS, ["does not recognise", "AuthFailure"]),
    ("ExpiredToken", 400, K.CREDENTIALS, ["have expired", "aws sso login"]),
    ("ExpiredTokenException", 400, K.CREDENTIALS, ["have expired"]),
    ("RequestExpired", 400, K.CREDENTIALS, ["clock"]),
    ("InvalidClientTokenId", 403, K.CREDENTIALS, ["does not recognise", "InvalidClientTokenId"]),
    ("UnrecognizedClientException", 400, K.CREDENTIALS, ["does not recognise"]),
    ("SignatureDoesNotMatch", 403, K.CREDENTIALS, ["secret access key does not belong"]),
    ("Throttling", 400, K.THROTTLED, ["AWS throttled ec2:DescribeNetworkAcls (Throttling)"]),
    ("ThrottlingException", 400, K.THROTTLED, ["throttled"]),
    ("RequestLimitExceeded", 503, K.THROTTLED, ["throttled"]),
    ("TooManyRequestsException", 429, K.THROTTLED, ["throttled"]),
    ("ProvisionedThroughputExceededException", 400, K.THROTTLED, ["throttled"]),
    ("SlowDown", 503, K.THROTTLED, ["throttled"]),
    ("InvalidInstanceID.NotFound", 400, K.NOT_FOUND, ["not found (InvalidInstanceID.NotFound)"]),
    ("InvalidGroup.NotFound", 400, K.NOT_FOUND, ["not found"]),
    ("NoSuchEntity", 404, K.NOT_FOUND, ["not found"]),
    ("ResourceNotFoundException", 400, K.NOT_FOUND, ["not found"]),
    ("NoSuchBucket", 404, K.NOT_FOUND, ["not found"]),
    ("DBInstanceNotFound", 404, K.NOT_FOUND, ["not found"]),
    (
        "InvalidParameterValue",
        400,
        K.VALIDATION,
        ["rejected the request to ec2:DescribeNetworkAcls as invalid"],
    ),
    ("ValidationError", 400, K.VALIDATION, ["invalid"]),
    ("InvalidGroupId.Malformed", 400, K.VALIDATION, ["invalid"]),
    ("InvalidAction", 400, K.UNSUPPORTED, ["does not support"]),
    ("InternalError", 500, K.SERVICE, ["internal error"]),
    ("ServiceUnavailable", 503, K.SERVICE, ["internal error"]),
    ("RegionDisabledException", 403, K.UNKNOWN_REGION, ["region"]),
    ("SomethingNew", 403, K.ACCESS_DENIED, ["the credentials lack"]),  # by HTTP status
    ("SomethingNew", 429, K.THROTTLED, ["throttled"]),
    ("SomethingNew", 502, K.SERVICE, ["internal error"]),
    ("SomethingNew", 400, K.OTHER, ["could not ec2:DescribeNetworkAcls: it went wrong (SomethingNew)"]),
]


@pytest.mark.parametrize(("code", "status", "kind", "words"), CLIENT_CASES)
def test_client_errors(code: str, status: int, kind: ErrorKind, words: list[str]) -> None:
    exc = client_error(code, "it went wrong.", status)
    info = describe_error(exc, service="ec2")
    assert info.kind is kind
    assert classify_error(exc) is kind
    assert info.code == error_code(exc) == code
    for word in words:
        assert word in info.sentence
    assert_one_sentence(info.sentence)
    assert explain_error(exc, service="ec2") == info.sentence


def test_access_denied_names_action_resource_and_reason_from_the_message() -> None:
    exc = client_error(
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetBucketPolicy "
        "on resource: "
        "arn:aws:s3:::evidence with an explicit deny in a service control policy",
        403,
        operation="GetBucketPolicy",
    )
    info = describe_error(exc)  # no service given: the message names the action
    assert info.action == "s3:GetBucketPolicy"
    assert info.sentence == (
        "the credentials lack s3:GetBucketPolicy on arn:aws:s3:::evidence "
        "(an explicit deny in a service control policy)"
    )


def test_access_denied_with_no_identity_policy() -> None:
    exc = client_error(
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:GetRole on resource: "
        "arn:aws:iam::123456789012:role/admin because no identity-based policy allows the iam:GetRole action",
        403,
        operation="GetRole",
    )
    assert explain_error(exc, service="iam") == (
        "the credentials lack iam:GetRole on arn:aws:iam::123456789012:role/admin "
        "(no identity-based policy allows it)"
    )


def test_access_denied_without_service_or_message() -> None:
    assert explain_error(client_error("AccessDenied", "", 403)) == (
        "the credentials lack permission for DescribeNetworkAcls (AccessDenied)"
    )


def test_iam_prefix_differs_from_the_client_name() -> None:
    exc = client_error("AccessDenied", "", 403, operation="GetMetricData")
    assert explain_error(exc, service="cloudwatch") == "the credentials lack cloudwatch:GetMetricData"
    assert iam_action("elbv2", "DescribeLoadBalancers") == "elasticloadbalancing:DescribeLoadBalancers"
    assert iam_action("stepfunctions", "ListExecutions") == "states:ListExecutions"
    assert iam_action("logs", "FilterLogEvents") == "logs:FilterLogEvents"
    assert iam_action(None, "GetRole") is None


def test_ec2_encoded_authorization_message() -> None:
    exc = client_error(
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. "
        "Encoded authorization failure message: AbCd-123_xyz",
        403,
        operation="DescribeInstances",
    )
    sentence = explain_error(exc, service="ec2")
    assert sentence.startswith("the credentials lack ec2:DescribeInstances; ")
    assert "aws sts decode-authorization-message" in sentence
    assert "AbCd-123_xyz" not in sentence  # long and useless to read: the hint says how to decode it
    assert encoded_authorization_message(exc) == "AbCd-123_xyz"
    assert encoded_authorization_message(client_error("AccessDenied")) is None


def test_expired_credentials_name_the_profile(monkeypatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    exc = client_error("ExpiredToken", "The security token included in the request is expired", 400)
    assert explain_error(exc, profile="prod") == (
        "the credentials have expired: run `aws sso login --profile prod` or refresh them"
    )
    assert "`aws sso login`" in explain_error(exc)
    monkeypatch.setenv("AWS_PROFILE", "staging")
    assert "--profile staging" in explain_error(exc)


def test_throttling_counts_the_retries() -> None:
    exc = client_error(
        "RequestLimitExceeded", "Request limit exceeded.", 503, operation="DescribeInstances", retries=4
    )
    assert explain_error(exc, service="ec2").startswith(
        "AWS throttled ec2:DescribeInstances (RequestLimitExceeded) even after 4 retries:"
    )


def test_moto_server_html_pages_mean_unsupported() -> None:
    html = (
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
        "<h1>Internal Server Error</h1>"
    )
    exc = client_error("500", html, 500, operation="LookupEvents")
    info = describe_error(exc, service="cloudtrail")
    assert info.kind is K.UNSUPPORTED
    assert (
        info.sentence
        == "the endpoint does not implement cloudtrail:LookupEvents (emulators lack some AWS APIs)"
    )
    not_found = client_error(
        "404", "<!doctype html>\n<title>404 Not Found</title>", 404, operation="GetAccountSettings"
    )
    assert classify_error(not_found) is K.UNSUPPORTED
    parser = ResponseParserError(
        "Unable to parse response, invalid XML received:\nb'<!doctype html>...500 Internal Server Error'"
    )
    assert classify_error(parser) is K.UNSUPPORTED
    assert classify_error(ResponseParserError("Unable to parse response: garbage")) is K.SERVICE


def test_plain_404_without_html_is_not_found() -> None:
    assert classify_error(client_error("404", "Not Found", 404, operation="HeadBucket")) is K.NOT_FOUND


def test_secrets_in_messages_are_redacted() -> None:
    exc = client_error("Weird", "key AKIAIOSFODNN7EXAMPLE and password=hunter22 were used", 400)
    sentence = explain_error(exc)
    assert "AKIAIOSFODNN7EXAMPLE" not in sentence and "hunter22" not in sentence
    assert "AKIA****************" in sentence


def test_long_messages_are_cut() -> None:
    sentence = explain_error(client_error("Weird", "x " * 2000, 400))
    assert len(sentence) < 400 and "…" in sentence


# -- exceptions raised before or instead of an answer ------------------------------------------

URL = "https://ec2.us-east-1.amazonaws.com/"
CLASS_CASES = [
    (bx.NoCredentialsError(), K.CREDENTIALS, ["no AWS credentials were found", "awstriage credentials set"]),
    (
        bx.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        K.CREDENTIALS,
        ["credentials in env are incomplete: AWS_SECRET_ACCESS_KEY is missing"],
    ),
    (
        bx.TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed"),
        K.CREDENTIALS,
        ["SSO session has expired", "aws sso login"],
    ),
    (bx.SSOTokenLoadError(error_msg="no token"), K.CREDENTIALS, ["SSO session"]),
    (bx.UnauthorizedSSOTokenError(), K.CREDENTIALS, ["SSO session"]),
    (bx.ProfileNotFound(profile="prod"), K.CREDENTIALS, ["the profile prod is not in ~/.aws/config"]),
    (
        bx.CredentialRetrievalError(provider="custom-process", error_msg="exit 1"),
        K.CREDENTIALS,
        ["could not get credentials from custom-process: exit 1"],
    ),
    (bx.NoRegionError(), K.UNKNOWN_REGION, ["no AWS region is configured", "--region"]),
    (
        bx.InvalidRegionError(region_name="us east 1"),
        K.UNKNOWN_REGION,
        ["'us east 1' is not a valid region name"],
    ),
    (bx.EndpointConnectionError(endpoint_url=URL), K.UNREACHABLE, [f"could not connect to {URL}", "proxy"]),
    (
        bx.EndpointConnectionError(endpoint_url="https://ec2.us-east-9.amazonaws.com/"),
        K.UNKNOWN_REGION,
        ["us-east-9 is not a region botocore knows"],
    ),
    (bx.ConnectTimeoutError(endpoint_url=URL), K.UNREACHABLE, [f"the connection to {URL} timed out"]),
    (bx.ReadTimeoutError(endpoint_url=URL), K.UNREACHABLE, ["did not answer in time"]),
    (bx.ConnectionClosedError(endpoint_url=URL), K.UNREACHABLE, ["closed the connection"]),
    (
        bx.SSLError(endpoint_url=URL, error="certificate verify failed"),
        K.UNREACHABLE,
        ["TLS", "AWS_CA_BUNDLE"],
    ),
    (
        bx.ProxyConnectionError(proxy_url="http://bob:s3cret@proxy.corp:3128/?x=1"),
        K.UNREACHABLE,
        ["could not connect through the proxy http://proxy.corp:3128/"],
    ),
    (socket.gaierror(-2, "Name or service not known"), K.UNREACHABLE, ["could not reach AWS"]),
    (
        bx.UnknownServiceError(service_name="ec3", known_service_names="ec2"),
        K.UNSUPPORTED,
        ["does not know the service ec3"],
    ),
    (
        NotImplementedError("The lookup_events action has not been implemented"),
        K.UNSUPPORTED,
        ["does not implement"],
    ),
    (
        bx.ParamValidationError(
            report="Invalid type for parameter MaxResults, value: x, type: <class 'str'>"
        ),
        K.VALIDATION,
        ["are invalid: Invalid type for parameter MaxResults"],
    ),
    (bx.CapacityNotAvailableError(), K.THROTTLED, ["retry budget"]),
    (
        ReadOnlyViolation("ec2", "AuthorizeSecurityGroupIngress"),
        K.READ_ONLY,
        ["awstriage is read-only and refused to call ec2:AuthorizeSecurityGroupIngress"],
    ),
    (
        ValueError("boom\nwith a second line"),
        K.OTHER,
        ["unexpected error (ValueError): boom with a second line"],
    ),
]


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    CLASS_CASES,
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_exceptions(exc: BaseException, kind: ErrorKind, words: list[str]) -> None:
    info = describe_error(exc, operation="DescribeInstances" if kind is K.VALIDATION else None)
    assert info.kind is kind
    assert info.code == type(exc).__name__ == error_code(exc)
    for word in words:
        assert word in info.sentence, info.sentence
    assert_one_sentence(info.sentence)


def test_proxy_password_never_shown() -> None:
    sentence = explain_error(bx.ProxyConnectionError(proxy_url="http://bob:s3cret@proxy.corp:3128"))
    assert "s3cret" not in sentence and "bob" not in sentence


def test_fallback_names_the_operation() -> None:
    assert (
        explain_error(RuntimeError("odd"), service="ec2", operation="DescribeVpcs")
        == "could not ec2:DescribeVpcs: odd"
    )
    assert explain_error(RuntimeError("odd"), operation="DescribeVpcs") == "could not DescribeVpcs: odd"


def test_every_kind_is_reachable() -> None:
    kinds = {kind for _, _, kind, _ in CLIENT_CASES} | {kind for _, kind, _ in CLASS_CASES}
    assert kinds == set(ErrorKind)


# -- real errors from moto ----------------------------------------------------------------------


@pytest.fixture
def aws():
    with mock_aws():
        yield


def test_missing_instance_is_not_found(aws) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with pytest.raises(bx.ClientError) as caught:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
    info = describe_error(caught.value, service="ec2")
    assert info.kind is K.NOT_FOUND
    assert info.code == "InvalidInstanceID.NotFound"
    assert info.sentence == (
        "the resource was not found (InvalidInstanceID.NotFound): "
        "The instance ID 'i-0123456789abcdef0' does not exist"
    )


def test_missing_user_and_function_are_not_found(aws) -> None:
    with pytest.raises(bx.ClientError) as user:
        boto3.client("iam", region_name="us-east-1").get_user(UserName="nobody")
    assert classify_error(user.value) is K.NOT_FOUND and error_code(user.value) == "NoSuchEntity"
    with pytest.raises(bx.ClientError) as function:
        boto3.client("lambda", region_name="us-east-1").get_function_configuration(FunctionName="nope")
    assert classify_error(function.value) is K.NOT_FOUND


# The sandbox fills some APIs moto lacks (diagnostics/sandbox/gaps), process-wide once installed, so
# these tests use APIs nobody fills: Reachability Analyzer (EC2, query protocol) and Health (JSON).
def test_api_moto_lacks_is_unsupported(aws) -> None:
    with pytest.raises(NotImplementedError) as caught:
        boto3.client("ec2", region_name="us-east-1").describe_network_insights_analyses()
    assert explain_error(caught.value, service="ec2", operation="DescribeNetworkInsightsAnalyses") == (
        "the endpoint does not implement ec2:DescribeNetworkInsightsAnalyses (emulators lack some AWS APIs)"
    )


def test_guarded_write_is_read_only(aws) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    install_guard(ec2)
    with pytest.raises(ReadOnlyViolation) as caught:
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
    assert classify_error(caught.value) is K.READ_ONLY
    assert explain_error(caught.value) == "awstriage is read-only and refused to call ec2:CreateVpc"


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )
    with pytest.raises(bx.BotoCoreError) as caught:
        client.get_caller_identity()
    assert classify_error(caught.value) is K.UNREACHABLE
    assert explain_error(caught.value).startswith(f"could not connect to http://127.0.0.1:{port}/")


def test_moto_server_unimplemented_apis_are_unsupported() -> None:
    # The sandbox runs moto as a server: an API it lacks answers an HTML error page, not an AWS error.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()

        def client(service: str):
            return boto3.client(
                service,
                region_name="us-east-1",
                endpoint_url=f"http://{host}:{port}",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )

        with pytest.raises(bx.ClientError) as trail:  # JSON protocol: a ClientError with code "500"
            client("health").describe_events()
        with pytest.raises(ResponseParserError) as query:  # query protocol: the XML parser gives up
            client("ec2").describe_network_insights_analyses()
    finally:
        server.stop()
    assert explain_error(trail.value, service="health") == (
        "the endpoint does not implement health:DescribeEvents (emulators lack some AWS APIs)"
    )
    assert classify_error(query.value) is K.UNSUPPORTED
    assert explain_error(query.value, service="ec2", operation="DescribeNetworkInsightsAnalyses") == (
        "the endpoint does not implement ec2:DescribeNetworkInsightsAnalyses (emulators lack some AWS APIs)"
    )
