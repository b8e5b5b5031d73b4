"""Every failure becomes one plain sentence, never a traceback.

``explain_error(exc)`` returns one line with no final full stop, in lower case unless it starts
with a name such as AWS, so it reads well alone and after a step's own words: "could not read
network ACLs: the credentials lack ec2:DescribeNetworkAcls". ``describe_error`` returns the same
sentence with its kind, error code and IAM action, for the call log and the transcript. AWS error
messages quoted in a sentence pass through ``redact_text`` and are shortened.
"""

from __future__ import annotations

import enum
import os
import re
import socket
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore import exceptions as bx
from botocore.parsers import ResponseParserError

from diagnostics.readonly import ReadOnlyViolation
from diagnostics.redact import redact_text
from diagnostics.text import shorten


class ErrorKind(enum.Enum):
    ACCESS_DENIED = "access_denied"
    CREDENTIALS = "credentials"
    THROTTLED = "throttled"
    UNREACHABLE = "unreachable"
    NOT_FOUND = "not_found"
    UNKNOWN_REGION = "unknown_region"
    VALIDATION = "validation"
    READ_ONLY = "read_only"
    UNSUPPORTED = "unsupported"
    SERVICE = "service"
    OTHER = "other"


@dataclass(frozen=True)
class ErrorInfo:
    kind: ErrorKind
    code: str | None
    sentence: str
    action: str | None = None  # the IAM action, "ec2:DescribeNetworkAcls", when known


K = ErrorKind

# AWS error codes, exactly as services send them.
CODE_KINDS: dict[str, ErrorKind] = {
    **dict.fromkeys(
        (
            "AccessDenied",
            "AccessDeniedException",
            "AccessDeniedForDependencyException",
            "UnauthorizedOperation",
            "UnauthorizedAccess",
            "UnauthorizedException",
            "Forbidden",
            "ForbiddenException",
            "AuthorizationError",
            "AuthorizationErrorException",
            "NotAuthorized",
            "NotAuthorizedException",
            "InsufficientPrivilegesException",
            "OptInRequired",
            "403",
        ),
        K.ACCESS_DENIED,
    ),
    **dict.fromkeys(
        (
            "ExpiredToken",
            "ExpiredTokenException",
            "TokenRefreshRequired",
            "RequestExpired",
            "RequestTimeTooSkewed",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "AuthFailure",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "IncompleteSignature",
            "IncompleteSignatureException",
            "InvalidToken",
            "InvalidIdentityToken",
            "MissingAuthenticationToken",
            "MissingAuthenticationTokenException",
            "InvalidSecurity",
        ),
        K.CREDENTIALS,
    ),
    # botocore's own list of throttling codes (botocore.retries.standard), which it retries.
    **dict.fromkeys(
        (
            "Throttling",
            "ThrottlingException",
            "ThrottledException",
            "RequestThrottledException",
            "RequestThrottled",
            "TooManyRequestsException",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "BandwidthLimitExceeded",
            "LimitExceededException",
            "SlowDown",
            "PriorRequestNotComplete",
            "EC2ThrottledException",
            "429",
        ),
        K.THROTTLED,
    ),
    **dict.fromkeys(
        (
            "NoSuchEntity",
            "NoSuchBucket",
            "NoSuchKey",
            "ResourceNotFoundException",
            "ResourceNotFound",
            "NotFound",
            "NotFoundException",
            "404",
        ),
        K.NOT_FOUND,
    ),
    **dict.fromkeys(
        (
            "ValidationError",
            "ValidationException",
            "InvalidParameterValue",
            "InvalidParameterValueException",
            "InvalidParameterCombination",
            "InvalidParameter",
            "InvalidParameterException",
            "InvalidInput",
            "InvalidInputException",
            "InvalidRequest",
            "InvalidRequestException",
            "InvalidArgument",
            "MissingParameter",
            "MalformedPolicyDocument",
            "MalformedQueryString",
            "SerializationException",
        ),
        K.VALIDATION,
    ),
    **dict.fromkeys(
        (
            "NotImplemented",
            "NotImplementedException",
            "InvalidAction",
            "UnknownOperationException",
            "UnsupportedOperation",
            "UnsupportedOperationException",
        ),
        K.UNSUPPORTED,
    ),
    **dict.fromkeys(
        (
            "InternalError",
            "InternalFailure",
            "InternalServerError",
            "InternalServerErrorException",
            "InternalServerException",
            "InternalServiceError",
            "InternalServiceException",
            "ServiceUnavailable",
            "ServiceUnavailableException",
            "ServiceException",
            "ServiceFailure",
            "Unavailable",
            "500",
            "502",
            "503",
            "504",
        ),
        K.SERVICE,
    ),
    "RegionDisabledException": K.UNKNOWN_REGION,
}

