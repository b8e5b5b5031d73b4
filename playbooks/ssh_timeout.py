"""SSH connection timeout to an EC2 instance. (The reachability analysis is being wired in.)"""

from __future__ import annotations

from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Param, Playbook

PARAMS = (
    Param("instance", "the EC2 instance you cannot reach (i-...)", v.instance_id, required=True,
          picker="ec2-instance", example="i-0123456789abcdef0"),
    Param("source", "your client's public IP or CIDR; without it any internet address is assumed",
          v.cidr, example="203.0.113.10/32"),
    Param("port", "the port you connect to", v.port, default="22"),
    Param("protocol", "tcp, udp or icmp", v.protocol, default="tcp"),
)

PLAYBOOK = Playbook(
    name="ssh-timeout",
    title="SSH connection times out",
    purpose="Walks the network path to an EC2 instance and names the security group, network ACL, "
            "route or address that drops the packets.",
    params=PARAMS,
    steps=(IDENTITY_STEP,),
    default_scenario="ssh-nacl-return-traffic",
)
