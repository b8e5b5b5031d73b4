"""The path graph: its shape, its JSON round trip, the rows the TUI draws and the Mermaid export."""

from __future__ import annotations

import json

from world import ACL, ENI, IGW, INSTANCE, RTB_MAIN, SG, World, nacl_entry, permission, security_group

from diagnostics.reachability import from_node_link, path_rows, to_mermaid, to_node_link


def nacl_return_blocked() -> World:
    world = World()
    world.set_acl_entries(nacl_entry(100), nacl_entry(100, egress=True, protocol="6", ports=(80, 443)))
    return world


def test_forward_and_return_paths_in_order() -> None:
    forward, back = path_rows(World().evaluate().graph())
    assert [n["id"] for n, _ in forward] == ["client", IGW, RTB_MAIN, ACL, SG, ENI, INSTANCE]
    assert [n["id"] for n, _ in back] == [INSTANCE, ENI, ACL, RTB_MAIN, IGW, "client"]
    assert forward[0][1] is None and back[0][1] is None
    assert all(e is not None and e["direction"] == "forward" for _, e in forward[1:])
    assert all(e is not None and e["direction"] == "return" for _, e in back[1:])
    assert {n["kind"] for n, _ in forward} == {"client", "internet_gateway", "route_table", "network_acl",
                                               "security_group", "eni", "instance"}


def test_blocked_component_and_dropping_edge() -> None:
    graph = nacl_return_blocked().evaluate().graph()
    assert graph.nodes[ACL]["status"] == "blocked"
    assert graph.nodes[SG]["status"] == "ok"
    edge = graph.edges[ENI, ACL]
    assert (edge["direction"], edge["verdict"]) == ("return", "deny")
    assert "1024-65535" in edge["rule"]
    assert graph.edges[RTB_MAIN, ACL]["verdict"] == "allow"  # the request itself got in
    assert graph.graph["verdict"] == "blocked"


def test_node_link_round_trip_keeps_everything() -> None:
    graph = nacl_return_blocked().evaluate().graph()
    data = json.loads(json.dumps(to_node_link(graph)))
    assert "links" in data
    back = from_node_link(data)
    assert dict(back.nodes(data=True)) == dict(graph.nodes(data=True))
    assert sorted(back.edges(data=True)) == sorted(graph.edges(data=True))
    assert path_rows(back) == path_rows(graph)
    assert {n["id"] for n in data["nodes"]} >= {ACL, SG, ENI}


def test_path_rows_without_recorded_paths_walks_the_edges() -> None:
    graph = World().evaluate().graph()
    expected = path_rows(graph)
    del graph.graph["paths"]
    assert [n["id"] for n, _ in path_rows(graph)[0]] == [n["id"] for n, _ in expected[0]]
    assert [n["id"] for n, _ in path_rows(graph)[1]] == [n["id"] for n, _ in expected[1]]


def test_parallel_groups_share_a_stage() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    world.groups.append(security_group("sg-0ops", "ops", [permission(cidrs=("203.0.113.0/24",))], []))
    world.eni["Groups"].append({"GroupId": "sg-0ops", "GroupName": "ops"})
    forward, _ = path_rows(world.evaluate().graph())
    groups = [(n["id"], n["stage"], e["source"]) for n, e in forward if n["kind"] == "security_group"]
    assert groups == [(SG, 4, ACL), ("sg-0ops", 4, ACL)]
    eni_row = next((n, e) for n, e in forward if n["id"] == ENI)
    assert eni_row[1]["source"] in (SG, "sg-0ops")


def test_mermaid_styles_blocked_nodes_red() -> None:
    text = to_mermaid(nacl_return_blocked().evaluate().graph())
    assert text.startswith("flowchart LR\n")
    lines = text.splitlines()
    acl_node = next(line.split("[")[0].strip() for line in lines if ACL in line and "[" in line)
    blocked = next(line for line in lines if line.strip().startswith("class ") and line.endswith(" blocked"))
    assert acl_node in blocked.split()[1].split(",")
    assert "classDef blocked" in text and "linkStyle" in text
    assert "-.->" in text  # the dropping arrow is dashed
    assert '"' not in text.split("-.->|")[1].split("|")[0].strip('"')  # labels stay quoted safely


def test_mermaid_of_an_open_path_has_no_red() -> None:
    text = to_mermaid(World().evaluate().graph())
    assert " blocked\n" not in text.replace("classDef blocked", "") and "-.->" not in text