# Families of codes, tried in order when the exact code is not in the table.
CODE_PATTERNS: tuple[tuple[re.Pattern[str], ErrorKind], ...] = (
    (re.compile(r"NotFound(Exception|Fault)?$|^NoSuch"), K.NOT_FOUND),  # InvalidInstanceID.NotFound
    (re.compile(r"Throttl|TooManyRequests|RateExceeded"), K.THROTTLED),
    (re.compile(r"AccessDenied|Unauthorized|Forbidden"), K.ACCESS_DENIED),
    (re.compile(r"^Invalid|^Malformed|\.Malformed$|Validation"), K.VALIDATION),  # InvalidGroupId.Malformed
    (re.compile(r"^Internal|ServiceUnavailable"), K.SERVICE),
)

# Exceptions raised before or instead of an AWS answer, by class (first match wins: subclasses first).
CLASS_KINDS: tuple[tuple[type[BaseException], ErrorKind], ...] = (
    (ReadOnlyViolation, K.READ_ONLY),
    (bx.NoRegionError, K.UNKNOWN_REGION),
    (bx.InvalidRegionError, K.UNKNOWN_REGION),
    (bx.UnknownRegionError, K.UNKNOWN_REGION),
    (bx.UnknownEndpointError, K.UNKNOWN_REGION),
    (bx.ServiceNotInRegionError, K.UNKNOWN_REGION),
    (bx.UnknownFIPSEndpointError, K.UNKNOWN_REGION),
    (bx.NoCredentialsError, K.CREDENTIALS),
    (bx.PartialCredentialsError, K.CREDENTIALS),
    (bx.CredentialRetrievalError, K.CREDENTIALS),
    (bx.TokenRetrievalError, K.CREDENTIALS),
    (bx.SSOError, K.CREDENTIALS),  # SSOTokenLoadError, UnauthorizedSSOTokenError
    (bx.LoginError, K.CREDENTIALS),
    (bx.NoAuthTokenError, K.CREDENTIALS),
    (bx.ProfileNotFound, K.CREDENTIALS),
    (bx.ConfigParseError, K.CREDENTIALS),
    (bx.InvalidConfigError, K.CREDENTIALS),
    (bx.RefreshWithMFAUnsupportedError, K.CREDENTIALS),
    (bx.MetadataRetrievalError, K.CREDENTIALS),
    (bx.UnknownCredentialError, K.CREDENTIALS),
    (bx.CapacityNotAvailableError, K.THROTTLED),  # the client-side retry quota ran out
    (bx.ConnectionError, K.UNREACHABLE),  # EndpointConnection, ConnectTimeout, SSL, ProxyConnection
    (bx.HTTPClientError, K.UNREACHABLE),  # ReadTimeout, ConnectionClosed
    (ConnectionError, K.UNREACHABLE),
    (TimeoutError, K.UNREACHABLE),
    (socket.gaierror, K.UNREACHABLE),
    (bx.UnknownServiceError, K.UNSUPPORTED),
    (bx.OperationNotPageableError, K.UNSUPPORTED),
    (bx.UnknownClientMethodError, K.UNSUPPORTED),
    (bx.UnsupportedServiceProtocolsError, K.UNSUPPORTED),
    (NotImplementedError, K.UNSUPPORTED),  # moto, in-process, for an API it lacks
    (bx.ParamValidationError, K.VALIDATION),
    (bx.ValidationError, K.VALIDATION),
    (bx.MissingParametersError, K.VALIDATION),
)

# IAM action prefixes that differ from the service's signing name.
IAM_PREFIX_OVERRIDES: dict[str, str] = {"monitoring": "cloudwatch", "iotdata": "iot", "awsssoportal": "sso"}

