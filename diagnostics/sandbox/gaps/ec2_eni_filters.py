"""EC2 ``DescribeNetworkInterfaces`` filters moto lacks: ``association.public-ip``.

AWS answers the filter with the interfaces whose public IPv4 address (auto-assigned or Elastic IP) is
the given one; ssh-timeout uses it to recognise a source that is the public address of an interface of
this account (a bastion). moto 5.2.5 raises FilterNotImplementedError (HTTP 500 in server mode), so the
sandbox answers it from the interface's own public address. No scenario data is needed.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox import gaps


@gaps.filler
def install() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    original = NetworkInterface.get_filter_value

    def get_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "association.public-ip":
            return self.public_ip
        return original(self, filter_name, method_name)

    NetworkInterface.get_filter_value = get_filter_value  # type: ignore[method-assign]
