"""Seeders for what sits in front of functions: API Gateway REST APIs and CloudFront distributions::

    [[resources]]
    type = "apigateway.rest_api"
    ref = "orders"
    name = "orders-api"
    stage = "prod"
    function = "${function.orders.arn}"     # GET / integrates with it (AWS_PROXY)

    [[resources]]
    type = "cloudfront.distribution"
    ref = "cdn"
    origin = "shop-assets.s3.us-east-1.amazonaws.com"   # the origin's domain name

``${rest_api.orders}`` is the API's ID (``${rest_api.orders.name}`` its name, ``${rest_api.orders.arn}``
the stage's ARN); ``${distribution.cdn}`` the distribution's ID.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("apigateway.rest_api")
def seed_rest_api(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    api = clients("apigateway")
    name, stage = str(spec["name"]), str(spec.get("stage", "prod"))
    api_id = api.create_rest_api(name=name)["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    api.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    if spec.get("function"):
        uri = (f"arn:aws:apigateway:{api.meta.region_name}:lambda:path/2015-03-31/functions/{spec['function']}"
               "/invocations")
        api.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                            integrationHttpMethod="POST", uri=uri)
    api.create_deployment(restApiId=api_id, stageName=stage)
    return {"id": api_id, "name": name, "stage": stage,
            "arn": f"arn:aws:apigateway:{api.meta.region_name}::/restapis/{api_id}/stages/{stage}"}


@seeder("cloudfront.distribution")
def seed_distribution(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    origin = str(spec["origin"])
    config = {
        "CallerReference": str(spec.get("ref", origin)), "Comment": str(spec.get("comment", "")), "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin-1", "DomainName": origin, "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin-1", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    }
    dist = clients("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]
    return {"id": dist["Id"], "arn": dist["ARN"], "domain": dist["DomainName"]}