_HTML = re.compile(r"^\s*<(!doctype|html)", re.I)
_TAGS = re.compile(r"<[^>]+>")
_ACTION_IN_MESSAGE = re.compile(r"not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)")
_RESOURCE_IN_MESSAGE = re.compile(r"\bon resource:?\s+(\S+?)(?=\s+because|\s+with\s|\.?$|\.\s)")
_REASON_IN_MESSAGE = re.compile(
    r"because\s+(no [A-Za-z\- ]+? allows)|with an (explicit deny in an? [A-Za-z\- ]+?(?:policy|boundary))"
)
_ENCODED = re.compile(r"Encoded authorization failure message:\s*(\S+)")
_REGION_IN_HOST = re.compile(r"(?<![a-z])([a-z]{2}(?:-[a-z]+)+-\d+)(?![a-z0-9])")
_MAX_MESSAGE = 300


# -- public API ---------------------------------------------------------------------------------


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError ("AccessDenied"), else the exception's class name."""
    if isinstance(exc, bx.ClientError):
        error = (getattr(exc, "response", None) or {}).get("Error") or {}
        code = error.get("Code")
        if code:
            return str(code)
        status = _status(exc)
        return str(status) if status else None
    return type(exc).__name__


def classify_error(exc: BaseException) -> ErrorKind:
    return describe_error(exc).kind


def explain_error(
    exc: BaseException,
    *,
    service: str | None = None,
    operation: str | None = None,
    profile: str | None = None,
) -> str:
    """One plain sentence saying what went wrong and what to do about it."""
    return describe_error(exc, service=service, operation=operation, profile=profile).sentence


def describe_error(
    exc: BaseException,
    *,
    service: str | None = None,
    operation: str | None = None,
    profile: str | None = None,
) -> ErrorInfo:
    """Kind, code, sentence and IAM action of ``exc``. ``service`` is the boto3 service name."""
    try:
        return _describe(exc, service, operation, profile)
    except Exception:  # an explanation must never fail in its turn
        return ErrorInfo(K.OTHER, type(exc).__name__, f"unexpected error ({type(exc).__name__})")


def iam_action(service: str | None, operation: str | None) -> str | None:
    """The IAM action of an API call: ("cloudwatch", "GetMetricData") -> "cloudwatch:GetMetricData"."""
    if not operation or not service:
        return None
    return f"{_iam_prefix(service)}:{operation}"


def encoded_authorization_message(exc: BaseException) -> str | None:
    """The encoded reason EC2 attaches to UnauthorizedOperation, for sts:DecodeAuthorizationMessage."""
    found = _ENCODED.search(_raw_message(exc))
    return found.group(1) if found else None


# -- analysis -----------------------------------------------------------------------------------


def _describe(
    exc: BaseException, service: str | None, operation: str | None, profile: str | None
) -> ErrorInfo:
    if isinstance(exc, ReadOnlyViolation):
        return ErrorInfo(K.READ_ONLY, type(exc).__name__, str(exc), exc.action)
    operation = operation or getattr(exc, "operation_name", None) or None
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, service, operation, profile)
    kind = _class_kind(exc)
    code = type(exc).__name__
    if kind is K.UNREACHABLE and (region := _unknown_region(_kw(exc, "endpoint_url"))):
        return ErrorInfo(
            K.UNKNOWN_REGION,
            code,
            f"could not reach {_safe_url(_kw(exc, 'endpoint_url'))}: {region} is not a region botocore "
            "knows; check --region (for example us-east-1)",
        )
    builder = _CLASS_SENTENCES.get(kind, _other_sentence)
    return ErrorInfo(
        kind, code, builder(exc, _call(service, operation), profile), iam_action(service, operation)
    )


