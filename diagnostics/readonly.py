"""The read-only promise: awstriage only ever calls operations that read.

Every client awstriage hands out refuses, before anything is serialised or sent, any operation this
module does not classify as a read. The classification is data, not code, and is decided in this
order (the first rule that applies wins):

1. ``DENIED``: explicit refusals, even though the name looks like a read. They reveal secret
   values, mint credentials, claim work from a queue, or read customer data (see the comments).
2. ``ALLOWED``: explicit reads whose names do not start with a read verb
   (``sts:DecodeAuthorizationMessage``, Logs Insights' ``StartQuery``/``StopQuery``, ...).
3. ``SENSITIVE_WORDS``: a safety net for operations botocore adds later: a read-verb operation whose
   name contains Credentials, Token, Password, SecretValue, ApiKey, ... is refused.
4. ``READ_PREFIXES`` apply only to the services in ``READ_SERVICES``: awstriage troubleshoots
   networking, IAM, Lambda and performance, and the scope keeps an obscure service's
   ``Get...Token``/``Get...Url`` (hundreds exist across botocore's ~440 services) from slipping
   through a prefix. A playbook that needs a new service adds it here, in review.
5. Anything else is refused.

Decisions on the edge cases (awstriage never needs a secret's value, only metadata):
- ``secretsmanager:GetSecretValue``/``BatchGetSecretValue``: refused; ``DescribeSecret``/``ListSecrets``
  (metadata: rotation, KMS key, policy) stay allowed.
- ``ssm:GetParameter``/``GetParameters``/``GetParametersByPath``/``GetParameterHistory``: refused
  outright. With ``WithDecryption=true`` they return SecureString plaintext, and the guard decides
  by name only (the parameters are not inspected, so the promise cannot be bypassed by a flag);
  ``DescribeParameters`` gives the metadata a diagnosis needs.
- ``ec2:GetPasswordData`` (a Windows administrator password), ``sts:GetSessionToken`` and
  friends (mint credentials), ``ecr:GetAuthorizationToken``, ``ecr:GetDownloadUrlForLayer``
  (presigned URL), API Gateway ``GetApiKey(s)``/``GetUsagePlanKey(s)`` (return key values),
  ``wafv2:GetDecryptedAPIKey``, ``kms:GetParametersForImport`` (issues an import token): refused.
- ``stepfunctions:GetActivityTask`` claims a task from a worker queue, ``xray:GetSamplingTargets``
  reports sampling statistics as an SDK would, ``ssm:GetDeployablePatchSnapshotForInstance`` is
  the patch agent's call: refused, they act on the account although named like reads.
- DynamoDB ``Query``/``Scan``/``GetItem``/``BatchGetItem``/``ExecuteStatement``: reads, but of
  customer data, and they consume read capacity: during a throttling incident a Scan would worsen
  the very problem under diagnosis. awstriage reads table configuration and metrics instead, so
  ``Query``/``Scan`` are not read prefixes and the item reads are refused.
- ``s3:GetObject`` stays allowed (a read of an object the user points at); ``lambda:GetFunction``
  stays allowed (its presigned code URL and environment values are removed by ``redact``).
- ``logs:StartQuery``/``logs:StopQuery``: Logs Insights is the only way to aggregate log data
  (for example the memory used by every Lambda invocation). ``StartQuery`` creates a query
  object that expires by itself and changes no configuration; ``StopQuery`` only stops a query
  awstriage started. ``GetQueryResults`` is a plain read. ``cloudtrail:StartQuery`` (CloudTrail
  Lake) is not allowed: it bills per byte scanned and awstriage uses ``LookupEvents``.
- ``logs:TestMetricFilter`` and ``accessanalyzer:ValidatePolicy`` compute an answer from the
  request alone (no resource is read or written): allowed. ``Test*`` is not a read prefix, because
  ``apigateway:TestInvokeMethod`` and ``TestInvokeAuthorizer`` really invoke the backend.
- ``Head*`` (``s3:HeadBucket``/``HeadObject``) are reads; ``BatchGet*`` is a read prefix (X-Ray
  ``BatchGetTraces``); ``Generate*``, ``Estimate*``, ``Validate*``, ``Check*``, ``Download*`` are not.
"""

from __future__ import annotations

import re
from typing import Any

# Operation-name prefixes that mean "read". A prefix must be followed by an upper-case letter or
# end the name, so that "List" never matches a hypothetical "Listen...".
READ_PREFIXES: tuple[str, ...] = (
    "Describe",
    "Get",
    "List",
    "Lookup",
    "Filter",
    "Simulate",
    "Search",
    "BatchGet",
    "Head",
)

# Services whose read-prefixed operations are allowed (boto3 client names).
READ_SERVICES: frozenset[str] = frozenset(
    {
        "accessanalyzer",
        "apigateway",
        "apigatewayv2",
        "application-autoscaling",
        "autoscaling",
        "cloudformation",
        "cloudfront",
        "cloudtrail",
        "cloudwatch",
        "compute-optimizer",
        "config",
        "directconnect",
        "dynamodb",
        "ec2",
        "ecr",
        "ecs",
        "efs",
        "eks",
        "elasticache",
        "elb",
        "elbv2",
        "events",
        "firehose",
        "globalaccelerator",
        "health",
        "iam",
        "iam-toolbox",  # the Access Troubleshooter: GetRequestAuthorizationDetails / Policy
        "identitystore",
        "kinesis",
        "kms",
        "lambda",
        "logs",
        "network-firewall",
        "networkmanager",
        "opensearch",
        "organizations",
        "pi",
        "rds",
        "resource-groups",
        "resourcegroupstaggingapi",
        "route53",
        "route53resolver",
        "s3",
        "s3control",
        "secretsmanager",
        "service-quotas",
        "sns",
        "sqs",
        "ssm",
        "sso-admin",
        "stepfunctions",
        "sts",
        "vpc-lattice",
        "wafv2",
        "xray",
    }
)

