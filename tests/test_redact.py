"""Secrets never survive redaction, wherever they hide; ordinary evidence is left alone."""

from __future__ import annotations

import copy
import json
import string
import zipfile
from io import BytesIO

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from diagnostics.redact import MARKER, is_sensitive_key, redact, redact_text

B64 = string.ascii_letters + string.digits + "/+"
UPPER_DIGITS = string.ascii_uppercase + string.digits
# Filler has no upper-case letters and no digits, and every planted secret has both, so a secret can
# only appear in the output if redaction let it through.
FILLER = st.text(alphabet=string.ascii_lowercase + " .,-!?()\n\t", max_size=30)
FILLER_KEYS = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | FILLER,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FILLER_KEYS, inner, max_size=3),
    max_leaves=6,
)


def marked(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A secret that surely contains an upper-case letter and a digit (see FILLER)."""
    return st.tuples(body, st.sampled_from("ABCXYZ"), st.sampled_from("0123456789")).map(
        lambda t: t[0][: len(t[0]) - 2] + t[1] + t[2] if len(t[0]) >= 2 else t[0] + t[1] + t[2]
    )


ACCESS_KEY_IDS = st.tuples(
    st.sampled_from(["AKIA", "ASIA", "ABIA", "ACCA"]),
    marked(st.text(alphabet=UPPER_DIGITS, min_size=16, max_size=16)),
).map("".join)
SECRET_KEYS = marked(st.text(alphabet=B64, min_size=40, max_size=40))
SESSION_TOKENS = st.tuples(
    st.sampled_from(["IQoJb3JpZ2luX2VjE", "FwoGZXIvYXdzE", "FQoGZXIvYXdzE", "AQoDYXdzE"]),
    marked(st.text(alphabet=B64, min_size=80, max_size=300)),
).map("".join)
PASSWORDS = marked(
    st.text(alphabet=string.ascii_letters + string.digits + "!#$%*@_-", min_size=8, max_size=24)
)
SIGNATURES = marked(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
API_TOKENS = marked(st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=16, max_size=48))
KEY_BODIES = marked(st.text(alphabet=B64, min_size=64, max_size=200))
# No quotes or backslashes: a value is planted inside quotes, as JSON or a repr would write it.
ENV_VALUES = marked(
    st.text(
        alphabet=string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~ ",
        min_size=6,
        max_size=40,
    )
)

# How each kind of secret is written in free text; {s} is the secret (and {k} an access key ID).
TEXT_FORMS = {
    "key_id": [
        "{s}",
        "AccessKeyId={s}",
        '"AccessKeyId": "{s}"',
        "Credential={s}/20240101/us-east-1/ec2/aws4_request",
    ],
    "secret_key": [
        "aws_secret_access_key = {s}",
        "aws_secret_access_key={s}",
        '"SecretAccessKey": "{s}"',
        "'SecretAccessKey': '{s}'",
        '\\"SecretAccessKey\\": \\"{s}\\"',
        "secret key is {s}",
        "AKIAIOSFODNN7EXAMPLE,{s}",
        "{k} {s}",
        "client_secret={s}",
        "AWS_SECRET_ACCESS_KEY: {s}",
    ],
    "token": [
        "{s}",
        "aws_session_token = {s}",
        '"SessionToken": "{s}"',
        "X-Amz-Security-Token={s}&X-Amz-Date=20240101T000000Z",
        "x-amz-security-token: {s}",
    ],
    "password": [
        "password: {s}",
        "Password={s}",
        '"MasterUserPassword": "{s}"',
        "passwd={s}",
        "password = '{s}'",
        # Connection strings as functions log them (the password in the URL's user info).
        "connecting to postgresql://app:{s}@db.internal:5432/orders",
        "mongodb+srv://admin:{s}@cluster0.example.net/shop?retryWrites=true",
        "redis://:{s}@cache.internal:6379/0",
    ],
    "api_token": [
        "'x-api-key': '{s}'",
        "X-Api-Key: {s}",
        "api-key={s}",
        "Authorization: Bearer {s}",
        "calling partner with bearer {s}",
        "access_token={s}&expires_in=3600",
        '"refresh_token": "{s}"',
    ],
    "signature": [
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature={s}",
        "https://b.s3.amazonaws.com/k?X-Amz-Signature={s}&X-Amz-Expires=600",
    ],
    "private_key": [
        "-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\\n{s}\\n-----END PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}",  # cut short: the END line is missing
    ],
    "env": [
        '{{"Environment": {{"Variables": {{"DB_URL": "{s}"}}}}}}',
        "{{'Variables': {{'API_KEY': '{s}'}}}}",
    ],
}
KEY_FORMS = {
    "key_id": ["AccessKeyId", "aws_access_key_id", "key"],
    "secret_key": ["SecretAccessKey", "aws_secret_access_key", "secret", "SecretKey", "ClientSecret"],
    "token": ["SessionToken", "aws_session_token", "SecurityToken", "X-Amz-Security-Token", "sessionToken"],
    "password": ["Password", "MasterUserPassword", "NewPassword", "db_password", "PasswordData"],
    "signature": ["Authorization", "Signature", "X-Amz-Signature"],
    "private_key": ["PrivateKey", "KeyMaterial", "private_key"],
    "api_token": ["x-api-key", "ApiKey", "api_key", "AccessToken", "refresh_token"],
}
SECRETS = {
    "key_id": ACCESS_KEY_IDS,
    "secret_key": SECRET_KEYS,
    "token": SESSION_TOKENS,
    "password": PASSWORDS,
    "signature": SIGNATURES,
    "private_key": KEY_BODIES,
    "env": ENV_VALUES,
    "api_token": API_TOKENS,
}


@st.composite
def secret_leaf(draw: st.DrawFn) -> tuple[object, str]:
    """A value carrying one secret, as text with context or under a sensitive key; and the secret."""
    kind = draw(st.sampled_from(sorted(SECRETS)))
    secret = draw(SECRETS[kind])
    as_text = kind == "env" or draw(st.booleans())
    if as_text:
        form = draw(st.sampled_from(TEXT_FORMS[kind]))
        text = draw(FILLER) + form.format(s=secret, k=draw(ACCESS_KEY_IDS)) + draw(FILLER)
        return text, secret
    if kind == "env" or draw(st.integers(0, 5)) == 0:
        env = {"Variables": {draw(FILLER_KEYS).upper() or "X": secret}}
        return {"FunctionName": "f", "Environment": env}, secret
    leaf = draw(st.dictionaries(FILLER_KEYS, JUNK, max_size=3))
    leaf[draw(st.sampled_from(KEY_FORMS[kind]))] = secret
    return leaf, secret


@st.composite
def planted(draw: st.DrawFn) -> tuple[object, list[str]]:
    """A random nested structure with one to three secrets at random depths."""
    value: object = draw(st.dictionaries(FILLER_KEYS, JUNK, max_size=3))
    secrets = []
    for _ in range(draw(st.integers(1, 3))):
        leaf, secret = draw(secret_leaf())
        secrets.append(secret)
        for _ in range(draw(st.integers(0, 4))):
            if draw(st.booleans()):
                wrapper = draw(st.dictionaries(FILLER_KEYS, JUNK, max_size=3))
                wrapper[draw(FILLER_KEYS) + "_"] = leaf  # the "_" keeps it clear of sensitive names
                leaf = wrapper
            else:
                items = draw(st.lists(JUNK, max_size=3))
                items.insert(draw(st.integers(0, len(items))), leaf)
                leaf = tuple(items) if draw(st.booleans()) else items
        if isinstance(value, dict):
            value[f"slot{len(secrets)}_"] = leaf
    return value, secrets


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(planted())
def test_planted_secrets_never_survive(case: tuple[object, list[str]]) -> None:
    value, secrets = case
    original = copy.deepcopy(value)
    dumped = json.dumps(redact(value))
    for secret in secrets:
        assert secret not in dumped
    assert value == original  # the input is never modified


@PROPERTY
@given(secret_leaf())
def test_secret_in_text_never_survives_redact_text(case: tuple[object, str]) -> None:
    value, secret = case
    text = value if isinstance(value, str) else json.dumps(value)
    assert secret not in redact_text(text)


@PROPERTY
@given(planted())
def test_redaction_is_idempotent_on_structures(case: tuple[object, list[str]]) -> None:
    once = redact(case[0])
    assert redact(once) == once


@PROPERTY
@given(st.text())
def test_redaction_is_idempotent_on_any_text(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


@PROPERTY
@given(
    st.lists(secret_leaf(), min_size=1, max_size=4).map(
        lambda leaves: " | ".join(v if isinstance(v, str) else json.dumps(v) for v, _ in leaves)
    )
)
def test_redacted_text_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


HEX = "0123456789abcdef"
ORDINARY = st.one_of(
    st.text(alphabet=HEX, min_size=17, max_size=17).map(lambda h: f"i-{h}"),
    st.text(alphabet=HEX, min_size=17, max_size=17).map(lambda h: f"sg-{h}"),
    st.text(alphabet=HEX, min_size=8, max_size=17).map(lambda h: f"acl-{h}"),
    st.text(alphabet=HEX, min_size=8, max_size=17).map(lambda h: f"subnet-{h}"),
    st.tuples(
        st.integers(10**11, 10**12 - 1),
        st.text(alphabet=string.ascii_letters + "-_", min_size=1, max_size=20),
    ).map(lambda t: f"arn:aws:iam::{t[0]}:role/{t[1]}"),
    st.tuples(*[st.integers(0, 255)] * 4, st.integers(0, 32)).map(lambda t: "{}.{}.{}.{}/{}".format(*t)),
    st.sampled_from(
        [
            "the security group allows port 22 from 10.0.0.0/8",
            "NextToken",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
            "arn:aws:lambda:us-east-1:123456789012:function:checkout",
            "/aws/lambda/ProdOrderProcessorFunction12345678ABCD",
            "3f786850e387550fdab836ed7e6dc881de23001b",  # a git SHA: 40 characters, not a secret
            "Memory Size: 128 MB Max Memory Used: 128 MB",
            "REPORT RequestId: 8f5c2b1e-3c4d-4e5f-a6b7-c8d9e0f1a2b3 Duration: 3001.23 ms",
            "AWS/Lambda",
            "SignatureVersion: 4",
            "password policy requires 14 characters",
            "the secret is rotated every 30 days",
            "Asia/Tokyo",
        ]
    ),
    st.text(alphabet=string.ascii_lowercase + " ", max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
ORDINARY_KEYS = st.sampled_from(
    [
        "InstanceId",
        "GroupId",
        "CidrBlock",
        "Arn",
        "NextToken",
        "ClientToken",
        "SecretId",
        "KmsKeyId",
        "Name",
        "PasswordLastUsed",
        "PasswordResetRequired",
        "AuthorizationType",
        "Description",
        "SecretList",
    ]
)
ORDINARY_DATA = st.recursive(
    ORDINARY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ORDINARY_KEYS, inner, max_size=4),
    max_leaves=12,
)


@PROPERTY
@given(ORDINARY_DATA)
def test_ordinary_data_is_unchanged(value: object) -> None:
    assert redact(value) == value


# -- examples -----------------------------------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_access_key_id_keeps_its_kind() -> None:
    assert redact_text("key AKIAIOSFODNN7EXAMPLE in use") == "key AKIA**************** in use"
    assert redact({"AccessKeyId": "ASIAIOSFODNN7EXAMPLE"}) == {"AccessKeyId": "ASIA****************"}
    assert redact_text("role AROAIOSFODNN7EXAMPLE") == "role AROAIOSFODNN7EXAMPLE"  # a role ID is no secret


def test_assume_role_credentials() -> None:
    answer = {
        "Credentials": {
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": SECRET,
            "SessionToken": "FwoGZXIvYXdzEBYaDNotARealTokenButLongEnough",
            "Expiration": "2026-01-01T00:00:00Z",
        },
        "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"},
    }
    assert redact(answer) == {
        "Credentials": {
            "AccessKeyId": "ASIA****************",
            "SecretAccessKey": MARKER,
            "SessionToken": MARKER,
            "Expiration": "2026-01-01T00:00:00Z",
        },
        "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"},
    }


def test_lambda_environment_keeps_names_only() -> None:
    config = {
        "FunctionName": "checkout",
        "Environment": {
            "Variables": {"DB_HOST": "db.internal", "STRIPE_KEY": "sk_live_abc"},
            "Error": {"Message": "m"},
        },
        "Environment.Variables.TOKEN": "xyz",
        "Environment.Variables.entry.1.key": "TOKEN",
        "Environment.Variables.entry.1.value": "xyz",
        "environment": [{"name": "MODE", "value": "prod"}],
    }
    assert redact(config) == {
        "FunctionName": "checkout",
        "Environment": {"Variables": {"DB_HOST": MARKER, "STRIPE_KEY": MARKER}, "Error": {"Message": "m"}},
        "Environment.Variables.TOKEN": MARKER,
        "Environment.Variables.entry.1.key": "TOKEN",
        "Environment.Variables.entry.1.value": MARKER,
        "environment": [{"name": "MODE", "value": MARKER}],
    }


def test_text_forms() -> None:
    assert redact_text(f"aws_secret_access_key = {SECRET}") == f"aws_secret_access_key = {MARKER}"
    assert (
        redact_text('{"Password": "hunter 2", "User": "bob"}') == f'{{"Password": "{MARKER}", "User": "bob"}}'
    )
    header = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0a" * 32
    )
    assert redact_text(header) == (
        f"AWS4-HMAC-SHA256 Credential={MARKER}, SignedHeaders=host;x-amz-date, Signature={MARKER}"
    )
    pem = "before -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY----- after"
    assert redact_text(pem) == f"before {MARKER} after"


def test_secrets_in_lambda_log_lines_as_the_python_runtime_writes_them() -> None:
    """Lines a function logs land in the lambda-oom and slow-performance findings (the lines before a
    failure), so in every transcript and journal."""
    rid = "8f5c2b1e-3c4d-4e5f-a6b7-c8d9e0f1a2b3"
    lines = {
        f"[INFO]\t2026-11-30T01:02:03.456Z\t{rid}\tconnecting to postgresql://app:hunter2-SuperSecret@db.internal:5432/orders":
            f"[INFO]\t2026-11-30T01:02:03.456Z\t{rid}\tconnecting to postgresql://app:{MARKER}@db.internal:5432/orders",
        f"[INFO]\t2026-11-30T01:02:03.456Z\t{rid}\tcalling partner with headers {{'Authorization': 'Bearer "
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig123', 'x-api-key': 'sk_live_51HxYzAbCdEf'}":
            f"[INFO]\t2026-11-30T01:02:03.456Z\t{rid}\tcalling partner with headers {{'Authorization': '{MARKER}', "
            f"'x-api-key': '{MARKER}'}}",
        "token ghp_0123456789abcdefghijABCDEFGHIJ0123 posted to xoxb-1234-5678-abcdEFGHijkl":
            f"token {MARKER} posted to {MARKER}",
    }
    for line, expected in lines.items():
        assert redact_text(line) == expected
    # Addresses with a port or an @ in the query are not user info.
    for plain in ("https://docs.aws.amazon.com:443/lambda/", "http://host:8080/x?a=b@c",
                  "ssh://git@github.com/org/repo", "NextToken ClientToken"):
        assert redact_text(plain) == plain


def test_empty_and_flag_values_under_sensitive_keys_are_kept() -> None:
    value = {
        "Password": "",
        "SessionToken": None,
        "PasswordResetRequired": True,
        "AllowUsersToChangePassword": False,
    }
    assert redact(value) == value


def test_sensitive_key_names() -> None:
    for key in [
        "SecretAccessKey",
        "aws_secret_access_key",
        "MasterUserPassword",
        "X-Amz-Security-Token",
        "KeyMaterial",
    ]:
        assert is_sensitive_key(key), key
    for key in [
        "SecretId",
        "NextToken",
        "ClientToken",
        "PasswordLastUsed",
        "KeyId",
        "SecretList",
        "AuthorizationType",
    ]:
        assert not is_sensitive_key(key), key


def test_types_are_kept() -> None:
    value = {"a": ("AKIAIOSFODNN7EXAMPLE", 1), "b": [b"password=hunter22"], "c": 1.5, "d": None}
    assert redact(value) == {
        "a": ("AKIA****************", 1),
        "b": [f"password={MARKER}".encode()],
        "c": 1.5,
        "d": None,
    }



@pytest.fixture
def aws():
    with mock_aws():
        yield


def lambda_zip() -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def test_lambda_configuration_from_moto(aws) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws_lambda = boto3.client("lambda", region_name="us-east-1")
    aws_lambda.create_function(
        FunctionName="checkout",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": lambda_zip()},
        Environment={"Variables": {"DB_PASSWORD": "Sup3rSecret!", "STAGE": "prod"}},
    )
    config = aws_lambda.get_function_configuration(FunctionName="checkout")
    config.pop("ResponseMetadata")
    text = json.dumps(redact(config), default=str)
    assert "Sup3rSecret!" not in text
    assert '"DB_PASSWORD": "[REDACTED]"' in text
    assert '"FunctionName": "checkout"' in text


def test_a_credential_in_a_urls_query_is_redacted_and_the_rest_of_the_url_kept() -> None:
    """breaker_b: an alarm named after its webhook, '...?token=abcSECRETxyz123', was shown as it is."""
    assert redact_text("api-5xx https://hooks.example.com/?token=abcSECRETxyz123") == (
        f"api-5xx https://hooks.example.com/?token={MARKER}")
    assert redact_text("https://acct.blob.core.windows.net/c?sv=2020-08-04&sig=abcdEF%2B123&se=1") == (
        f"https://acct.blob.core.windows.net/c?sv=2020-08-04&sig={MARKER}&se=1")
    assert redact_text("https://h.example.com/x?page=2&access_token=a1b2c3&x=1") == (
        f"https://h.example.com/x?page=2&access_token={MARKER}&x=1")
    assert redact_text("https://h.example.com/x?a=1&pwd=hunter2#top") == f"https://h.example.com/x?a=1&pwd={MARKER}#top"
    # A query parameter that is no credential stays: an S3 key, a page number.
    assert redact_text("https://h.example.com/x?page=2&key=reports/q3.csv") == (
        "https://h.example.com/x?page=2&key=reports/q3.csv")
