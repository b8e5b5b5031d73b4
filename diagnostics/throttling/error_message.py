"""What a pasted throttling message says: the service, the operation, the error code, the reason and the
resource, in the shapes SDKs and the CLI print them.

Shapes this reads (anonymised, as printed):

- AWS CLI and boto3: ``An error occurred (TooManyRequestsException) when calling the Invoke operation
  (reached max retries: 4): Rate Exceeded.``
- Go v2: ``operation error Lambda: Invoke, exceeded maximum number of attempts, 3, https response error
  StatusCode: 429, RequestID: ..., TooManyRequestsException: Rate Exceeded.``
- Java v2 / v1: ``software.amazon.awssdk.services.lambda.model.TooManyRequestsException: Rate Exceeded.
  (Service: Lambda, Status Code: 429, Request ID: ...)``; ``(Service: AWSLambda; Status Code: 429; Error
  Code: TooManyRequestsException; ...)``
- JavaScript v3 prints the error object: ``TooManyRequestsException: Rate Exceeded. ... Reason:
  'ReservedFunctionConcurrentInvocationLimitExceeded'``; the raw body is JSON with ``"Reason"``.

Lambda's TooManyRequestsException carries a ``Reason`` (ConcurrentInvocationLimitExceeded,
FunctionInvocationRateLimitExceeded, ReservedFunctionConcurrentInvocationLimitExceeded,
ReservedFunctionInvocationRateLimitExceeded, CallerRateLimitExceeded, ConcurrentSnapshotCreateLimitExceeded;
botocore's Lambda TooManyRequestsException reference). DynamoDB's throttling exceptions carry
``ThrottlingReasons`` of ``{reason, resource}``: reason is ResourceType+OperationType+LimitType
(``TableWriteKeyRangeThroughputExceeded``) and resource the table or index ARN (DynamoDB API reference,
ThrottlingReason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnostics.cloudtrail.data_events import operation_service
from diagnostics.cloudtrail.events import event_source, is_throttle

LAMBDA_REASONS = (
    "ReservedFunctionConcurrentInvocationLimitExceeded",
    "ReservedFunctionInvocationRateLimitExceeded",
    "ConcurrentInvocationLimitExceeded",
    "FunctionInvocationRateLimitExceeded",
    "CallerRateLimitExceeded",
    "ConcurrentSnapshotCreateLimitExceeded",
)
# What each Lambda reason means, for the step's sentence.
LAMBDA_REASON_MEANS = {
    "ReservedFunctionConcurrentInvocationLimitExceeded": "the function reached its reserved concurrency",
    "ReservedFunctionInvocationRateLimitExceeded": "the function's request rate exceeded what its reserved "
                                                   "concurrency allows (10 requests a second per unit)",
    "ConcurrentInvocationLimitExceeded": "the account's regional concurrency pool was used up",
    "FunctionInvocationRateLimitExceeded": "the function's request rate exceeded what the account's "
                                           "concurrency allows (10 requests a second per unit)",
    "CallerRateLimitExceeded": "the caller's own invocation rate was limited",
    "ConcurrentSnapshotCreateLimitExceeded": "too many SnapStart snapshots were being created at once",
}
DYNAMODB_LIMIT_TYPES = ("ProvisionedThroughputExceeded", "AccountLimitExceeded", "KeyRangeThroughputExceeded",
                        "MaxOnDemandThroughputExceeded")
DYNAMODB_REASON = re.compile(r"\b(Table|Index)(Read|Write)(" + "|".join(DYNAMODB_LIMIT_TYPES) + r")\b")

CODE_SERVICES = {"ProvisionedThroughputExceededException": "dynamodb", "RequestLimitExceeded": "ec2",
                 "SlowDown": "s3"}
# SDK service names as they print them -> the CLI's service name.
SERVICE_ALIASES = {"awslambda": "lambda", "dynamodbv2": "dynamodb", "amazondynamodbv2": "dynamodb",
                   "amazonec2": "ec2", "amazons3": "s3", "cloudwatchlogs": "logs"}

_CLI = re.compile(r"An error occurred \((?P<code>[\w.]+)\) when calling the (?P<op>\w+) operation")
_GO = re.compile(r"operation error (?P<service>[\w ]+?): (?P<op>\w+),")
_JAVA_PACKAGE = re.compile(r"\b(?:software\.amazon\.awssdk\.services|com\.amazonaws\.services)\.(?P<service>\w+)"
                           r"\.model\.(?P<code>\w+)")
_SERVICE_FIELD = re.compile(r"\(Service: (?P<service>[\w ]+?)[;,]")
# Java v1 prints S3's as "Error Code: 503 Slow Down" (status and words); others as "Error Code: Throttling".
_ERROR_CODE_FIELD = re.compile(r"Error Code: (?:\d{3} )?(?P<code>\w+(?: \w+)*?)\s*(?=[;,)]|$)")
_CODE_COLON = re.compile(r"\b(?P<code>\w+(?:Exception|Exceeded|Throttled|Throttling))\b\s*:")
_LAMBDA_REASON = re.compile(r"\b(" + "|".join(LAMBDA_REASONS) + r")\b")
_FUNCTION_ARN = re.compile(r"arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:([\w-]+)")
# DynamoDB's own wording: "The level of configured provisioned throughput for the table was exceeded",
# "Throughput exceeds the current capacity of your table or index".
_DYNAMODB_TEXT = re.compile(r"capacity of your table or index|provisioned throughput for the table", re.I)
_THROTTLE_TEXT = re.compile(r"Rate Exceeded|reduce your request rate|\bSlow ?Down\b|Throttl", re.I)
_TABLE_ARN = re.compile(r"arn:aws[\w-]*:dynamodb:[\w-]+:\d{12}:table/([\w.-]+)(?:/index/([\w.-]+))?")


@dataclass(frozen=True)
class ThrottleMessage:
    """What the message said; empty strings for what it did not say."""

    code: str = ""
    service: str = ""
    operation: str = ""
    reason: str = ""
    function: str = ""
    table: str = ""
    index: str = ""
    text: str = ""

    def __str__(self) -> str:  # inputs are journaled as text: the message as it was pasted
        return self.text

    @property
    def says_throttled(self) -> bool:
        """AWS's own words say the call was throttled: a throttling error code, a throttle reason, or the
        text S3 and Lambda put in such errors. That is evidence, whatever the metrics read later show."""
        return bool(is_throttle(self.code, event_source(self.service) if self.service else "") or self.reason
                    or _THROTTLE_TEXT.search(self.text))

    @property
    def lambda_reason(self) -> str:
        return self.reason if self.reason in LAMBDA_REASONS else ""

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("error", self.code), ("service", self.service),
                                          ("operation", self.operation), ("reason", self.reason),
                                          ("function", self.function), ("table", self.table),
                                          ("index", self.index)) if v]
        return ", ".join(parts) if parts else "nothing recognisable"


def _service(name: str) -> str:
    key = name.strip().lower().replace(" ", "")
    return SERVICE_ALIASES.get(key, key)


def parse_throttle_message(text: str) -> ThrottleMessage:
    """Read what ``text`` says; raises ValueError when it says nothing this can use."""
    text = text.strip()
    code = service = operation = ""
    if match := _CLI.search(text):
        code, operation = match["code"], match["op"]
    if match := _GO.search(text):
        service, operation = _service(match["service"]), operation or match["op"]
    if match := _JAVA_PACKAGE.search(text):
        service, code = service or _service(match["service"]), code or match["code"]
        if field := _ERROR_CODE_FIELD.search(text):  # the class may be generic (AmazonS3Exception): the field is not
            code = field["code"].replace(" ", "")
    if not service and (match := _SERVICE_FIELD.search(text)):
        service = _service(match["service"])
    if not code and (match := _ERROR_CODE_FIELD.search(text)):
        code = match["code"].replace(" ", "")
    if not code and (match := _CODE_COLON.search(text)):
        code = match["code"]
    code = code.removeprefix("Client.")
    reason = ""
    function = table = index = ""
    if match := _LAMBDA_REASON.search(text):
        reason = match[1]
    elif match := DYNAMODB_REASON.search(text):
        reason = match[0]
    if match := _FUNCTION_ARN.search(text):
        function = match[1]
    if match := _TABLE_ARN.search(text):
        table, index = match[1], match[2] or ""
    if not service:
        service = (operation_service(operation) or CODE_SERVICES.get(code)
                   or ("lambda" if reason in LAMBDA_REASONS or function else "")
                   or ("dynamodb" if table or DYNAMODB_REASON.search(reason) or _DYNAMODB_TEXT.search(text)
                       else ""))
    message = ThrottleMessage(code=code, service=service, operation=operation, reason=reason,
                              function=function, table=table, index=index, text=text[:2000])
    if not (code or service or operation or reason):
        raise ValueError("this does not look like an AWS error message: paste the whole line, for example "
                         "'An error occurred (TooManyRequestsException) when calling the Invoke operation: "
                         "Rate Exceeded.'")
    return message
