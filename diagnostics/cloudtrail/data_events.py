"""Which API calls are CloudTrail *data events*, which its event history (LookupEvents) never holds.

LookupEvents "looks up management events or CloudTrail Insights events" (LookupEvents API reference,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html), and the services'
own CloudTrail pages say it in as many words: "The CloudTrail Event history doesn't record data events"
(Amazon S3 CloudTrail events, https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html;
the SQS page says the same). So zero matching events for a data-event call is guaranteed, never evidence
that the call went well: the evidence lives in the service's own metrics or in a trail that logs data
events (which is opt-in and billed).

botocore's service models cannot say which operations are data events, so this is a table: the
data-plane operations of the services whose throttling a person pastes, each service with where its
throttles do show. Keep it small and documented; add a service here, never a special case elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataEventService:
    """A service's data-event operations and where their throttles show instead of the event history."""

    service: str  # the CLI's name for it
    operations: tuple[str, ...]  # the most common first: the first few are named as examples
    evidence: str  # one sentence: where the throttles of these calls can be seen
    doc: str  # the AWS page that says so

    def covers(self, operation: str) -> bool:
        return operation in self.operations

    def examples(self, n: int = 3) -> str:
        return ", ".join(self.operations[:n])


S3_PERFORMANCE_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html"

DATA_EVENT_SERVICES: dict[str, DataEventService] = {s.service: s for s in (
    # S3 object-level API activity (AWS::S3::Object data events; the CloudTrail DataResource reference:
    # "The PutObject API operation is an Amazon S3 object-level API. It is recorded as a data event").
    DataEventService("s3", (
        "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "UploadPart",
        "UploadPartCopy", "CreateMultipartUpload", "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts",
        "GetObjectAcl", "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
        "GetObjectAttributes", "RestoreObject", "SelectObjectContent", "ListObjects", "ListObjectsV2",
        "ListObjectVersions"),
        "S3 answers 503 SlowDown when a partitioned prefix gets more than about 3,500 PUT/COPY/POST/DELETE or "
        "5,500 GET/HEAD requests a second, or while it scales a prefix up; the bucket's CloudWatch request "
        "metrics (AWS/S3 5xxErrors and AllRequests, filtered by prefix; enabled per bucket with "
        "put-bucket-metrics-configuration) count them, and so do its server access logs or a trail that logs "
        "S3 data events",
        S3_PERFORMANCE_DOC),
    DataEventService("lambda", ("Invoke", "InvokeWithResponseStream", "InvokeAsync"),
                     "Lambda counts throttled invocations in AWS/Lambda Throttles, per function (FunctionName) and "
                     "for the whole account (no dimensions)",
                     "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html"),
    DataEventService("dynamodb", (
        "GetItem", "PutItem", "UpdateItem", "Query", "DeleteItem", "Scan", "BatchGetItem", "BatchWriteItem",
        "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement",
        "ExecuteTransaction"),
                     "DynamoDB counts throttled item calls in AWS/DynamoDB ThrottledRequests and the "
                     "Read/WriteThrottleEvents of the table and its indexes",
                     "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html"),
    DataEventService("kinesis", ("PutRecord", "PutRecords", "GetRecords", "GetShardIterator",
                                           "SubscribeToShard"),
                     "Kinesis counts them in AWS/Kinesis WriteProvisionedThroughputExceeded and "
                     "ReadProvisionedThroughputExceeded, per stream",
                     "https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html"),
    DataEventService("sqs", ("SendMessage", "ReceiveMessage", "DeleteMessage", "SendMessageBatch",
                                       "DeleteMessageBatch", "ChangeMessageVisibility",
                                       "ChangeMessageVisibilityBatch"),
                     "only the caller's own logs show them (a trail can log SQS data events from now on)",
                     "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
                     "logging-using-cloudtrail.html"),
    DataEventService("sns", ("Publish", "PublishBatch"),
                     "the caller's own logs show them, and Service Quotas gives the region's Publish rate "
                     "quota (a trail can log SNS data events from now on)",
                     "https://docs.aws.amazon.com/sns/latest/dg/sns-logging-using-cloudtrail.html"),
)}


def data_event_service(operation: str | None, service: str | None = None) -> DataEventService | None:
    """The service whose data event ``operation`` is, or None for a management call (or no operation).

    With ``service`` only that service's table is asked (``Query`` is DynamoDB's, not another's).
    """
    if not operation:
        return None
    if service:
        entry = DATA_EVENT_SERVICES.get(service)
        return entry if entry is not None and entry.covers(operation) else None
    return next((s for s in DATA_EVENT_SERVICES.values() if s.covers(operation)), None)


def operation_service(operation: str) -> str:
    """The service a data-event operation belongs to ("" when it is none of them)."""
    entry = data_event_service(operation)
    return entry.service if entry else ""
