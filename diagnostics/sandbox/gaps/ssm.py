"""Systems Manager ``DescribeInstanceInformation``, which moto lacks, answered from the scenario.

An instance is registered with Systems Manager only when the scenario says so (as on a real account,
where an instance without an agent, a profile or a way to the endpoints never shows up)::

    [[gaps.ssm_instances]]
    InstanceId = "${instance.web}"
    PingStatus = "Online"            # or ConnectionLost / Inactive
    AgentVersion = "3.3.987.0"
    PlatformType = "Linux"
    PlatformName = "Amazon Linux"

The answer has the API's shape (``InstanceInformationList``), filtered by the ``InstanceIds`` filter
or the ``InstanceInformationFilterList``; no data is a well-formed empty list.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from diagnostics.sandbox import gaps


def answer(params: dict[str, Any], instances: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    wanted: set[str] = set()
    for f in params.get("Filters") or []:
        if f.get("Key") == "InstanceIds":
            wanted |= set(f.get("Values") or [])
    for f in params.get("InstanceInformationFilterList") or []:
        if f.get("key") == "InstanceIds":
            wanted |= set(f.get("valueSet") or [])
    items = []
    for spec in instances:
        if wanted and spec.get("InstanceId") not in wanted:
            continue
        item = {"PingStatus": "Online", "ResourceType": "EC2Instance", "IsLatestVersion": True, **spec}
        item.setdefault("LastPingDateTime", now.timestamp())
        items.append(item)
    return {"InstanceInformationList": items}


@gaps.filler
def install() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    def describe_instance_information(self: Any) -> str:
        params = json.loads(self.body or "{}")
        return json.dumps(answer(params, list(gaps.get("ssm_instances", [])), datetime.now(UTC)))

    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information  # type: ignore[attr-defined]
