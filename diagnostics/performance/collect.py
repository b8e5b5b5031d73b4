"""Reading what the slow-performance diagnosis needs: which kind of resource was named, its
configuration, and its CloudWatch metrics over the window."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from diagnostics.awslambda.collect import LogRead, read_report_lines
from diagnostics.awslambda.memory import FunctionMemory, Invocation, function_memory, parse_report
from diagnostics.awslambda.names import parse_function, ran_version
from diagnostics.cloudwatch.metrics import MetricSeries, WindowStats, fetch_series, fetch_window
from diagnostics.performance.components import LATENCY, Component
from diagnostics.performance.frontends import METRICS as FRONT_METRICS
from diagnostics.performance.frontends import dimensions_for
from diagnostics.performance.path import (
    alb_path,
    distribution_path,
    http_api_path,
    merge,
    reparent,
    rest_api_path,
    stack_entries,
    target_group_path,
)
from diagnostics.performance.percentiles import QUANTILES, Latency, from_cloudwatch
from diagnostics.performance.saturation import Ec2Profile, LambdaProfile, Profile, RdsProfile, is_burstable

Kind = Literal["ec2", "lambda", "rds", "lambda-or-rds", "alb", "target-group", "apigw", "cloudfront", "dynamodb",
               "stack"]

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
EC2_ARN = re.compile(r"^arn:[^:]+:ec2:[^:]*:\d{12}:instance/(i-[0-9a-f]+)$")
RDS_ARN = re.compile(r"^arn:[^:]+:rds:[^:]+:\d{12}:db:([a-zA-Z][a-zA-Z0-9-]{0,62})$")
# An Aurora (or Multi-AZ DB) cluster: judged through its DB instances, which carry the metrics.
RDS_CLUSTER_ARN = re.compile(r"^arn:[^:]+:rds:[^:]+:\d{12}:cluster:([a-zA-Z][a-zA-Z0-9-]{0,62})$")
ALB_ARN = re.compile(r"^arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}:loadbalancer/app/[^/]+/[0-9a-f]+$")
TARGET_GROUP_ARN = re.compile(r"^arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$")
API_ARN = re.compile(r"^arn:[^:]+:apigateway:[^:]+::/(restapis|apis)/([a-z0-9]+)(?:/stages/([^/]+))?$")
CLOUDFRONT_ARN = re.compile(r"^arn:[^:]+:cloudfront::\d{12}:distribution/([A-Z0-9]+)$")
DYNAMODB_ARN = re.compile(r"^arn:[^:]+:dynamodb:[^:]+:\d{12}:table/([A-Za-z0-9_.-]{3,255})$")
STACK_ARN = re.compile(r"^arn:[^:]+:cloudformation:[^:]+:\d{12}:stack/([^/]+)/.+$")
# kind:value prefixes for what a bare name cannot say (a load balancer, an API, a distribution, ...).
PREFIXES = {"alb": "alb", "elb": "alb", "tg": "target-group", "targetgroup": "target-group",
            "target-group": "target-group", "api": "apigw", "apigw": "apigw", "cloudfront": "cloudfront",
            "dynamodb": "dynamodb", "table": "dynamodb", "stack": "stack"}
RDS_IDENTIFIER = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}(?<!-)$")

# What each kind's diagnosis reads from CloudWatch: metric name -> statistics.
METRICS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "ec2": ("AWS/EC2", {
        "CPUUtilization": ("Average", "Maximum"),
        "StatusCheckFailed": ("Maximum",),
        "EBSIOBalance%": ("Minimum",),
    }),
    "lambda": ("AWS/Lambda", {
        "Duration": ("Average", "Maximum"),
        "Invocations": ("Sum",),
        "Errors": ("Sum",),
        "Throttles": ("Sum",),
        "ConcurrentExecutions": ("Maximum",),
    }),
    "rds": ("AWS/RDS", {
        "CPUUtilization": ("Average", "Maximum"),
        "FreeableMemory": ("Minimum", "Average"),
        "ReadLatency": ("Average", "Maximum"),
        "WriteLatency": ("Average", "Maximum"),
        "DatabaseConnections": ("Average", "Maximum"),
        "BurstBalance": ("Minimum",),
        "FreeStorageSpace": ("Minimum",),
    }),
}
BURSTABLE_METRICS = {"ec2": {"CPUCreditBalance": ("Minimum", "Average")},
                     "rds": {"CPUCreditBalance": ("Minimum", "Average")}}
DIMENSION = {"ec2": "InstanceId", "lambda": "FunctionName", "rds": "DBInstanceIdentifier"}


@dataclass(frozen=True)
class ResourceRef:
    kind: Kind
    id: str
    qualifier: str = ""  # an API's stage


def classify_resource(text: str) -> ResourceRef:
    """An instance ID or ARN, a Lambda function name or ARN, or an RDS DB instance identifier or ARN.

    ``lambda:NAME`` and ``rds:NAME`` say which one a bare name is; without it, a name that could be
    either is looked up as a function first.
    """
    value = text.strip()
    kind, sep, rest = value.partition(":")
    if sep and kind.lower() in ("rds-cluster", "cluster") and RDS_IDENTIFIER.match(rest.strip()):
        return ResourceRef("rds", rest.strip())  # read_rds finds the cluster when no instance has the name
    if match := RDS_CLUSTER_ARN.match(value):
        return ResourceRef("rds", match.group(1))
    if sep and kind.lower() in PREFIXES and rest.strip():
        return _prefixed(PREFIXES[kind.lower()], rest.strip(), text)
    if match := ALB_ARN.match(value):
        return ResourceRef("alb", value)
    if TARGET_GROUP_ARN.match(value):
        return ResourceRef("target-group", value)
    if match := API_ARN.match(value):
        return ResourceRef("apigw", f"{'rest' if match.group(1) == 'restapis' else 'http'}:{match.group(2)}",
                           match.group(3) or "")
    if match := CLOUDFRONT_ARN.match(value):
        return ResourceRef("cloudfront", match.group(1))
    if match := DYNAMODB_ARN.match(value):
        return ResourceRef("dynamodb", match.group(1))
    if match := STACK_ARN.match(value):
        return ResourceRef("stack", match.group(1))
    if sep and kind in ("lambda", "rds", "ec2") and not value.startswith("arn:"):
        inner = classify_resource(rest)
        if kind == "ec2" and inner.kind != "ec2":
            raise ValueError(f"'{text}' is not an EC2 instance ID")
        if kind == "lambda" and inner.kind not in ("lambda", "lambda-or-rds"):
            raise ValueError(f"'{text}' is not a Lambda function name")
        if kind == "rds" and inner.kind not in ("rds", "lambda-or-rds"):
            raise ValueError(f"'{text}' is not an RDS DB instance identifier")
        return ResourceRef(kind, inner.id)  # type: ignore[arg-type]
    if INSTANCE_ID.match(value):
        return ResourceRef("ec2", value)
    if match := EC2_ARN.match(value):
        return ResourceRef("ec2", match.group(1))
    function = parse_function(value)
    if function is not None and function.account:
        # An ARN (its region steers the run, see the workspace) names the function in that region;
        # ``$LATEST`` is the unqualified function.
        return ResourceRef("lambda", function.function_name)
    if match := RDS_ARN.match(value):
        return ResourceRef("rds", match.group(1))
    if RDS_IDENTIFIER.match(value) and len(value) <= 63:
        return ResourceRef("lambda-or-rds", value)
    if function is not None:
        return ResourceRef("lambda", function.function_name)
    raise ValueError(f"'{text}' is not an EC2 instance ID, a Lambda function name or ARN, an RDS DB "
                     "instance identifier, or the ARN (or alb:, tg:, api:, cloudfront:, dynamodb:, stack: name) of a "
                     "load balancer, target group, API, distribution, table or stack")


def _prefixed(kind: str, rest: str, text: str) -> ResourceRef:
    if kind == "apigw":
        api, _, stage = rest.partition("/")
        if not re.fullmatch(r"[a-z0-9]{1,32}", api):
            raise ValueError(f"'{text}' does not name an API: use api:API_ID/STAGE (the ID, e.g. a1b2c3d4e5)")
        return ResourceRef("apigw", f"any:{api}", stage)
    if kind == "cloudfront" and not re.fullmatch(r"[A-Z0-9]{6,20}", rest):
        raise ValueError(f"'{text}' is not a CloudFront distribution ID (like E2QWRUHAPOMQZL)")
    if kind == "dynamodb" and not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", rest):
        raise ValueError(f"'{text}' is not a DynamoDB table name")
    if kind == "stack" and not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", rest):
        raise ValueError(f"'{text}' is not a CloudFormation stack name")
    if kind == "alb" and not (re.fullmatch(r"[A-Za-z0-9-]{1,32}", rest) or ALB_ARN.match(rest)):
        raise ValueError(f"'{text}' is not a load balancer name")
    if kind == "target-group" and not (re.fullmatch(r"[A-Za-z0-9-]{1,32}", rest) or TARGET_GROUP_ARN.match(rest)):
        raise ValueError(f"'{text}' is not a target group name (1-32 letters, digits and '-') or ARN")
    return ResourceRef(kind, rest)  # type: ignore[arg-type]


def describe_ec2(ec2: Any, instance_id: str) -> Mapping[str, Any]:
    """The instance as DescribeInstances answers it."""
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def ec2_profile(instance_id: str, instance: Mapping[str, Any], credit_mode: str | None = None) -> Ec2Profile:
    """The profile of a described instance. Its metrics hang on its type alone (a burstable type has credit
    metrics), so a profile without the credit mode already says which metrics to read."""
    return Ec2Profile(instance_id=instance_id, instance_type=instance.get("InstanceType", ""),
                      state=(instance.get("State") or {}).get("Name", ""), credit_mode=credit_mode,
                      monitoring=(instance.get("Monitoring") or {}).get("State", "disabled"))


def read_ec2(ec2: Any, instance_id: str, instance: Mapping[str, Any] | None = None) -> Ec2Profile:
    """``instance``: the instance already described (DescribeInstances is then not asked again)."""
    instance = instance if instance is not None else describe_ec2(ec2, instance_id)
    mode = None
    if is_burstable(instance.get("InstanceType", "")):
        specs = ec2.describe_instance_credit_specifications(InstanceIds=[instance_id])
        found = specs.get("InstanceCreditSpecifications", [])
        mode = found[0].get("CpuCredits") if found else None
    return ec2_profile(instance_id, instance, mode)


def read_lambda(lambda_client: Any, function: str) -> LambdaProfile:
    config = lambda_client.get_function_configuration(FunctionName=function)
    ref = parse_function(function)
    memory = function_memory(config, ref.qualifier if ref else "")  # where its logs go, as lambda-oom reads it
    return LambdaProfile(name=config["FunctionName"], arn=config["FunctionArn"],
                         qualifier=memory.qualifier, version=memory.version,
                         memory_mb=int(config.get("MemorySize") or 128),
                         timeout_s=int(config.get("Timeout") or 3),
                         runtime=str(config.get("Runtime") or ""),
                         architectures=tuple(config.get("Architectures") or ("x86_64",)),
                         log_group=memory.log_group, log_format=memory.log_format,
                         tracing=str((config.get("TracingConfig") or {}).get("Mode") or "PassThrough"))


def _rds_instance(rds: Any, identifier: str) -> RdsProfile:
    db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    return RdsProfile(identifier=db["DBInstanceIdentifier"], arn=db.get("DBInstanceArn", ""),
                      instance_class=db.get("DBInstanceClass", ""), engine=db.get("Engine", ""),
                      storage_type=db.get("StorageType", ""),
                      allocated_gb=int(db.get("AllocatedStorage") or 0),
                      status=db.get("DBInstanceStatus", ""), iops=db.get("Iops"),
                      multi_az=bool(db.get("MultiAZ")), resource_id=str(db.get("DbiResourceId") or ""),
                      insights=db.get("PerformanceInsightsEnabled"),
                      cluster=str(db.get("DBClusterIdentifier") or ""))


def read_rds(rds: Any, identifier: str) -> RdsProfile:
    """The DB instance named ``identifier``, or, when a DB cluster has that name, the cluster's writer.

    A cluster has no CPU or memory of its own: its instances do, and the writer takes every write (and,
    unless the application uses the reader endpoint, every read). The readers are named so the user can
    judge each one. Raises DBInstanceNotFoundFault when neither exists.
    """
    try:
        return _rds_instance(rds, identifier)
    except rds.exceptions.DBInstanceNotFoundFault:
        try:
            cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
        except rds.exceptions.DBClusterNotFoundFault:
            pass
        else:
            members = cluster.get("DBClusterMembers") or []
            writers = [m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")]
            readers = tuple(m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter"))
            if writers or readers:
                chosen = (writers or list(readers))[0]
                return replace(_rds_instance(rds, chosen), asked_cluster=cluster["DBClusterIdentifier"],
                               readers=tuple(r for r in readers if r != chosen))
        raise


def read_profile(client: Callable[[str], Any], ref: ResourceRef) -> Profile | None:
    """The resource's configuration; None when a bare name is neither a function nor a database."""
    if ref.kind == "ec2":
        return read_ec2(client("ec2"), ref.id)
    if ref.kind == "rds":
        return read_rds(client("rds"), ref.id)
    if ref.kind == "lambda":
        return read_lambda(client("lambda"), ref.id)
    lam = client("lambda")
    try:
        return read_lambda(lam, ref.id)
    except lam.exceptions.ResourceNotFoundException:
        pass  # not a function: a database, perhaps
    rds = client("rds")
    try:
        return read_rds(rds, ref.id)
    except rds.exceptions.DBInstanceNotFoundFault:
        return None


