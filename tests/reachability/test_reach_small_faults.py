"""Smaller ssh-timeout faults a new user met: a client's outbound block titled as an inbound one, port 0
accepted, a route sentence about 0.0.0.0/0 when a more specific route matched, and a pasted multi-line
target breaking the 'awstriage journals' table."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_reach_source import BASTION_SG, bastion_eni, run, world_with_bastion
from world import CLIENT, World, permission, route, security_group

from awstriage.cli import main
from playbooks import params
from playbooks.exporters import finding_title

RECORDED = Path(__file__).parents[1] / "tui" / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"


def test_clients_outbound_block_is_titled_as_outbound() -> None:
    world = world_with_bastion((BASTION_SG,))
    world.groups[1] = security_group(BASTION_SG, "bastion", egress=[permission(ports=(443, 443),
                                                                               cidrs=("0.0.0.0/0",))])
    found = next(f for f in run(world, bastion_eni()).findings if f.severity == "error")
    assert found.resource == BASTION_SG
    assert finding_title({"code": found.code, "evidence": found.evidence}) == \
        "No security group rule lets the traffic out"
    inbound = next(f for f in run(world_with_bastion(("sg-0admins",)), bastion_eni()).findings
                   if f.severity == "error")
    assert finding_title({"code": inbound.code, "evidence": inbound.evidence}) == \
        "No security group rule lets the traffic in"


@pytest.mark.parametrize("text", ["0", "65536", "-1"])
def test_a_port_outside_1_to_65535_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="outside 1-65535"):
        params.port(text)
    assert params.port("1") == 1 and params.port("65535") == 65535


def test_route_sentence_names_the_more_specific_route_that_matched() -> None:
    world = World()
    world.main_table["Routes"].append(route("203.0.113.0/24", "nat-0a1"))
    found = next(f for f in world.evaluate(CLIENT).findings if f.code == "NO_ROUTE_TO_DESTINATION")
    assert "replacing 0.0.0.0/0" not in found.summary and ".." not in found.summary
    assert "more specific than 203.0.113.0/24" in found.summary
    assert "--destination-cidr-block 203.0.113.10/32" in found.remediation[-1]
    # when 0.0.0.0/0 itself is the wrong route, replacing it is what would make the subnet public
    world = World()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "nat-0a1")]
    found = next(f for f in world.evaluate(CLIENT).findings if f.code == "NO_ROUTE_TO_DESTINATION")
    assert "replacing 0.0.0.0/0 instead would make the whole subnet public" in found.summary


def test_journals_prints_one_line_per_journal_for_a_pasted_multi_line_target(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path))
    folder = tmp_path / "journals"
    folder.mkdir()
    lines = RECORDED.read_text().splitlines()
    first = json.loads(lines[0])
    pasted = "i-4885aa378eace46f8\n\n  is the one   that times out\r\nsince this morning " + "x" * 200
    first["inputs"] = {**copy.deepcopy(first["inputs"]), "instance": pasted}
    (folder / "20261127T114728901370Z-ssh-timeout.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    assert main(["journals"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3, out  # the header, the row, its path
    row = out[1]
    assert row.startswith("2026-11-27 11:47:28") and "i-4885aa378eace46f8 is the one that times out" in row
    assert row.endswith("…") or "ssh-nacl-return-traffic" in row
    assert len(row) < 200