def _client_error(
    exc: bx.ClientError, service: str | None, operation: str | None, profile: str | None
) -> ErrorInfo:
    code = error_code(exc) or ""
    message = _raw_message(exc)
    status = _status(exc)
    call = _call(service, operation)
    action = iam_action(service, operation)
    if _HTML.match(message):  # moto's server answers an API it lacks with an HTML error page
        return ErrorInfo(K.UNSUPPORTED, code, _unsupported(call), action)
    kind = CODE_KINDS.get(code) or _pattern_kind(code) or _status_kind(status)
    if kind is K.ACCESS_DENIED:
        found = _ACTION_IN_MESSAGE.search(message)
        action = found.group(1) if found else action
        return ErrorInfo(kind, code, _access_denied(code, message, action, operation), action)
    sentence = _CLIENT_SENTENCES.get(kind, _client_other)(code, _clean(message), call, exc, profile)
    return ErrorInfo(kind, code, sentence, action)


def _class_kind(exc: BaseException) -> ErrorKind:
    if isinstance(exc, ResponseParserError):
        text = str(exc)
        return K.UNSUPPORTED if "500 Internal Server Error" in text or "404 Not Found" in text else K.SERVICE
    for cls, kind in CLASS_KINDS:
        if isinstance(exc, cls):
            return kind
    return K.OTHER


def _pattern_kind(code: str) -> ErrorKind | None:
    for pattern, kind in CODE_PATTERNS:
        if pattern.search(code):
            return kind
    return None


def _status_kind(status: int | None) -> ErrorKind:
    if status == 403:
        return K.ACCESS_DENIED
    if status == 404:
        return K.NOT_FOUND
    if status == 429:
        return K.THROTTLED
    if status is not None and status >= 500:
        return K.SERVICE
    return K.OTHER


# -- sentences for AWS answers ------------------------------------------------------------------


def _access_denied(code: str, message: str, action: str | None, operation: str | None) -> str:
    if code == "OptInRequired":
        return (
            "the account is not subscribed to this service in this region (OptInRequired): enable the "
            "region or finish the account's activation"
        )
    what = action or (f"permission for {operation}" if operation else "permission for this call")
    sentence = f"the credentials lack {what}"
    resource = _RESOURCE_IN_MESSAGE.search(message)
    if resource:
        sentence += f" on {resource.group(1)}"
    reason = _REASON_IN_MESSAGE.search(message)
    if reason:
        sentence += f" ({reason.group(1) + ' it' if reason.group(1) else 'an ' + reason.group(2)})"
    elif not action:
        sentence += f" ({code})"
    if _ENCODED.search(message):
        sentence += (
            "; AWS attached an encoded reason: decode it with "
            "`aws sts decode-authorization-message --encoded-message <message>` to see which policy refused"
        )
    return sentence


def _credentials_remedy(profile: str | None) -> str:
    profile = profile or os.environ.get("AWS_PROFILE")
    return f"`aws sso login --profile {profile}`" if profile else "`aws sso login`"