def kind_of(profile: Profile) -> str:
    return {Ec2Profile: "ec2", LambdaProfile: "lambda", RdsProfile: "rds"}[type(profile)]


def dimension_value(profile: Profile) -> str:
    if isinstance(profile, Ec2Profile):
        return profile.instance_id
    if isinstance(profile, LambdaProfile):
        return profile.name
    return profile.identifier


def metric_plan(profile: Profile) -> tuple[str, dict[str, tuple[str, ...]]]:
    kind = kind_of(profile)
    namespace, plan = METRICS[kind]
    plan = dict(plan)
    if getattr(profile, "burstable", False):
        plan.update(BURSTABLE_METRICS.get(kind, {}))
    return namespace, plan


ReadAll = Callable[[list[tuple[str, Callable[[], Any], Any]]], list[Any]]


def read_metrics(cloudwatch: Any, profile: Profile, start: datetime, end: datetime,
                 read: Callable[[str, Callable[[], Any], Any], Any] | None = None,
                 read_all: ReadAll | None = None) -> dict[str, MetricSeries]:
    """The resource's metrics; with ``read`` (``ctx.read``) one metric that cannot be read is left out and
    named; ``read_all`` (``ctx.read_all``) does the same and asks for them together."""
    namespace, plan = metric_plan(profile)
    dims = {DIMENSION[kind_of(profile)]: dimension_value(profile)}
    if isinstance(profile, LambdaProfile) and profile.qualifier:
        dims["Resource"] = f"{profile.name}:{profile.qualifier}"  # Lambda's metrics of one alias or version
    reads = [(f"{namespace} {name} of {dimension_value(profile)}",
              lambda name=name, stats=stats: fetch_series(cloudwatch, namespace, name, dims, start, end, stats),
              None) for name, stats in plan.items()]
    if read_all is None:
        read_all = (lambda items: [read(*item) for item in items]) if read else (
            lambda items: [fetch() for _, fetch, _ in items])
    answers = read_all(reads)
    return {name: series for name, series in zip(plan, answers, strict=True) if series is not None}


