"""Real-format denial messages, as services, SDKs and runtimes print them (anonymised: account
123456789012, example names), with what each one carries. One row per form and policy-type phrase.

Wording checked against AWS's pages: IAM User Guide "Troubleshoot access denied error messages" and
"... with authorization ID (Preview)", Amazon S3 "Troubleshoot access denied (403 Forbidden) errors",
and messages quoted in public issue threads (SNS AuthorizationError, Java/Go/JS SDK wrappers).
"""

from __future__ import annotations

from typing import Any

A = "123456789012"
ALICE = f"arn:aws:iam::{A}:user/alice"
LB = f"arn:aws:sts::{A}:assumed-role/lb-controller/1700000000"
APP = f"arn:aws:sts::{A}:assumed-role/app-role/i-0abc12345678def01"
OBJ = "arn:aws:s3:::example-bucket/report.pdf"
BUCKET = "arn:aws:s3:::example-bucket"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC = f"arn:aws:sns:us-east-1:{A}:alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:orders"
FN = f"arn:aws:lambda:us-east-1:{A}:function:resize"
SCP = "arn:aws:organizations::111111111111:policy/o-exampleorgid/service_control_policy/p-examplepolicyid"
PY = "An error occurred ({code}) when calling the {op} operation: "
JAVA1 = " (Service: {svc}; Status Code: 403; Error Code: {code}; Request ID: 4442587FB7D0A2F9; Proxy: null)"
JAVA2 = " (Service: {svc}, Status Code: 403, Request ID: 48f35812-f079-5095-9234-065c120a3856)"


def _row(name: str, text: str, **expected: Any) -> tuple[str, str, dict[str, Any]]:
    base = {"principal": None, "action": None, "resource": None, "policy_type": None, "explicit": False,
            "authorization_id": None}
    return name, text, {**base, **expected}


def nab(principal: str, action: str, resource: str | None, tail: str = "") -> str:
    on = f" on resource: {resource}" if resource else ""
    return f"User: {principal} is not authorized to perform: {action}{on}{tail}"