def _client_credentials(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    if code in ("ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"):
        return f"the credentials have expired: run {_credentials_remedy(profile)} or refresh them"
    if code in ("RequestExpired", "RequestTimeTooSkewed"):
        return (
            f"AWS rejected the request's timestamp ({code}): this computer's clock is probably wrong; "
            "synchronise it and try again"
        )
    if code in (
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "IncompleteSignature",
        "IncompleteSignatureException",
    ):
        return (
            f"AWS rejected the request signature ({code}): the secret access key does not belong to the "
            "access key ID; enter the pair again"
        )
    if code in ("MissingAuthenticationToken", "MissingAuthenticationTokenException"):
        return f"the request to {call} carried no valid credentials or went to a wrong endpoint URL ({code})"
    if code in ("InvalidToken", "InvalidIdentityToken"):
        return f"the session token is invalid ({code}): get fresh credentials and try again"
    return (
        f"AWS does not recognise these credentials ({code}): the access key may be deleted, inactive or "
        "mistyped, or the region may not be enabled for the account; check them with "
        "`aws sts get-caller-identity`"
    )


def _client_throttled(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    retries = _retries(exc)
    after = f" even after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    return (
        f"AWS throttled {call} ({code}){after}: too many requests reach this API; wait a minute and try "
        "again, and look for other clients calling it"
    )


def _client_not_found(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    detail = f": {message}" if message else ""
    return f"the resource was not found ({code}){detail}"


def _client_validation(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    detail = f": {message}" if message else ""
    return f"AWS rejected the request to {call} as invalid ({code}){detail}"


def _client_unsupported(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    detail = f": {message}" if message else ""
    return f"the endpoint does not support {call} ({code}){detail}"


def _client_service(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    retries = _retries(exc)
    after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    return f"AWS had an internal error in {call} ({code}){after}: try again in a moment"


def _client_region(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    detail = f": {message}" if message else ""
    return (
        f"the region cannot serve {call} ({code}){detail}; activate it for the account or use another region"
    )


def _client_other(code: str, message: str, call: str, exc: BaseException, profile: str | None) -> str:
    detail = f"{message} ({code})" if message else code
    return f"could not {call}: {detail}"


_CLIENT_SENTENCES = {
    K.CREDENTIALS: _client_credentials,
    K.THROTTLED: _client_throttled,
    K.NOT_FOUND: _client_not_found,
    K.VALIDATION: _client_validation,
    K.UNSUPPORTED: _client_unsupported,
    K.SERVICE: _client_service,
    K.UNKNOWN_REGION: _client_region,
}


# -- sentences for exceptions raised before or instead of an answer ----------------------------


def _credentials_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    if isinstance(exc, bx.NoCredentialsError):
        return (
            "no AWS credentials were found: pass --profile, run `aws configure` or `aws sso login`, save "
            "some with `awstriage credentials set`, or try the sandbox with `awstriage demo`"
        )
    if isinstance(exc, bx.PartialCredentialsError):
        return (
            f"the credentials in {_kw(exc, 'provider') or 'the configuration'} are incomplete: "
            f"{_kw(exc, 'cred_var') or 'a value'} is missing"
        )
    if isinstance(exc, bx.TokenRetrievalError | bx.SSOError | bx.LoginError):
        return f"the SSO session has expired or is invalid: run {_credentials_remedy(profile)} and try again"
    if isinstance(exc, bx.ProfileNotFound):
        return (
            f"the profile {_kw(exc, 'profile') or '(unnamed)'} is not in ~/.aws/config or "
            "~/.aws/credentials: check --profile and AWS_PROFILE"
        )
    if isinstance(exc, bx.CredentialRetrievalError):
        provider = _kw(exc, "provider") or "the provider"
        return f"could not get credentials from {provider}: {_clean(_kw(exc, 'error_msg'))}"
    if isinstance(exc, bx.RefreshWithMFAUnsupportedError):
        return "the role needs a fresh MFA code to renew its credentials: start a new session"
    if isinstance(exc, bx.MetadataRetrievalError):
        return (
            f"could not read credentials from the instance metadata service: {_clean(_kw(exc, 'error_msg'))}"
        )
    if isinstance(exc, bx.ConfigParseError):
        return f"the AWS config file {_kw(exc, 'path') or '(unknown)'} could not be read: fix its syntax"
    return f"the AWS credential configuration is not usable: {_clean(str(exc))}"


def _unreachable_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    url = _safe_url(_kw(exc, "endpoint_url")) or "the AWS endpoint"
    if isinstance(exc, bx.ProxyConnectionError):
        proxy = _safe_url(_kw(exc, "proxy_url"))
        return f"could not connect through the proxy {proxy}: check HTTPS_PROXY and the proxy"
    if isinstance(exc, bx.SSLError):
        return (
            f"the TLS connection to {url} failed: a proxy may be intercepting TLS; point AWS_CA_BUNDLE "
            "at its certificate"
        )
    if isinstance(exc, bx.ConnectTimeoutError):
        return f"the connection to {url} timed out: check the network, VPN and proxy settings"
    if isinstance(exc, bx.ReadTimeoutError):
        return f"{url} did not answer in time: the service or the network is slow; try again"
    if isinstance(exc, bx.ConnectionClosedError):
        return f"{url} closed the connection before answering: try again"
    if isinstance(exc, bx.EndpointConnectionError):
        return f"could not connect to {url}: check the network, VPN, proxy (HTTPS_PROXY) and --endpoint-url"
    return f"could not reach AWS: {_clean(str(exc)) or type(exc).__name__}; check the network, VPN and proxy"


def _region_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region is configured: pass --region or set AWS_REGION"
    region = _kw(exc, "region_name")
    if isinstance(exc, bx.InvalidRegionError | bx.UnknownRegionError):
        return f"'{region}' is not a valid region name: use one like us-east-1"
    service = _kw(exc, "service_name") or "the service"
    return f"{service} is not available in region {region or 'chosen'}: pass another --region"


def _unsupported_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    if isinstance(exc, bx.UnknownServiceError):
        return (
            f"this botocore does not know the service {_kw(exc, 'service_name')}: upgrade boto3 and botocore"
        )
    if isinstance(exc, bx.OperationNotPageableError):
        return f"{_kw(exc, 'operation_name') or call} cannot be paginated"
    return _unsupported(call)


def _validation_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    report = _kw(exc, "report") or str(exc)
    return f"the parameters for {call} are invalid: {_clean(report)}"


def _throttled_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    return f"AWS throttled {call} and the client's retry budget ran out: wait a minute and try again"


def _service_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    return f"the answer to {call} could not be read: the endpoint sent something that is not an AWS answer"


def _other_sentence(exc: BaseException, call: str, profile: str | None) -> str:
    message = _clean(str(exc))
    if call != "the AWS call":
        return f"could not {call}: {message or type(exc).__name__}"
    return f"unexpected error ({type(exc).__name__}){': ' + message if message else ''}"


_CLASS_SENTENCES = {
    K.CREDENTIALS: _credentials_sentence,
    K.UNREACHABLE: _unreachable_sentence,
    K.UNKNOWN_REGION: _region_sentence,
    K.UNSUPPORTED: _unsupported_sentence,
    K.VALIDATION: _validation_sentence,
    K.THROTTLED: _throttled_sentence,
    K.SERVICE: _service_sentence,
}


def _unsupported(call: str) -> str:
    return f"the endpoint does not implement {call} (emulators lack some AWS APIs)"


# -- helpers ------------------------------------------------------------------------------------


def _call(service: str | None, operation: str | None) -> str:
    if operation:
        return iam_action(service, operation) or operation
    return "the AWS call"


@lru_cache(maxsize=128)
def _iam_prefix(service: str) -> str:
    try:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        signing = model.signing_name or model.endpoint_prefix
    except Exception:
        signing = service
    return IAM_PREFIX_OVERRIDES.get(signing, signing)


def _raw_message(exc: BaseException) -> str:
    if isinstance(exc, bx.ClientError):
        error = (getattr(exc, "response", None) or {}).get("Error") or {}
        return str(error.get("Message") or error.get("message") or "")
    return str(exc)


def _status(exc: BaseException) -> int | None:
    meta = (getattr(exc, "response", None) or {}).get("ResponseMetadata") or {}
    status = meta.get("HTTPStatusCode")
    return int(status) if status else None


def _retries(exc: BaseException) -> int:
    meta = (getattr(exc, "response", None) or {}).get("ResponseMetadata") or {}
    return int(meta.get("RetryAttempts") or 0)


def _kw(exc: BaseException, name: str) -> Any:
    return (getattr(exc, "kwargs", None) or {}).get(name)


def _clean(message: Any) -> str:
    """One line, no markup, no secret, not too long, no final full stop."""
    text = redact_text(_TAGS.sub(" ", str(message or "")))
    return shorten(" ".join(text.split()).rstrip(". "), _MAX_MESSAGE)


def _safe_url(url: Any) -> str:
    """The URL without user:password@ and without a query (which may hold a signature)."""
    if not url:
        return ""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "the endpoint"


@lru_cache(maxsize=1)
def _known_regions() -> frozenset[str]:
    import botocore.session

    data = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    return frozenset(
        region for partition in data.get("partitions", []) for region in partition.get("regions", {})
    )


def _unknown_region(url: Any) -> str | None:
    """The region in an amazonaws.com host name when botocore does not know it (a typo like us-east-9)."""
    if not url:
        return None
    host = urlsplit(str(url)).hostname or ""
    if not host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        return None
    for region in _REGION_IN_HOST.findall(host):
        if region not in _known_regions():
            return region
    return None


def where_searched(region: str, account: str = "") -> str:
    """What a not-found sentence adds: where awstriage looked, and what to check. Most "not found" answers
    are the right name looked up in the wrong region or account."""
    whose = f"account {account}" if account else "the credentials' account"
    return (f"looked in {whose}, region {region}: check the name or ID, the region (--region) and the account "
            "(--profile)")
