"""The components on a request's path, and where CloudWatch keeps each one's latency.

A component knows the component upstream of it (``parent``), so "this got slower" can be told from
"something below it got slower": a load balancer's TargetResponseTime includes its targets' time, an
API's Latency includes its IntegrationLatency, a distribution's OriginLatency includes its origin's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LatencyMetric:
    """A latency metric: its namespace, name, the unit scale to milliseconds, and the metric of the
    part of that time spent below the component (None: all its time is its own)."""

    namespace: str
    name: str
    scale: float = 1.0
    below: str | None = None
    region: str | None = None  # CloudFront's metrics live in us-east-1 only


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

LATENCY: dict[str, LatencyMetric] = {
    # TargetResponseTime is "the time elapsed after the request leaves the load balancer until a
    # response from the target is received": all of it is the targets' time, seen from the ALB.
    "target-group": LatencyMetric("AWS/ApplicationELB", "TargetResponseTime", 1000.0),
    "alb": LatencyMetric("AWS/ApplicationELB", "TargetResponseTime", 1000.0),
    "apigw-rest": LatencyMetric("AWS/ApiGateway", "Latency", 1.0, below="IntegrationLatency"),
    "apigw-http": LatencyMetric("AWS/ApiGateway", "Latency", 1.0, below="IntegrationLatency"),
    "cloudfront": LatencyMetric("AWS/CloudFront", "OriginLatency", 1.0, region="us-east-1"),
    "lambda": LatencyMetric("AWS/Lambda", "Duration", 1.0),
    "dynamodb": LatencyMetric("AWS/DynamoDB", "SuccessfulRequestLatency", 1.0),
    "rds": LatencyMetric("AWS/RDS", "ReadLatency", 1000.0),
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


def children(path: list[Component], key: str) -> list[Component]:
    return [c for c in path if c.parent == key]
