"""The request path behind what the user named, walked from configuration snapshots (pure).

A user knows the URL's load balancer, API or distribution, not which component behind it is slow.
The configuration says where requests go next:

- an Application Load Balancer's listeners forward (default action or rules) to target groups, whose
  targets are instances, IP addresses or Lambda functions;
- an API Gateway stage's integrations call a Lambda function (AWS_PROXY) or an HTTP back end;
- a CloudFront distribution's origins are an S3 bucket, a load balancer, an API or any HTTP server;
- a CloudFormation stack holds all of them; its entry points are the ones nothing else in it calls.

Each walker takes the answers of the Describe/Get calls as they come (dicts) and returns components,
each pointing at its caller, so analysers can tell "it got slower" from "what it calls got slower".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from diagnostics.awslambda.names import function_name_of
from diagnostics.performance.components import Component

LAMBDA_IN_URI = re.compile(r"(arn:[^:/]+:lambda:[^:]+:\d{12}:function:[A-Za-z0-9_-]+)")
ELB_DNS = re.compile(r"\.elb\.amazonaws\.com\.?$", re.IGNORECASE)
EXECUTE_API = re.compile(r"^([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com", re.IGNORECASE)


def lambda_component(arn: str, parent: str | None) -> Component:
    name = function_name_of(arn)
    base = ":".join(arn.split(":")[:7]) if arn.startswith("arn:") else arn
    return Component("lambda", name, name, base, (("FunctionName", name),), parent)


def elb_dimension(arn: str, marker: str) -> str:
    """The CloudWatch dimension value of a load balancer or target group ARN (AWS/ApplicationELB)."""
    _, _, tail = arn.partition(":" + marker)
    if not tail:
        return arn
    # LoadBalancer is "app/NAME/ID"; TargetGroup keeps its prefix: "targetgroup/NAME/ID".
    return marker + tail if marker == "targetgroup/" else tail


def _forwarded(actions: Iterable[Mapping[str, Any]]) -> list[str]:
    arns: list[str] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            arns.append(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            if group.get("TargetGroupArn"):
                arns.append(group["TargetGroupArn"])
    return arns


def alb_path(lb: Mapping[str, Any], listeners: Iterable[Mapping[str, Any]],
             rules: Mapping[str, Iterable[Mapping[str, Any]]], groups: Iterable[Mapping[str, Any]],
             targets: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Component]:
    """Load balancer -> target groups it forwards to -> their registered targets.

    ``rules`` maps a listener ARN to its rules; ``targets`` a target group ARN to its
    DescribeTargetHealth descriptions. Target groups nothing forwards to are left out (no request
    reaches them).
    """
    lb_arn = str(lb["LoadBalancerArn"])
    lb_dim = elb_dimension(lb_arn, "loadbalancer/")
    alb = Component("alb", str(lb.get("LoadBalancerName", lb_dim)), str(lb.get("LoadBalancerName", lb_dim)),
                    lb_arn, (("LoadBalancer", lb_dim),),
                    facts={"dns": lb.get("DNSName", ""), "type": lb.get("Type", "application")})
    used: list[str] = []
    for listener in listeners:
        used += _forwarded(listener.get("DefaultActions") or [])
        for rule in rules.get(str(listener.get("ListenerArn")), []):
            used += _forwarded(rule.get("Actions") or [])
    by_arn = {str(g["TargetGroupArn"]): g for g in groups}
    path = [alb]
    for arn in dict.fromkeys(used):
        path += _group_path(by_arn.get(arn, {"TargetGroupArn": arn}), lb_dim, targets.get(arn, []), alb.key)
    return path


def _group_path(group: Mapping[str, Any], lb_dim: str | None, health: Iterable[Mapping[str, Any]],
                parent: str | None) -> list[Component]:
    """A target group and its registered targets. Its metrics need the load balancer's dimension too
    (AWS/ApplicationELB publishes a target group's per load balancer); without one it has none."""
    arn = str(group["TargetGroupArn"])
    tg_dim = elb_dimension(arn, "targetgroup/")
    name = str(group.get("TargetGroupName") or tg_dim)
    health = list(health)
    states = [str((t.get("TargetHealth") or {}).get("State", "")) for t in health]
    tg = Component("target-group", name, name, arn,
                   (("LoadBalancer", lb_dim), ("TargetGroup", tg_dim)) if lb_dim else (),
                   parent, facts={"target_type": group.get("TargetType", "instance"),
                                  "healthy": states.count("healthy"),
                                  "unhealthy": sum(1 for s in states if s in ("unhealthy", "draining")),
                                  "targets": len(health)})
    path = [tg]
    for target in health:
        tid = str((target.get("Target") or {}).get("Id", ""))
        if tid.startswith("arn:") and ":lambda:" in tid:
            path.append(lambda_component(tid, tg.key))
        elif tid.startswith("i-"):
            path.append(Component("ec2", tid, tid, "", (("InstanceId", tid),), tg.key))
        elif tid:
            path.append(Component("origin", tid, tid, "", (), tg.key, facts={"what": "IP target"}))
    return path


def target_group_path(group: Mapping[str, Any], lb: Mapping[str, Any] | None,
                      health: Iterable[Mapping[str, Any]]) -> list[Component]:
    """A target group named on its own (its ARN from an alarm or the console): it and its targets, the
    target group the entry point. ``lb`` is the Application Load Balancer it is attached to (None: none,
    so no request reaches it and CloudWatch has no metric for it)."""
    lb_dim = elb_dimension(str(lb["LoadBalancerArn"]), "loadbalancer/") if lb else None
    path = _group_path(group, lb_dim, health, None)
    if lb:
        path[0].facts["load_balancer"] = str(lb.get("LoadBalancerName", lb_dim))
    return path


def rest_api_path(api: Mapping[str, Any], stage: str,
                  integrations: Iterable[Mapping[str, Any]]) -> list[Component]:
    """A REST API stage -> the Lambda functions and HTTP back ends its methods integrate with.

    REST API metrics are keyed by ApiName and Stage (the API's name, not its ID)."""
    name, api_id = str(api.get("name", api.get("id"))), str(api.get("id"))
    comp = Component("apigw-rest", f"{api_id}/{stage}", f"{name} stage {stage}",
                     f"arn:aws:apigateway:{api.get('region', '')}::/restapis/{api_id}/stages/{stage}"
                     if api.get("region") else f"{api_id}/{stage}",
                     (("ApiName", name), ("Stage", stage)))
    return [comp, *_backends(comp, (str(i.get("uri") or "") for i in integrations))]


def http_api_path(api: Mapping[str, Any], stage: str,
                  integrations: Iterable[Mapping[str, Any]]) -> list[Component]:
    """An HTTP API stage -> its integrations (metrics keyed by ApiId and Stage)."""
    api_id, name = str(api.get("ApiId")), str(api.get("Name", api.get("ApiId")))
    comp = Component("apigw-http", f"{api_id}/{stage}", f"{name} stage {stage}",
                     f"arn:aws:apigateway:{api.get('region', '')}::/apis/{api_id}/stages/{stage}"
                     if api.get("region") else f"{api_id}/{stage}",
                     (("ApiId", api_id), ("Stage", stage)))
    return [comp, *_backends(comp, (str(i.get("IntegrationUri") or "") for i in integrations))]


def _backends(parent: Component, uris: Iterable[str]) -> list[Component]:
    out: dict[str, Component] = {}
    for uri in uris:
        if not uri:
            continue
        if match := LAMBDA_IN_URI.search(uri):
            comp = lambda_component(match.group(1), parent.key)
        elif uri.startswith("http"):
            comp = Component("origin", uri, uri, "", (), parent.key, facts={"what": "HTTP back end"})
        else:
            continue  # AWS service integrations (DynamoDB, SQS, ...) and mocks: no hop of their own here
        out.setdefault(comp.key, comp)
    return list(out.values())


def distribution_path(dist: Mapping[str, Any]) -> list[Component]:
    """A distribution -> its origins (metrics in us-east-1, dimensions DistributionId and Region=Global).

    An origin that is a load balancer or an API is marked so the collector can walk on from it."""
    dist_id = str(dist["Id"])
    config = dist.get("DistributionConfig") or dist
    comp = Component("cloudfront", dist_id, str(dist.get("DomainName") or dist_id), str(dist.get("ARN", "")),
                     (("DistributionId", dist_id), ("Region", "Global")))
    path = [comp]
    for origin in (config.get("Origins") or {}).get("Items") or []:
        domain = str(origin.get("DomainName", ""))
        what = ("load balancer" if ELB_DNS.search(domain) else
                "API Gateway" if EXECUTE_API.match(domain) else
                "S3 bucket" if ".s3." in domain or domain.endswith(".s3.amazonaws.com") else "custom origin")
        path.append(Component("origin", domain, str(origin.get("Id") or domain), "", (), comp.key,
                              facts={"what": what}))
    return path


# A stack's resource types, in the order a request meets them: the first present is where to start.
ENTRY_TYPES = ("AWS::CloudFront::Distribution", "AWS::ElasticLoadBalancingV2::LoadBalancer",
               "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Lambda::Function",
               "AWS::DynamoDB::Table", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::EC2::Instance")


def stack_entries(resources: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(resource type, physical ID) of the stack's resources a request path can meet, front-most
    kinds first (a distribution before its load balancer before its functions)."""
    found = [(str(r.get("ResourceType")), str(r.get("PhysicalResourceId") or "")) for r in resources
             if r.get("ResourceType") in ENTRY_TYPES and r.get("PhysicalResourceId")]
    return sorted(found, key=lambda item: ENTRY_TYPES.index(item[0]))


def merge(paths: Iterable[list[Component]]) -> list[Component]:
    """Several walks as one path: a component met twice keeps its first place (and caller)."""
    out: dict[str, Component] = {}
    for path in paths:
        for comp in path:
            out.setdefault(comp.key, comp)
    return list(out.values())


def reparent(path: list[Component], parent: str) -> list[Component]:
    """A walk hung below ``parent`` (a distribution's origin that is a load balancer)."""
    return [replace(c, parent=parent) if c.parent is None else c for c in path]
