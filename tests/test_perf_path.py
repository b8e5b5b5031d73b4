"""The request path walk over configuration snapshots (answers shaped as the APIs return them)."""

from __future__ import annotations

import pytest

from diagnostics.performance.collect import ResourceRef, classify_resource
from diagnostics.performance.components import Component, children
from diagnostics.performance.path import (
    alb_path,
    distribution_path,
    elb_dimension,
    http_api_path,
    merge,
    reparent,
    rest_api_path,
    stack_entries,
    target_group_path,
)

ACCOUNT = "123456789012"
LB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/shop-web/50dc6c495c0c9188"
TG_API = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-api/73e2d6bc24d8a067"
TG_FN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-search/943f017f100becff"
TG_UNUSED = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/old-api/0123456789abcdef"
FN_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:search"
LISTENER = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/shop-web/50dc6c495c0c9188/f2f7dc8efc522ab2"

LB = {"LoadBalancerArn": LB_ARN, "LoadBalancerName": "shop-web", "Type": "application",
      "DNSName": "shop-web-1234567890.us-east-1.elb.amazonaws.com"}
LISTENERS = [{"ListenerArn": LISTENER, "Port": 443,
              "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_API}]}]
RULES = {LISTENER: [
    {"RuleArn": "r1", "Priority": "10", "Actions": [{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": TG_FN, "Weight": 1}]}}]},
    {"RuleArn": "r2", "Priority": "20", "Actions": [{"Type": "redirect", "RedirectConfig": {"Port": "443"}}]},
    {"RuleArn": "default", "IsDefault": True, "Actions": [{"Type": "forward", "TargetGroupArn": TG_API}]},
]}
GROUPS = [{"TargetGroupArn": TG_API, "TargetGroupName": "shop-api", "TargetType": "instance"},
          {"TargetGroupArn": TG_FN, "TargetGroupName": "shop-search", "TargetType": "lambda"},
          {"TargetGroupArn": TG_UNUSED, "TargetGroupName": "old-api", "TargetType": "instance"}]
TARGETS = {
    TG_API: [{"Target": {"Id": "i-0123456789abcdef0", "Port": 80}, "TargetHealth": {"State": "healthy"}},
             {"Target": {"Id": "i-0fedcba9876543210", "Port": 80},
              "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout"}}],
    TG_FN: [{"Target": {"Id": FN_ARN}, "TargetHealth": {"State": "healthy"}}],
}


def test_alb_listener_rules_target_groups_and_targets() -> None:
    path = alb_path(LB, LISTENERS, RULES, GROUPS, TARGETS)
    keys = [c.key for c in path]
    assert keys == ["alb:shop-web", "target-group:shop-api", "ec2:i-0123456789abcdef0", "ec2:i-0fedcba9876543210",
                    "target-group:shop-search", "lambda:search"]  # old-api: nothing forwards to it
    alb, api = path[0], path[1]
    assert alb.dimensions == (("LoadBalancer", "app/shop-web/50dc6c495c0c9188"),)
    assert api.dimensions == (("LoadBalancer", "app/shop-web/50dc6c495c0c9188"),
                              ("TargetGroup", "targetgroup/shop-api/73e2d6bc24d8a067"))
    assert api.facts["healthy"] == 1 and api.facts["unhealthy"] == 1
    assert [c.key for c in children(path, "target-group:shop-search")] == ["lambda:search"]
    assert path[-1].arn == FN_ARN and path[-1].dimensions == (("FunctionName", "search"),)


def test_elb_dimensions() -> None:
    assert elb_dimension(LB_ARN, "loadbalancer/") == "app/shop-web/50dc6c495c0c9188"
    assert elb_dimension(TG_API, "targetgroup/") == "targetgroup/shop-api/73e2d6bc24d8a067"


def test_rest_api_integrations() -> None:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN_ARN}:live/invocations"
    path = rest_api_path({"id": "a1b2c3d4e5", "name": "orders-api", "region": "us-east-1"}, "prod",
                         [{"type": "AWS_PROXY", "uri": uri}, {"type": "AWS_PROXY", "uri": uri},
                          {"type": "HTTP_PROXY", "uri": "https://legacy.example.com/orders"},
                          {"type": "AWS", "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"},
                          {"type": "MOCK"}])
    assert [c.key for c in path] == ["apigw-rest:a1b2c3d4e5/prod", "lambda:search",
                                     "origin:https://legacy.example.com/orders"]
    assert path[0].dimensions == (("ApiName", "orders-api"), ("Stage", "prod"))
    assert path[0].arn == "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod"
    assert path[1].arn == FN_ARN and path[1].parent == path[0].key  # the alias is not part of the function


def test_http_api_integrations() -> None:
    path = http_api_path({"ApiId": "z9y8x7w6v5", "Name": "checkout"}, "$default",
                         [{"IntegrationType": "AWS_PROXY", "IntegrationUri": FN_ARN}])
    assert [c.key for c in path] == ["apigw-http:z9y8x7w6v5/$default", "lambda:search"]
    assert path[0].dimensions == (("ApiId", "z9y8x7w6v5"), ("Stage", "$default"))


def test_distribution_origins_and_walking_on_into_the_load_balancer() -> None:
    dist = {"Id": "E2QWRUHAPOMQZL", "ARN": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHAPOMQZL",
            "DomainName": "d111111abcdef8.cloudfront.net",
            "DistributionConfig": {"Origins": {"Quantity": 2, "Items": [
                {"Id": "web", "DomainName": LB["DNSName"]},
                {"Id": "assets", "DomainName": "shop-assets.s3.us-east-1.amazonaws.com"}]}}}
    path = distribution_path(dist)
    assert [c.facts.get("what") for c in path] == [None, "load balancer", "S3 bucket"]
    assert path[0].dimensions == (("DistributionId", "E2QWRUHAPOMQZL"), ("Region", "Global"))
    behind = reparent(alb_path(LB, LISTENERS, RULES, GROUPS, TARGETS), path[1].key)
    whole = merge([path, behind])
    assert whole[3].key == "alb:shop-web" and whole[3].parent == path[1].key
    assert len(whole) == len(path) + len(behind)


def test_stack_entries_front_first_and_merge_keeps_the_first_caller() -> None:
    resources = [{"ResourceType": "AWS::Lambda::Function", "PhysicalResourceId": "search"},
                 {"ResourceType": "AWS::IAM::Role", "PhysicalResourceId": "search-role"},
                 {"ResourceType": "AWS::ApiGateway::RestApi", "PhysicalResourceId": "a1b2c3d4e5"},
                 {"ResourceType": "AWS::DynamoDB::Table", "PhysicalResourceId": "orders"},
                 {"ResourceType": "AWS::Lambda::Function", "PhysicalResourceId": ""}]
    assert stack_entries(resources) == [("AWS::ApiGateway::RestApi", "a1b2c3d4e5"),
                                        ("AWS::Lambda::Function", "search"), ("AWS::DynamoDB::Table", "orders")]
    api = rest_api_path({"id": "a1b2c3d4e5", "name": "orders-api"}, "prod",
                        [{"uri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN_ARN}"
                                 "/invocations"}])
    merged = merge([api, [Component("lambda", "search", "search", FN_ARN)]])
    assert [c.key for c in merged] == ["apigw-rest:a1b2c3d4e5/prod", "lambda:search"]
    assert merged[1].parent == api[0].key


@pytest.mark.parametrize("text, ref", [
    ("alb:shop-web", ResourceRef("alb", "shop-web")),
    (LB_ARN, ResourceRef("alb", LB_ARN)),
    # A target group as an alarm or the console gives it (breaker_b fault 10), or by name.
    (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-api/089ee0aa567eabb4",
     ResourceRef("target-group", f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-api/"
                                 "089ee0aa567eabb4")),
    ("tg:shop-api", ResourceRef("target-group", "shop-api")),
    ("api:a1b2c3d4e5/prod", ResourceRef("apigw", "any:a1b2c3d4e5", "prod")),
    ("arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod", ResourceRef("apigw", "rest:a1b2c3d4e5", "prod")),
    ("arn:aws:apigateway:us-east-1::/apis/z9y8x7w6v5", ResourceRef("apigw", "http:z9y8x7w6v5", "")),
    ("cloudfront:E2QWRUHAPOMQZL", ResourceRef("cloudfront", "E2QWRUHAPOMQZL")),
    (f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHAPOMQZL", ResourceRef("cloudfront", "E2QWRUHAPOMQZL")),
    (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders", ResourceRef("dynamodb", "orders")),
    ("dynamodb:orders", ResourceRef("dynamodb", "orders")),
    ("stack:shop-prod", ResourceRef("stack", "shop-prod")),
    (f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/shop-prod/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
     ResourceRef("stack", "shop-prod")),
])
def test_classify_front_ends(text: str, ref: ResourceRef) -> None:
    assert classify_resource(text) == ref


@pytest.mark.parametrize("text", ["api:Not_An_Id", "cloudfront:lowercase", "dynamodb:x", "stack:1bad", "alb:bad name",
                                  "tg:bad_name"])
def test_classify_rejects_malformed_front_ends(text: str) -> None:
    with pytest.raises(ValueError):
        classify_resource(text)


def test_a_target_group_named_on_its_own_is_the_entry_point_with_its_load_balancers_dimension() -> None:
    arn = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-api/089ee0aa567eabb4"
    group = {"TargetGroupArn": arn,
             "TargetGroupName": "shop-api", "TargetType": "instance"}
    health = [{"Target": {"Id": "i-0123456789abcdef0"}, "TargetHealth": {"State": "healthy"}}]
    path = target_group_path(group, {"LoadBalancerArn": LB_ARN, "LoadBalancerName": "shop-web"}, health)
    assert [c.key for c in path] == ["target-group:shop-api", "ec2:i-0123456789abcdef0"]
    assert path[0].parent is None and path[1].parent == "target-group:shop-api"
    assert dict(path[0].dimensions)["TargetGroup"] == "targetgroup/shop-api/089ee0aa567eabb4"
    assert dict(path[0].dimensions)["LoadBalancer"].startswith("app/")
    # Attached to no load balancer: no request reaches it, and CloudWatch has no dimension to read it by.
    assert target_group_path(group, None, [])[0].dimensions == ()
