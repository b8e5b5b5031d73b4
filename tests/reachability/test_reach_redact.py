"""Free text people type into resources (a Name tag, a group name, a rule's description, a prefix list's
name) reaches step text, graph labels, the journal and every export: it goes through the redactor in the
snapshot, so a secret pasted into a tag never shows."""

from __future__ import annotations

import json

import pytest
from plain_world import CLIENT, public_web
from world import INSTANCE, World, permission

from diagnostics.reachability.graph import build_graph, to_mermaid

SECRET = "sk_live_SEEDSECRET123456"


def test_tag_group_and_rule_text_are_redacted_in_findings_and_graph() -> None:
    world = World()
    world.instance["Tags"] = [{"Key": "Name", "Value": f"web api_key={SECRET}"}]
    world.group["GroupName"] = f"web password={SECRET}"
    rule = permission(cidrs=("192.0.2.0/24",))
    rule["IpRanges"][0]["Description"] = f"office token: {SECRET}"
    world.group["IpPermissions"] = [rule]
    result = world.evaluate()
    graph = build_graph(result)
    text = json.dumps([f.summary for f in result.findings] + [s.detail for s in result.stages]
                      + [d.get("label", "") for _, d in graph.nodes(data=True)]) + to_mermaid(graph)
    assert SECRET not in text
    assert f"{INSTANCE} (web api_key=[REDACTED])" in text  # the rest of the name is kept
    assert "[REDACTED]" in result.stage("security_groups").detail


@pytest.mark.sandbox
def test_secret_in_a_name_tag_reaches_no_output(plain_moto, tmp_path, monkeypatch) -> None:
    ec2 = plain_moto.client("ec2")
    world = public_web(ec2, ssh_from=("192.0.2.0/24",))
    ec2.create_tags(Resources=[world.instance], Tags=[{"Key": "Name", "Value": f"db api_key={SECRET}"}])
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(data_dir))
    outputs = {}
    for fmt in ("json", "html"):
        out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={world.instance}", "--param",
                             f"source={CLIENT}", "--format", fmt)
        assert out.returncode == 1, out.stderr
        outputs[fmt] = out.stdout
    outputs["markdown"] = plain_moto.cli("export", "--last", "--format", "markdown").stdout
    journals = "".join(p.read_text() for p in (data_dir / "journals").glob("*.jsonl"))
    for name, text in [*outputs.items(), ("journal", journals)]:
        assert SECRET not in text, name
    assert "api_key=[REDACTED]" in outputs["json"] and world.instance in outputs["markdown"]