# Reads whose names do not start with a read verb. (service, operation).
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "DecodeAuthorizationMessage"),  # the access-denied playbook decodes EC2's reasons
        ("sts", "GetCallerIdentity"),  # the identity step; listed so it never depends on a prefix
        ("logs", "StartQuery"),  # Logs Insights, see the module docstring
        ("logs", "StopQuery"),
        ("logs", "GetQueryResults"),
        ("logs", "TestMetricFilter"),  # pure: matches a pattern against the sample given
        ("accessanalyzer", "ValidatePolicy"),  # pure: lints the policy document given
        ("iam", "GetAccountPasswordPolicy"),  # the policy, not a password (the word net would refuse it)
    }
)

# Named like reads, refused anyway. (service, operation).
DENIED: frozenset[tuple[str, str]] = frozenset(
    {
        # secret values
        ("secretsmanager", "GetSecretValue"),
        ("secretsmanager", "BatchGetSecretValue"),
        ("secretsmanager", "GetRandomPassword"),
        ("ssm", "GetParameter"),
        ("ssm", "GetParameters"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameterHistory"),
        ("ec2", "GetPasswordData"),
        ("apigateway", "GetApiKey"),
        ("apigateway", "GetApiKeys"),
        ("apigateway", "GetUsagePlanKey"),
        ("apigateway", "GetUsagePlanKeys"),
        ("wafv2", "GetDecryptedAPIKey"),
        # credentials, tokens and presigned URLs
        ("sts", "GetSessionToken"),
        ("sts", "GetFederationToken"),
        ("sts", "GetDelegatedAccessToken"),
        ("sts", "GetWebIdentityToken"),
        ("ecr", "GetAuthorizationToken"),
        ("ecr", "GetDownloadUrlForLayer"),
        ("ssm", "GetAccessToken"),
        ("kms", "GetParametersForImport"),
        ("ssm", "GetDeployablePatchSnapshotForInstance"),
        # side effects behind a read name
        ("stepfunctions", "GetActivityTask"),
        ("xray", "GetSamplingTargets"),
        # customer data that costs read capacity
        ("dynamodb", "GetItem"),
        ("dynamodb", "BatchGetItem"),
        ("dynamodb", "Query"),
        ("dynamodb", "Scan"),
        ("dynamodb", "ExecuteStatement"),
        ("dynamodb", "BatchExecuteStatement"),
        ("dynamodb", "SearchVectors"),
    }
)

# Words that betray a secret or a credential in a read-named operation of any service.
SENSITIVE_WORDS: tuple[str, ...] = (
    "Credentials",
    "Token",
    "Tokens",
    "Password",
    "Passwords",
    "Passphrase",
    "Decrypted",
    "Plaintext",
    "SecretValue",
    "ApiKey",
    "ApiKeys",
    "APIKey",
    "APIKeys",
    "PresignedURL",
    "PresignedUrl",
)


def _words(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``words`` (longest first) ending at a CamelCase boundary."""
    return re.compile("(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")(?=[A-Z0-9]|$)")


_PREFIX_RE = _words(READ_PREFIXES)
_SENSITIVE_RE = _words(SENSITIVE_WORDS)


def _key(service: str, operation: str) -> tuple[str, str]:
    return service.strip().lower(), operation.replace("_", "").lower()


_ALLOWED_KEYS = frozenset(_key(s, o) for s, o in ALLOWED)
_DENIED_KEYS = frozenset(_key(s, o) for s, o in DENIED)


def _camel(operation: str) -> str:
    """Accept boto3 method names too: describe_instances -> DescribeInstances."""
    if "_" in operation or operation.islower():
        return "".join(part[:1].upper() + part[1:] for part in operation.split("_"))
    return operation


def is_read_only(service: str, operation: str) -> bool:
    """True when awstriage may call ``service:operation`` (boto3 service name, API operation name)."""
    key = _key(service, operation)
    if key in _DENIED_KEYS:
        return False
    if key in _ALLOWED_KEYS:
        return True
    name = _camel(operation.strip())
    if _SENSITIVE_RE.search(name):
        return False
    return key[0] in READ_SERVICES and _PREFIX_RE.match(name) is not None


class ReadOnlyViolation(Exception):
    """Raised instead of calling an operation that is not a read. Nothing was sent."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(service, operation)
        self.service = service
        self.operation = operation

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    def __str__(self) -> str:
        return f"awstriage is read-only and refused to call {self.action}"


_GUARD_ID = "awstriage-read-only-guard"


def _guard(model: Any, **_: Any) -> None:
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(service, model.name)


def install_guard(client: Any) -> None:
    """Make ``client`` refuse every operation that is not a read.

    The hook is ``before-parameter-build``: it runs first thing in every API call (paginators and
    waiters included), before parameter validation, serialisation, signing and sending, so a
    refused call never leaves the process. Installing twice is harmless (one unique id).
    """
    client.meta.events.register("before-parameter-build.*.*", _guard, unique_id=_GUARD_ID)
