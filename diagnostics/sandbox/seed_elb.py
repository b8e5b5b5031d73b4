"""Seeders for Application Load Balancers and their target groups::

    [[resources]]
    type = "elbv2.target_group"
    ref = "api"
    name = "shop-api"
    target_type = "instance"        # instance | lambda | ip
    vpc = "${vpc.main}"             # for instance and ip targets
    targets = ["${instance.web1}", "${instance.web2}"]
    unhealthy = ["${instance.web2}"]   # shown unhealthy by the sandbox's health (optional)

    [[resources]]
    type = "elbv2.alb"
    ref = "web"
    name = "shop-web"
    subnets = ["${subnet.a}", "${subnet.b}"]   # two zones, as AWS requires
    forward = "${target_group.api.arn}"         # the listener's default action

``${target_group.api.dimension}`` and ``${alb.web.dimension}`` are the CloudWatch dimension values
(``targetgroup/NAME/ID``, ``app/NAME/ID``) metrics of the scenario are keyed by.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("elbv2.target_group")
def seed_target_group(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    elbv2 = clients("elbv2")
    kind = str(spec.get("target_type", "instance"))
    kwargs: dict[str, Any] = {"Name": str(spec["name"]), "TargetType": kind}
    if kind != "lambda":
        kwargs.update(Protocol="HTTP", Port=int(spec.get("port", 80)), VpcId=str(spec["vpc"]))
    group = elbv2.create_target_group(**kwargs)["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    targets = [{"Id": str(t)} if kind == "lambda" else {"Id": str(t), "Port": int(spec.get("port", 80))}
               for t in spec.get("targets", [])]
    if targets:
        elbv2.register_targets(TargetGroupArn=arn, Targets=targets)
    return {"id": group["TargetGroupName"], "arn": arn, "dimension": "targetgroup/" + arn.split(":targetgroup/")[1]}


@seeder("elbv2.alb")
def seed_alb(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    elbv2 = clients("elbv2")
    lb = elbv2.create_load_balancer(Name=str(spec["name"]), Subnets=[str(s) for s in spec["subnets"]],
                                    Type="application")["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    if spec.get("forward"):
        elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=int(spec.get("port", 80)),
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": str(spec["forward"])}])
    return {"id": lb["LoadBalancerName"], "arn": arn, "dns": lb["DNSName"],
            "dimension": arn.split(":loadbalancer/")[1]}
