"""EC2 ``DescribeInstanceConnectEndpoints``, which moto lacks, answered from the scenario.

An EC2 Instance Connect Endpoint is an ENI in a subnet with the endpoint's security groups; the
scenario seeds that ENI (``ec2.eni``) and describes the endpoint with the API's own field names::

    [[gaps.instance_connect_endpoints]]
    InstanceConnectEndpointId = "eice-0123456789abcdef0"
    SubnetId = "${subnet.tools}"
    VpcId = "${vpc.main}"
    SecurityGroupIds = ["${sg.eice}"]
    NetworkInterfaceIds = ["${eni.eice}"]
    State = "create-complete"
    PreserveClientIp = false

An unknown ID answers ``InvalidInstanceConnectEndpointId.NotFound``, as the real API does.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox import gaps

ACCOUNT = "123456789012"


def answer(ids: list[str], endpoints: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for spec in endpoints:
        if ids and spec.get("InstanceConnectEndpointId") not in ids:
            continue
        eid = spec.get("InstanceConnectEndpointId", "")
        out.append({"OwnerId": ACCOUNT, "State": "create-complete", "PreserveClientIp": False,
                    "InstanceConnectEndpointArn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance-connect-endpoint/{eid}",
                    "DnsName": f"{eid}.{ACCOUNT}.ec2-instance-connect-endpoint.{region}.amazonaws.com", **spec})
    missing = [i for i in ids if i not in {e.get("InstanceConnectEndpointId") for e in out}]
    if missing:
        raise KeyError(missing[0])
    return out


@gaps.filler
def install() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses import EC2Response

    def describe_instance_connect_endpoints(self: Any) -> Any:
        ids = list(self._get_param("InstanceConnectEndpointIds", []) or [])
        try:
            found = answer(ids, list(gaps.get("instance_connect_endpoints", [])), self.region)
        except KeyError as exc:
            raise EC2ClientError("InvalidInstanceConnectEndpointId.NotFound",
                                 f"The instance connect endpoint ID '{exc.args[0]}' does not exist") from None
        return ActionResult({"InstanceConnectEndpoints": found})

    EC2Response.describe_instance_connect_endpoints = describe_instance_connect_endpoints  # type: ignore[attr-defined]