def component_of(profile: Profile) -> Component:
    """The named resource as a component of the path (the first and, for these kinds, only one)."""
    kind = kind_of(profile)
    value = dimension_value(profile)
    arn = getattr(profile, "arn", "")
    return Component(kind, value, value, arn, ((DIMENSION[kind], value),))


MAX_REPORTS = 5000  # per window: enough for percentiles, bounded for a busy function


def read_reports(logs: Any, profile: LambdaProfile, start: datetime, end: datetime,
                 limit: int = MAX_REPORTS) -> tuple[list[Invocation], LogRead]:
    """The window's REPORT lines, parsed (with the Lambda diagnosis's reader and parser)."""
    function = FunctionMemory(name=profile.name, arn=profile.arn, memory_size_mb=profile.memory_mb,
                              timeout_s=profile.timeout_s, log_group=profile.log_group or
                              f"/aws/lambda/{profile.name}", log_format=profile.log_format)
    read = read_report_lines(logs, function, start, end, limit)
    # An alias or version: only the log streams of the version it runs ([1] in their names) are its.
    version = profile.version if profile.qualifier else ""
    return [inv for line in read.lines
            if ran_version(line.stream, version) and (inv := parse_report(line)) is not None], read


def read_latency(cloudwatch: Any, comp: Component, start: datetime, end: datetime,
                 below: bool = False, name: str | None = None) -> tuple[Latency | None, WindowStats]:
    """A component's latency over a window from CloudWatch: percentiles where the endpoint has extended
    statistics, else averages and maxima. ``below`` reads the metric of the time spent below it; ``name``
    one of the metrics compared too (``LatencyMetric.also``)."""
    metric = LATENCY[comp.kind]
    name = name or (metric.below if below else metric.name)
    if name is None:
        return None, WindowStats()
    stats = fetch_window(cloudwatch, metric.namespace, name, dict(comp.dimensions), start, end, QUANTILES)
    return from_cloudwatch(stats.extended, stats.average, stats.maximum, stats.samples, metric.scale), stats


