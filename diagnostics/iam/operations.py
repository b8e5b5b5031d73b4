"""From an API operation name ("when calling the GetObject operation") to the IAM action it needs.

Most operations are authorized by the action of the same name under the service's IAM prefix
(botocore's service model gives the prefix: its signing name). A few are not, and those are listed
here from AWS's own tables: S3's HeadObject needs s3:GetObject, ListObjectsV2 needs s3:ListBucket
("Required permissions for Amazon S3 API operations", docs.aws.amazon.com/AmazonS3/latest/userguide/
using-with-s3-policy-actions.html); Lambda's Invoke is lambda:InvokeFunction.

Pure: reads botocore's bundled service models (data files), never calls AWS.
"""

from __future__ import annotations

from functools import lru_cache

from diagnostics.errors import iam_action

# (service, operation) -> the IAM action, where it differs from prefix:Operation.
ACTION_OVERRIDES: dict[tuple[str, str], str] = {
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "GetObjectAttributes"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "CopyObject"): "s3:PutObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeAsync"): "lambda:InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "lambda:InvokeFunction",
    ("apigateway", "TestInvokeMethod"): "apigateway:POST",
}

# Services searched, in this order, when a message names an operation but not its service. The
# common ones first, so "Publish" is SNS's before IoT's.
COMMON_SERVICES = ("s3", "sts", "kms", "ec2", "iam", "lambda", "sns", "sqs", "dynamodb", "secretsmanager", "ssm",
                   "logs", "cloudwatch", "ecr", "ecs", "rds", "cloudformation", "organizations", "apigateway",
                   "events", "kinesis", "glue", "athena", "eks", "elbv2", "route53", "acm", "codecommit")


@lru_cache(maxsize=64)
def operations_of(service: str) -> frozenset[str]:
    """The operation names of a botocore service (empty for an unknown service)."""
    try:
        import botocore.session

        return frozenset(botocore.session.get_session().get_service_model(service).operation_names)
    except Exception:  # an unknown service name: nothing to look up
        return frozenset()


def service_of_operation(operation: str, hint: str | None = None) -> str | None:
    """The botocore service that has ``operation``: the hinted one if it has it, else a common one."""
    candidates = ((hint,) if hint else ()) + COMMON_SERVICES
    return next((s for s in candidates if operation in operations_of(s)), None)


def action_for_operation(operation: str, service: str | None = None) -> str | None:
    """The IAM action an API operation needs, or None when no known service has the operation."""
    found = service_of_operation(operation, service)
    if found is None:
        return None
    return ACTION_OVERRIDES.get((found, operation)) or iam_action(found, operation)