ROWS = [
    # --- "is not authorized to perform" with each implicit policy-type phrase -----------------------
    _row("identity-implicit", nab(ALICE, "s3:GetObject", f'"{OBJ}"', " because no identity-based policy allows "
         "the s3:GetObject action"), principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("resource-implicit", nab(ALICE, "kms:Decrypt", KEY, " because no resource-based policy allows the "
         "kms:Decrypt action"), principal=ALICE, action="kms:Decrypt", resource=KEY, policy_type="resource"),
    _row("boundary-implicit", nab(ALICE, "s3:PutObject", OBJ, " because no permissions boundary allows the "
         "s3:PutObject action"), principal=ALICE, action="s3:PutObject", resource=OBJ, policy_type="boundary"),
    _row("session-implicit", nab(APP, "s3:ListBucket", f'"{BUCKET}"', " because no session policy allows the "
         "s3:ListBucket action"), principal=APP, action="s3:ListBucket", resource=BUCKET, policy_type="session"),
    _row("scp-implicit", nab(ALICE, "ec2:RunInstances", f"arn:aws:ec2:us-east-1:{A}:instance/*", " because no "
         "service control policy allows the ec2:RunInstances action"), principal=ALICE, action="ec2:RunInstances",
         resource=f"arn:aws:ec2:us-east-1:{A}:instance/*", policy_type="scp"),
    _row("rcp-implicit", nab(APP, "sqs:SendMessage", QUEUE, " because no resource control policy allows the "
         "sqs:SendMessage action"), principal=APP, action="sqs:SendMessage", resource=QUEUE, policy_type="rcp"),
    _row("vpce-implicit", nab(APP, "s3:GetObject", f'"{OBJ}"', " because no VPC endpoint policy allows the "
         "s3:GetObject action"), principal=APP, action="s3:GetObject", resource=OBJ, policy_type="vpce"),
    # --- explicit denies, with and without the policy ARN AWS now appends ------------------------------
    _row("identity-explicit-arn", nab(ALICE, "s3:DeleteObject", f'"{OBJ}"', " with an explicit deny in an "
         f"identity-based policy: arn:aws:iam::{A}:policy/DenyDeletes"), principal=ALICE,
         action="s3:DeleteObject", resource=OBJ, policy_type="identity", explicit=True),
    _row("resource-explicit", nab(ALICE, "s3:PutObject", f'"{OBJ}"', " with an explicit deny in a resource-based "
         "policy"), principal=ALICE, action="s3:PutObject", resource=OBJ, policy_type="resource", explicit=True),
    _row("boundary-explicit", nab(ALICE, "iam:CreateUser", f"arn:aws:iam::{A}:user/bob", " with an explicit deny "
         "in a permissions boundary"), principal=ALICE, action="iam:CreateUser",
         resource=f"arn:aws:iam::{A}:user/bob", policy_type="boundary", explicit=True),
    _row("session-explicit", nab(APP, "dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{A}:table/orders",
         " with an explicit deny in a session policy"), principal=APP, action="dynamodb:PutItem",
         resource=f"arn:aws:dynamodb:us-east-1:{A}:table/orders", policy_type="session", explicit=True),
    _row("scp-explicit-lb", nab(LB, "waf-regional:GetWebACLForResource", f"arn:aws:waf-regional:us-east-1:{A}:*/*",
         " with an explicit deny in a service control policy"), principal=LB,
         action="waf-regional:GetWebACLForResource", resource=f"arn:aws:waf-regional:us-east-1:{A}:*/*",
         policy_type="scp", explicit=True),
    _row("scp-explicit-arn", PY.format(code="AccessDenied", op="ListUsers") + nab(APP, "iam:ListUsers",
         f"arn:aws:iam::{A}:user/", f" with an explicit deny in a service control policy: {SCP}"), principal=APP,
         action="iam:ListUsers", resource=f"arn:aws:iam::{A}:user/", policy_type="scp", explicit=True),
    _row("rcp-explicit", nab(APP, "s3:GetObject", f'"{OBJ}"', " with an explicit deny in a resource control "
         "policy"), principal=APP, action="s3:GetObject", resource=OBJ, policy_type="rcp", explicit=True),
    _row("vpce-explicit", nab(APP, "s3:GetObject", f'"{OBJ}"', " with an explicit deny in a VPC endpoint policy"),
         principal=APP, action="s3:GetObject", resource=OBJ, policy_type="vpce", explicit=True),
    _row("old-explicit", nab(ALICE, "ec2:TerminateInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc12345678def01",
         " with an explicit deny"), principal=ALICE, action="ec2:TerminateInstances",
         resource=f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc12345678def01", explicit=True),
    _row("old-no-reason", nab(ALICE, "s3:GetObject", "arn:aws:s3:::example-bucket/k.txt."), principal=ALICE,
         action="s3:GetObject", resource="arn:aws:s3:::example-bucket/k.txt"),
    _row("no-resource", nab(ALICE, "ec2:DescribeInstances", None, " because no identity-based policy allows the "
         "ec2:DescribeInstances action"), principal=ALICE, action="ec2:DescribeInstances", policy_type="identity"),
    # --- wrapped lines, repeated spaces, quotes ------------------------------------------------------
    _row("wrapped", f"User: {ALICE} is not authorized to perform:\n  s3:GetObject on resource:\n  \"{OBJ}\"\n"
         "  because no identity-based policy allows\n  the s3:GetObject action", principal=ALICE,
         action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("wrapped-crlf-spaces", f"User:  {APP}  is not authorized to perform:  s3:PutObject\r\non resource:  "
         f"'{OBJ}'\r\nwith an explicit deny in a   VPC endpoint policy", principal=APP, action="s3:PutObject",
         resource=OBJ, policy_type="vpce", explicit=True),
    # --- pastes a terminal, a chat client or a JSON log changed: cut inside a token, typographic quotes ------
    _row("cut-in-principal", f"User: arn:aws:iam::{A}:user/ali\nce is not authorized to perform: s3:GetObject on "
         f'resource: "{OBJ}" because no identity-based policy allows the s3:GetObject action', principal=ALICE,
         action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("cut-after-slash", f"User: arn:aws:iam::{A}:user/\nalice is not authorized to perform: s3:GetObject on "
         f"resource: {OBJ}", principal=ALICE, action="s3:GetObject", resource=OBJ),
    _row("cut-in-account", f"User: arn:aws:sts::1234567\n89012:assumed-role/app-role/i-0abc12345678def01 is not "
         f"authorized to perform: s3:PutObject on resource: {OBJ}", principal=APP, action="s3:PutObject",
         resource=OBJ),
    _row("cut-in-action", f"User: {ALICE} is not authorized to perform: s3:Get\nObject on resource: \"{OBJ}\" "
         "because no identity-based policy allows the s3:GetObject action", principal=ALICE, action="s3:GetObject",
         resource=OBJ, policy_type="identity"),
    _row("cut-in-quoted-resource", f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: "
         "\"arn:aws:s3:::examp\nle-bucket/report.pdf\" because no identity-based policy allows the s3:GetObject "
         "action", principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("cut-after-dash", f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::"
         "example-\nbucket/report.pdf with an explicit deny in a resource-based policy", principal=ALICE,
         action="s3:GetObject", resource=OBJ, policy_type="resource", explicit=True),
    _row("terraform-box-cut", "╷\n│ Error: reading S3 Object: operation error S3: GetObject, https response error "
         "StatusCode: 403, RequestID: XYZ123ABC, HostID: abc=, api error AccessDenied: User: arn:aws:iam::"
         f"{A}:user/al\n│ ice is not authorized to perform: s3:GetObject on resource: \"{OBJ}\"\n│ because no "
         "identity-based policy allows the s3:GetObject action\n╵", principal=ALICE, action="s3:GetObject",
         resource=OBJ, policy_type="identity"),
    _row("smart-quotes", nab(ALICE, "s3:GetObject", f"\u201c{OBJ}\u201d", " because no identity-based policy allows "
         "the s3:GetObject action"), principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("smart-single-quotes", nab(ALICE, "s3:GetObject", f"\u2018{OBJ}\u2019", " with an explicit deny in a "
         "VPC endpoint policy"), principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="vpce",
         explicit=True),
    _row("json-escaped", '{"level":"error","msg":"' + PY.format(code="AccessDenied", op="GetObject") + nab(
         ALICE, "s3:GetObject", f'\\"{OBJ}\\"', " because no identity-based policy allows the s3:GetObject "
         "action") + '"}', principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="identity"),
    _row("json-escaped-fragment", nab(ALICE, "s3:GetObject", f'\\"{OBJ}\\"', " because no identity-based policy "
         "allows the s3:GetObject action\\nGo to the console"), principal=ALICE, action="s3:GetObject",
         resource=OBJ, policy_type="identity"),
    # --- the Access Troubleshooter's authorization ID ---------------------------------------------------
    _row("authorization-id", nab(ALICE, "iam:CreateInstanceProfile", f"arn:aws:iam::{A}:instance-profile/web",
         f" with an explicit deny in an identity-based policy: arn:aws:iam::{A}:policy/ExampleDenyPolicy. Go to "
         "https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/"
         "example1a2b3c4d5e6f7g8h9i0j for complete details, or call the GetRequestAuthorizationDetails API with the "
         "following authorization id: example1a2b3c4d5e6f7g8h9i0j"), principal=ALICE,
         action="iam:CreateInstanceProfile", resource=f"arn:aws:iam::{A}:instance-profile/web",
         policy_type="identity", explicit=True, authorization_id="example1a2b3c4d5e6f7g8h9i0j"),
    _row("authorization-id-wrapped", PY.format(code="AccessDenied", op="GetObject") + nab(ALICE, "s3:GetObject",
         f'"{OBJ}"', " because no identity-based policy allows the s3:GetObject action.\nGo to https://us-east-1."
         "console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/0a1b2c3d4e5f6a7b8c9d for complete"
         " details,\nor call the GetRequestAuthorizationDetails API with the following authorization id: "
         "0a1b2c3d4e5f6a7b8c9d"), principal=ALICE, action="s3:GetObject", resource=OBJ, policy_type="identity",
         authorization_id="0a1b2c3d4e5f6a7b8c9d"),
    # --- SDK prefixes and suffixes ---------------------------------------------------------------
    _row("python-prefix", PY.format(code="AccessDeniedException", op="GetSecretValue") + nab(APP,
         "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf", " because no "
         "identity-based policy allows the secretsmanager:GetSecretValue action"), principal=APP,
         action="secretsmanager:GetSecretValue", resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf",
         policy_type="identity"),
    _row("python-retries", "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
         "AssumeRole operation (reached max retries: 4): " + nab(ALICE, "sts:AssumeRole",
         f"arn:aws:iam::{A}:role/deploy"), principal=ALICE, action="sts:AssumeRole",
         resource=f"arn:aws:iam::{A}:role/deploy"),
    _row("java-v1", "com.amazonaws.services.dynamodbv2.model.AmazonDynamoDBException: " + nab(APP,
         "dynamodb:Query", f"arn:aws:dynamodb:us-east-1:{A}:table/orders/index/by-date", " because no "
         "identity-based policy allows the dynamodb:Query action") + JAVA1.format(svc="AmazonDynamoDBv2",
         code="AccessDeniedException"), principal=APP, action="dynamodb:Query",
         resource=f"arn:aws:dynamodb:us-east-1:{A}:table/orders/index/by-date", policy_type="identity"),
    _row("java-v2-sns", "java.util.concurrent.ExecutionException: software.amazon.awssdk.services.sns.model."
         "AuthorizationErrorException: " + nab(APP, "SNS:GetTopicAttributes", TOPIC, " because no identity-based "
         "policy allows the SNS:GetTopicAttributes action") + JAVA2.format(svc="Sns"), principal=APP,
         action="sns:GetTopicAttributes", resource=TOPIC, policy_type="identity"),
    _row("js-exception", "AccessDeniedException: " + nab(APP, "lambda:InvokeFunction", FN, " because no "
         "resource-based policy allows the lambda:InvokeFunction action") + "\n    at de_AccessDeniedExceptionRes "
         "(/var/task/node_modules/@aws-sdk/client-lambda/dist-cjs/index.js:1:2)\n    at "
         "process.processTicksAndRejections (node:internal/process/task_queues:95:5)", principal=APP,
         action="lambda:InvokeFunction", resource=FN, policy_type="resource"),
    _row("go-v2", "operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: "
         "2b6f1f0a-7d1c-4b9e-9f55-0c5d2e1b9a77, api error AccessDenied: " + nab(APP, "sts:AssumeRole",
         f"arn:aws:iam::{A}:role/deploy", " because no identity-based policy allows the sts:AssumeRole action"),
         principal=APP, action="sts:AssumeRole", resource=f"arn:aws:iam::{A}:role/deploy", policy_type="identity"),
    _row("sns-authorization-error", "[ERROR] AuthorizationErrorException: " + PY.format(code="AuthorizationError",
         op="Publish") + nab(APP, "SNS:Publish", TOPIC, " because no identity-based policy allows the SNS:Publish "
         "action"), principal=APP, action="sns:Publish", resource=TOPIC, policy_type="identity"),
    # --- STS ----------------------------------------------------------------------------------------
    _row("sts-assume-role", PY.format(code="AccessDenied", op="AssumeRole") + nab(ALICE, "sts:AssumeRole",
         f"arn:aws:iam::{A}:role/deploy"), principal=ALICE, action="sts:AssumeRole",
         resource=f"arn:aws:iam::{A}:role/deploy"),
    _row("sts-web-identity", PY.format(code="AccessDenied", op="AssumeRoleWithWebIdentity") + "Not authorized to "
         "perform sts:AssumeRoleWithWebIdentity", action="sts:AssumeRoleWithWebIdentity"),
    # --- messages without the principal/action/resource sentence -----------------------------------
    _row("s3-bare-python", PY.format(code="AccessDenied", op="GetObject") + "Access Denied", action="s3:GetObject"),
    _row("s3-bare-head", PY.format(code="403", op="HeadObject") + "Forbidden", action="s3:GetObject"),
    _row("s3-bare-java", "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied" + JAVA1.format(
         svc="Amazon S3", code="AccessDenied")),
    _row("s3-bare-go", "operation error S3: PutObject, https response error StatusCode: 403, RequestID: "
         "XYZ123ABC, HostID: abcDEF123=, api error AccessDenied: Access Denied", action="s3:PutObject"),
    _row("kms-unknown-key", "AccessDeniedException: The ciphertext refers to a customer master key that does not "
         "exist, does not exist in this region, or you are not allowed to access."),
    _row("kms-this-resource", PY.format(code="AccessDeniedException", op="GenerateDataKey") + f"User: {APP} is not "
         "authorized to perform: kms:GenerateDataKey on this resource because the resource does not exist in this "
         "Region, no resource-based policies allow access, or a resource-based policy explicitly denies access",
         principal=APP, action="kms:GenerateDataKey", policy_type="resource"),
    _row("ec2-plain", PY.format(code="UnauthorizedOperation", op="RunInstances") + "You are not authorized to "
         "perform this operation.", action="ec2:RunInstances"),
    _row("ec2-encoded", PY.format(code="UnauthorizedOperation", op="StopInstances") + "You are not authorized to "
         "perform this operation. Encoded authorization failure message: 4Gt0-exampleEncoded_Blob+/=",
         action="ec2:StopInstances"),
    _row("ec2-with-user", PY.format(code="UnauthorizedOperation", op="DescribeInstances") + "You are not "
         f"authorized to perform this operation. User: {ALICE} is not authorized to perform: ec2:DescribeInstances "
         "because no identity-based policy allows the ec2:DescribeInstances action", principal=ALICE,
         action="ec2:DescribeInstances", policy_type="identity"),
    _row("apigw-anonymous", '{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on '
         f'resource: arn:aws:execute-api:us-east-1:{A}:a1b2c3d4e5/prod/GET/items with an explicit deny"}}',
         action="execute-api:Invoke", resource=f"arn:aws:execute-api:us-east-1:{A}:a1b2c3d4e5/prod/GET/items",
         explicit=True),
    _row("apigw-iam", '{"message":"User: ' + APP + ' is not authorized to perform: execute-api:Invoke on resource: '
         f'arn:aws:execute-api:us-east-1:{A}:a1b2c3d4e5/prod/POST/orders"}}', principal=APP,
         action="execute-api:Invoke", resource=f"arn:aws:execute-api:us-east-1:{A}:a1b2c3d4e5/prod/POST/orders"),
    _row("lambda-invoke-python", PY.format(code="AccessDeniedException", op="Invoke") + nab(ALICE,
         "lambda:InvokeFunction", FN, " because no identity-based policy allows the lambda:InvokeFunction action"),
         principal=ALICE, action="lambda:InvokeFunction", resource=FN, policy_type="identity"),
]
