"""The names CloudTrail's event history may list a resource under, for ``LookupEvents`` by ResourceName.

LookupEvents matches ``ResourceName`` against the names in an event's ``Resources`` list, which are
"user-created names whose values will depend on the environment", for example "auto-scaling-test-group"
for an Auto Scaling group or "i-1234567" for an EC2 instance (API reference, ``Resource``:
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Resource.html). Services differ in
what they record: an ID (EC2), a name (an RDS DB instance identifier, a role), or the ARN (Elastic Load
Balancing's load balancers and target groups). So a resource is looked up under its ARN *and* its name or
ID, the forms :data:`RULES` lists per ARN type, never under a shape no service records: awstriage's own
shorthand (``alb:shop-web``, ``api:ID/stage``) is translated, and the random suffix of a target group's
or load balancer's ARN is not a name.

A resource with no name CloudTrail could list (an IP target, an HTTP back end's URL) is returned with no
names and the reason, so the change step says it was not looked up instead of "nothing changed it".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnostics.awslambda.names import parse_function


@dataclass(frozen=True)
class Names:
    """What a diagnosis named, and the names to look it up under (empty: ``why_not`` says why)."""

    resource: str
    names: tuple[str, ...]
    why_not: str = ""
    region: str = ""  # where CloudTrail records its events, when not the run's region (global services)
    note: str = ""  # what was looked up instead of what was named, and why


# (ARN pattern, the groups to look up): "0" is the ARN itself as matched, "base" the ARN without what
# follows the resource (a function's qualifier, a table's index or stream, an API's stage).
RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    # Elastic Load Balancing (v2): CloudTrail lists load balancers, target groups and listeners by ARN.
    (re.compile(r"^(?P<base>arn:[^:]+:elasticloadbalancing:[^:]*:\d{12}:loadbalancer/(?:app|net|gwy)/"
                r"(?P<name>[^/]+)/[0-9a-f]+)$"), ("base", "name")),
    (re.compile(r"^(?P<base>arn:[^:]+:elasticloadbalancing:[^:]*:\d{12}:targetgroup/(?P<name>[^/]+)/[0-9a-f]+)$"),
     ("base", "name")),
    (re.compile(r"^(?P<base>arn:[^:]+:elasticloadbalancing:[^:]*:\d{12}:(?:listener|listener-rule)/.+)$"),
     ("base",)),
    # DynamoDB: the table, for the table itself, an index or a stream.
    (re.compile(r"^(?P<base>arn:[^:]+:dynamodb:[^:]*:\d{12}:table/(?P<name>[A-Za-z0-9_.-]+))(?:/.*)?$"),
     ("base", "name")),
    # RDS: a DB instance or cluster by its identifier.
    (re.compile(r"^(?P<base>arn:[^:]+:rds:[^:]*:\d{12}:(?:db|cluster):(?P<name>[A-Za-z0-9-]+))$"), ("name", "base")),
    # API Gateway: the API's ID, and the API's ARN (a stage is part of the API).
    (re.compile(r"^(?P<base>arn:[^:]+:apigateway:[^:]*::/(?:restapis|apis)/(?P<name>[A-Za-z0-9]+))(?:/.*)?$"),
     ("name", "base")),
    # CloudFront: the distribution's ID and ARN.
    (re.compile(r"^(?P<base>arn:[^:]+:cloudfront::\d{12}:distribution/(?P<name>[A-Z0-9]+))$"), ("name", "base")),
    # CloudFormation: the stack's ARN and name (the GUID after it is not a name).
    (re.compile(r"^(?P<base>arn:[^:]+:cloudformation:[^:]*:\d{12}:stack/(?P<name>[^/]+)/[^/]+)$"), ("base", "name")),
    # EC2 resources by ID (sg-, acl-, i-, ...), as the console's event history shows them.
    (re.compile(r"^(?P<base>arn:[^:]+:ec2:[^:]*:\d{12}:[a-z-]+/(?P<name>[a-z]+-[0-9a-f]+))$"), ("name", "base")),
)

# What event history can never list: it holds management events only (LookupEvents,
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html). An S3 object's
# reads and writes are data events, so an object is looked up as its bucket, whose policy, ACL and
# settings changes are management events. A role session is no resource: the role's changes are
# recorded under the role.
S3_OBJECT = re.compile(r"^(?P<base>arn:[^:]+:s3:::(?P<bucket>[^/]+))/(?P<key>.+)$")
ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/"
                          r"(?P<session>.+)$")

# Since 22 November 2021 CloudTrail records the events of IAM, STS and CloudFront (and console sign-in) in
# us-east-1 only, and LookupEvents shows them in that region: looked up anywhere else, they never match
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html, "Global service
# events"). The region per partition where they live:
GLOBAL_EVENT_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
GLOBAL_ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?:iam|sts|cloudfront)::")

# awstriage's own shorthand (playbook parameters), never a name CloudTrail records: the part after the
# prefix is. ``api:ID/stage`` is looked up by the API's ID.
SHORTHAND = re.compile(r"^(?P<kind>alb|tg|api|cloudfront|dynamodb|table|stack|rds|lambda|ec2):(?P<rest>.+)$")
# Things on a path that no event lists by name: an IP target, an HTTP back end's URL, a wildcard.
UNNAMED = re.compile(r"^(?:\*|https?://.*|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})$")


def _arn_names(arn: str) -> tuple[str, ...]:
    function = parse_function(arn) if ":lambda:" in arn else None
    if function is not None:
        base = arn.removesuffix(f":{function.qualifier or '$LATEST'}")
        return (base, function.name, *([arn] if function.qualifier else []))
    for pattern, groups in RULES:
        match = pattern.match(arn)
        if match:
            return tuple(dict.fromkeys(match.group(g) for g in groups))
    # Any other ARN (IAM roles, users and policies, KMS keys, S3 buckets): the ARN and its last part,
    # the name some services record ("arn:...:role/app-role" is also "app-role").
    short = re.split(r"[/:]", arn)[-1]
    return (arn, short) if short and short != arn else (arn,)


def cloudtrail_names(resource: str, function: bool = False) -> Names:
    """The names to look ``resource`` up under. ``function``: the text is a Lambda function parameter
    (``name:alias`` and ``123456789012:function:name`` are the function ``name``)."""
    text = resource.strip()
    shorthand = SHORTHAND.match(text)
    if shorthand:
        rest = shorthand.group("rest")
        if shorthand.group("kind") == "api":
            rest = rest.split("/", 1)[0]
        if shorthand.group("kind") == "lambda":
            function = True
        text = rest
    if not text or UNNAMED.match(text):
        return Names(resource, (), "no CloudTrail event lists it by name")
    if obj := S3_OBJECT.match(text):
        return Names(resource, (obj.group("bucket"), obj.group("base")),
                     note=f"{text} was looked up as its bucket {obj.group('bucket')}: an object's changes are data "
                          "events, which CloudTrail's event history does not hold.")
    if session := ASSUMED_ROLE.match(text):
        role = session.group("role")
        return Names(resource, (role, f"arn:{session.group('partition')}:iam::{session.group('account')}:role/{role}"),
                     region=GLOBAL_EVENT_REGION.get(session.group("partition"), ""),
                     note=f"The role session {session.group('session')} is no resource CloudTrail lists: looked up "
                          f"as its role {role}.")
    if text.startswith("arn:"):
        glob = GLOBAL_ARN.match(text)
        return Names(resource, _arn_names(text),
                     region=GLOBAL_EVENT_REGION.get(glob.group("partition"), "") if glob else "")
    if shorthand and shorthand.group("kind") == "cloudfront":
        return Names(resource, (text,), region=GLOBAL_EVENT_REGION["aws"])
    if function or ":function:" in text:
        parsed = parse_function(text)
        if parsed is not None:
            return Names(resource, (parsed.name,))
    return Names(resource, (text,))
