"""The components on a request's path, and where CloudWatch keeps each one's latency.

A component knows the component upstream of it (``parent``), so "this got slower" can be told from
"something below it got slower": a load balancer's TargetResponseTime includes its targets' time, an
API's Latency includes its IntegrationLatency, a distribution's OriginLatency includes its origin's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The smallest growth that counts as "slower" for a latency a caller waits for once per request (a load
# balancer's, an API's, a function's, an origin's): a tenth of a second is what a person notices.
REQUEST_GROWTH_MS = 100.0


@dataclass(frozen=True)
class LatencyMetric:
    """A latency metric: its namespace, name, the unit scale to milliseconds, the metric of the part of
    that time spent below the component (None: all its time is its own), and ``min_growth_ms``, the
    smallest growth that is a regression at this metric's scale (see :data:`LATENCY`)."""

    namespace: str
    name: str
    scale: float = 1.0
    below: str | None = None
    region: str | None = None  # CloudFront's metrics live in us-east-1 only
    min_growth_ms: float = REQUEST_GROWTH_MS
    also: tuple[str, ...] = ()  # metrics of the same kind and scale compared too (RDS WriteLatency)


KINDS = {
    "alb": "Application Load Balancer",
    "target-group": "target group",
    "apigw-rest": "API Gateway REST API",
    "apigw-http": "API Gateway HTTP API",
    "cloudfront": "CloudFront distribution",
    "lambda": "Lambda function",
    "dynamodb": "DynamoDB table",
    "rds": "RDS DB instance",
    "ec2": "EC2 instance",
    "origin": "origin",
}

# A regression is growth by a ratio (baseline.SLOWER_RATIO) AND by at least the metric's floor: the floor
# fits the scale of what the metric times. Request latencies (TargetResponseTime, API Latency, Duration,
# OriginLatency) are what a caller waits for once per request: REQUEST_GROWTH_MS. The others time one call
# of many a request makes, where a few milliseconds are already the change:
# - DynamoDB SuccessfulRequestLatency: "for most atomic operations, such as GetItem and PutItem, you can
#   expect an average latency in single-digit milliseconds"
#   (https://repost.aws/knowledge-center/dynamodb-high-latency); 10 ms more leaves that range.
# - RDS ReadLatency is "the average amount of time taken per disk I/O operation" (seconds); SSD storage
#   answers in single-digit milliseconds on gp2/gp3 and under 0.5 ms on io2 Block Express
#   (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimization.html); a query makes many I/Os,
#   so 5 ms more per I/O is a regression (the saturation rule calls 20 ms per I/O a slow disk outright).
LATENCY: dict[str, LatencyMetric] = {
    # TargetResponseTime is "the time elapsed after the request leaves the load balancer until a
    # response from the target is received": all of it is the targets' time, seen from the ALB.
    "target-group": LatencyMetric("AWS/ApplicationELB", "TargetResponseTime", 1000.0),
    "alb": LatencyMetric("AWS/ApplicationELB", "TargetResponseTime", 1000.0),
    "apigw-rest": LatencyMetric("AWS/ApiGateway", "Latency", 1.0, below="IntegrationLatency"),
    "apigw-http": LatencyMetric("AWS/ApiGateway", "Latency", 1.0, below="IntegrationLatency"),
    "cloudfront": LatencyMetric("AWS/CloudFront", "OriginLatency", 1.0, region="us-east-1"),
    "lambda": LatencyMetric("AWS/Lambda", "Duration", 1.0),
    "dynamodb": LatencyMetric("AWS/DynamoDB", "SuccessfulRequestLatency", 1.0, min_growth_ms=10.0),
    # A slow disk shows in reads, writes or both: WriteLatency is compared too, on the same scale.
    "rds": LatencyMetric("AWS/RDS", "ReadLatency", 1000.0, min_growth_ms=5.0, also=("WriteLatency",)),
}


@dataclass(frozen=True)
class Component:
    """One hop of the path. ``dimensions`` are its CloudWatch dimensions; ``parent`` the key of the
    component that calls it."""

    kind: str
    id: str
    name: str
    arn: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    parent: str | None = None
    facts: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        kind = KINDS.get(self.kind, self.kind)
        return f"{kind} {self.name}" if self.name == self.id else f"{kind} {self.name} ({self.id})"

    @property
    def resource(self) -> str:
        """What a finding names: the ARN where there is one, else the ID."""
        return self.arn or self.id


def min_growth_ms(kind: str) -> float:
    """The smallest growth of a component's latency that counts as a regression (REQUEST_GROWTH_MS for a
    kind without a latency metric of its own)."""
    metric = LATENCY.get(kind)
    return metric.min_growth_ms if metric else REQUEST_GROWTH_MS


def children(path: list[Component], key: str) -> list[Component]:
    return [c for c in path if c.parent == key]