# --- the request path ------------------------------------------------------------------------

# ctx.read's shape: (fact in words, fetch, default) -> answer or default, the failure kept as missing.
Reader = Callable[[str, Callable[[], Any], Any], Any]
MAX_INTEGRATIONS = 50  # methods read per REST API: enough to find its back ends


def _plain(_fact: str, fetch: Callable[[], Any], _default: Any) -> Any:
    return fetch()


def read_alb_path(elbv2: Any, name_or_arn: str, read: Reader = _plain) -> list[Component]:
    """Load balancer, listeners, rules, target groups and target health (rules and health kept
    partial when one call fails)."""
    key = {"LoadBalancerArns": [name_or_arn]} if name_or_arn.startswith("arn:") else {"Names": [name_or_arn]}
    lb = elbv2.describe_load_balancers(**key)["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    listeners = [x for page in elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=arn)
                 for x in page.get("Listeners", [])]
    rules = {}
    for listener in listeners:
        la = listener["ListenerArn"]
        rules[la] = read(f"the rules of listener {la}", lambda la=la: elbv2.describe_rules(ListenerArn=la)["Rules"],
                         [])
    groups = read(f"the target groups of {lb['LoadBalancerName']}",
                  lambda: elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"], [])
    targets = {}
    for group in groups:
        ga = group["TargetGroupArn"]
        targets[ga] = read(f"the targets of {group.get('TargetGroupName', ga)}",
                           lambda ga=ga: elbv2.describe_target_health(TargetGroupArn=ga)["TargetHealthDescriptions"],
                           [])
    return alb_path(lb, listeners, rules, groups, targets)


# Target groups of a Network or Gateway Load Balancer: AWS/NetworkELB has no response time to compare.
NON_HTTP_PROTOCOLS = ("TCP", "UDP", "TCP_UDP", "TLS", "GENEVE")


def read_target_group_path(elbv2: Any, name_or_arn: str, read: Reader = _plain) -> list[Component]:
    """A target group, the load balancer it is attached to (for its metrics' dimension) and its targets; none
    when Elastic Load Balancing has no such target group."""
    key = {"TargetGroupArns": [name_or_arn]} if name_or_arn.startswith("arn:") else {"Names": [name_or_arn]}
    try:
        group = elbv2.describe_target_groups(**key)["TargetGroups"][0]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "TargetGroupNotFound":
            return []  # an answer: the resource step says where it looked
        raise
    if str(group.get("Protocol") or "").upper() in NON_HTTP_PROTOCOLS:
        raise ValueError(f"Target group {group.get('TargetGroupName', name_or_arn)} is a {group['Protocol']} target "
                         "group of a Network or Gateway Load Balancer, which publishes no response time to compare: "
                         "name its targets (an instance ID or function) instead.")
    lbs = list(group.get("LoadBalancerArns") or [])
    lb = read(f"the load balancer of {group.get('TargetGroupName', name_or_arn)}",
              lambda: elbv2.describe_load_balancers(LoadBalancerArns=lbs[:1])["LoadBalancers"][0], None) \
        if lbs else None
    ga = group["TargetGroupArn"]
    health = read(f"the targets of {group.get('TargetGroupName', ga)}",
                  lambda: elbv2.describe_target_health(TargetGroupArn=ga)["TargetHealthDescriptions"], [])
    return target_group_path(group, lb, health)


def read_api_path(client: Callable[[str], Any], api_ref: str, stage: str, region: str,
                  read: Reader = _plain) -> list[Component]:
    """A REST or HTTP API stage and its integrations. ``api_ref`` is ``rest:ID``, ``http:ID`` or
    ``any:ID`` (tried as a REST API, then as an HTTP API)."""
    style, _, api_id = api_ref.partition(":")
    if style in ("rest", "any"):
        rest = client("apigateway")
        try:
            api = dict(rest.get_rest_api(restApiId=api_id), region=region)
        except rest.exceptions.NotFoundException:
            if style == "rest":
                raise
        else:
            stages = [s["stageName"] for s in rest.get_stages(restApiId=api_id).get("item", [])]
            stage = _stage(stage, stages, api_id)
            integrations = []
            resources = [r for page in rest.get_paginator("get_resources").paginate(restApiId=api_id)
                         for r in page.get("items", [])]
            for resource in resources:
                for method in (resource.get("resourceMethods") or {}):
                    if len(integrations) >= MAX_INTEGRATIONS:
                        break
                    found = read(f"the integration of {method} {resource.get('path')}",
                                 lambda r=resource["id"], m=method: rest.get_integration(
                                     restApiId=api_id, resourceId=r, httpMethod=m), None)
                    if found:
                        integrations.append(found)
            return rest_api_path(api, stage, integrations)
    http = client("apigatewayv2")
    api = dict(http.get_api(ApiId=api_id), region=region)
    stages = [s["StageName"] for s in http.get_stages(ApiId=api_id).get("Items", [])]
    stage = _stage(stage, stages, api_id)
    integrations = read(f"the integrations of API {api_id}",
                        lambda: http.get_integrations(ApiId=api_id).get("Items", []), [])
    return http_api_path(api, stage, integrations)


def _stage(asked: str, stages: list[str], api_id: str) -> str:
    if asked:
        if stages and asked not in stages:
            raise ValueError(f"API {api_id} has no stage {asked}; its stages are {', '.join(stages)}")
        return asked
    if len(stages) == 1:
        return stages[0]
    raise ValueError(f"API {api_id} has {len(stages) or 'no'} stages ({', '.join(stages) or 'none'}): name one "
                     f"as api:{api_id}/STAGE")


def read_distribution_path(client: Callable[[str], Any], dist_id: str, read: Reader = _plain) -> list[Component]:
    """A distribution and its origins; an origin that is one of this account's load balancers is walked on."""
    dist = client("cloudfront").get_distribution(Id=dist_id)["Distribution"]
    path = distribution_path(dist)
    walks = [path]
    behind = [o for o in path[1:] if o.facts.get("what") == "load balancer"]
    elbv2 = client("elbv2") if behind else None
    lbs = read("the load balancers (to find the origin's)",
               lambda: [lb for page in elbv2.get_paginator("describe_load_balancers").paginate()
                        for lb in page.get("LoadBalancers", [])], []) if behind else []
    for origin in behind:
        mine = next((lb for lb in lbs if lb.get("DNSName", "").lower() == origin.id.lower().rstrip(".")), None)
        if mine is not None:
            walks.append(reparent(read_alb_path(elbv2, mine["LoadBalancerArn"], read), origin.key))
    return merge(walks)


def read_table_path(cloudwatch: Any, dynamodb: Any, table: str, read: Reader = _plain) -> list[Component]:
    """A table as one component per operation CloudWatch has latency for (the metric needs both
    TableName and Operation)."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    name, arn = described["TableName"], described.get("TableArn", "")
    listed = read(f"the operations CloudWatch has latency for on {name}",
                  lambda: [m for page in cloudwatch.get_paginator("list_metrics").paginate(
                      Namespace="AWS/DynamoDB", MetricName="SuccessfulRequestLatency",
                      Dimensions=[{"Name": "TableName", "Value": name}]) for m in page.get("Metrics", [])], [])
    operations = sorted({d["Value"] for m in listed for d in m.get("Dimensions", []) if d["Name"] == "Operation"})
    facts = {"billing": (described.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
             "read_capacity": (described.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits"),
             "write_capacity": (described.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits")}
    if not operations:
        return [Component("dynamodb", name, name, arn, (("TableName", name),), facts=facts)]
    return [Component("dynamodb", f"{name}/{op}", f"{name} {op}", arn, (("TableName", name), ("Operation", op)),
                      facts=facts) for op in operations]


def read_stack_path(client: Callable[[str], Any], stack: str, region: str, read: Reader = _plain) -> list[Component]:
    """Every component of a stack that a request can meet, walked from the front-most."""
    cfn = client("cloudformation")
    resources = [r for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
                 for r in page.get("StackResourceSummaries", [])]
    walks: list[list[Component]] = []
    for rtype, physical in stack_entries(resources):
        walk = read(f"the {rtype} {physical} of stack {stack}",
                    lambda t=rtype, p=physical: _walk_entry(client, t, p, region, read), [])
        walks.append(walk)
    return merge(walks)


def _walk_entry(client: Callable[[str], Any], rtype: str, physical: str, region: str,
                read: Reader) -> list[Component]:
    if rtype == "AWS::CloudFront::Distribution":
        return read_distribution_path(client, physical, read)
    if rtype == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        return read_alb_path(client("elbv2"), physical, read)
    if rtype in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
        style = "rest" if rtype == "AWS::ApiGateway::RestApi" else "http"
        try:
            return read_api_path(client, f"{style}:{physical}", "", region, read)
        except ValueError:
            return []  # several stages and none named: the API's functions are still walked below
    if rtype == "AWS::DynamoDB::Table":
        return read_table_path(client("cloudwatch"), client("dynamodb"), physical, read)
    kind = {"AWS::Lambda::Function": "lambda", "AWS::RDS::DBInstance": "rds", "AWS::EC2::Instance": "ec2"}.get(rtype)
    if kind is None:
        return []
    profile = read_profile(client, ResourceRef(kind, physical))  # type: ignore[arg-type]
    return [component_of(profile)] if profile else []


def read_path(client: Callable[[str], Any], ref: ResourceRef, region: str, read: Reader = _plain) -> list[Component]:
    """The components behind what the user named, front first."""
    if ref.kind == "alb":
        return read_alb_path(client("elbv2"), ref.id, read)
    if ref.kind == "target-group":
        return read_target_group_path(client("elbv2"), ref.id, read)
    if ref.kind == "apigw":
        return read_api_path(client, ref.id, ref.qualifier, region, read)
    if ref.kind == "cloudfront":
        return read_distribution_path(client, ref.id, read)
    if ref.kind == "dynamodb":
        return read_table_path(client("cloudwatch"), client("dynamodb"), ref.id, read)
    if ref.kind == "stack":
        return read_stack_path(client, ref.id, region, read)
    profile = read_profile(client, ref)
    return [component_of(profile)] if profile else []


def read_front(cloudwatch: Any, comp: Component, start: datetime, end: datetime,
               names: tuple[str, ...] | None = None) -> dict[str, WindowStats]:
    """Window sums of a front component's error, health and cache metrics (see frontends.METRICS)."""
    namespace, metrics = FRONT_METRICS[comp.kind]
    return {name: fetch_window(cloudwatch, namespace, name, dimensions_for(comp, name), start, end)
            for name in (names or metrics)}


MAX_TRACES = 1000
XRAY_MAX_HOURS = 6  # GetTraceSummaries answers for at most six hours at a time


def read_trace_summaries(xray: Any, service: str, start: datetime, end: datetime,
                         limit: int = MAX_TRACES) -> list[dict[str, Any]]:
    """Trace summaries of requests that went through ``service`` (an X-Ray service name), newest
    window of at most six hours, at most ``limit`` of them."""
    start = max(start, end - timedelta(hours=XRAY_MAX_HOURS))
    found: list[dict[str, Any]] = []
    pages = xray.get_paginator("get_trace_summaries").paginate(
        StartTime=start, EndTime=end, TimeRangeType="Event", Sampling=False,
        FilterExpression=f'service("{service}")')
    for page in pages:
        found += page.get("TraceSummaries", [])
        if len(found) >= limit:
            break
    return found[:limit]


def read_insights_answers(pi: Any, resource_id: str, start: datetime, end: datetime,
                          read: Reader = _plain) -> tuple[Any, Any, Any]:
    """DB load over the window, and its top statements and wait events (each kept when another fails)."""
    base = {"ServiceType": "RDS", "Identifier": resource_id, "StartTime": start, "EndTime": end}
    metrics = read("the DB load (Performance Insights)", lambda: pi.get_resource_metrics(
        **base, PeriodInSeconds=60 if (end - start).total_seconds() <= 86400 else 3600,
        MetricQueries=[{"Metric": "db.load.avg"}]), None)
    sql = read("the top SQL (Performance Insights)", lambda: pi.describe_dimension_keys(
        **base, Metric="db.load.avg", GroupBy={"Group": "db.sql_tokenized", "Limit": 10}), None)
    waits = read("the wait events (Performance Insights)", lambda: pi.describe_dimension_keys(
        **base, Metric="db.load.avg", GroupBy={"Group": "db.wait_event", "Limit": 10}), None)
    return metrics, sql, waits


# The kinds a bare name may also be, with the prefix that names it and the one Describe call that finds it.
OTHER_KINDS: tuple[tuple[str, str, Callable[[Any, str], Any]], ...] = (
    ("dynamodb", "a DynamoDB table", lambda client, name: client("dynamodb").describe_table(TableName=name)),
    ("alb", "a load balancer", lambda client, name: client("elbv2").describe_load_balancers(Names=[name])),
    ("stack", "a CloudFormation stack", lambda client, name: client("cloudformation").describe_stacks(StackName=name)),
)


def other_kinds(client: Callable[[str], Any], name: str) -> list[tuple[str, str]]:
    """(prefix, kind) of each other kind this playbook follows that has a resource of that name: one Describe
    call per kind, so a name that is neither a function nor a database can be told apart from a table
    named like one. A refused or failed call counts as not found (it only shapes a hint)."""
    found = []
    for prefix, kind, describe in OTHER_KINDS:
        try:
            describe(client, name)
        except Exception:  # not found, refused or missing in an emulator: no hint from this kind
            continue
        found.append((prefix, kind))
    return found
