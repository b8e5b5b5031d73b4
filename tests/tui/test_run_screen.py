"""The run screen's promises, on a recorded ssh-timeout run (a replay: no run, fast and stable):
fixes as a choice, panes that Tab walks through, a finding and its step chosen together, F1 and `?`
about this screen, and a layout that reflows from 200 columns down to 80x24."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import pytest
from textual.widgets import Static
from tui_pilot import plain, ready, wait_for

from tui.screens.help import KeysScreen, WidgetHelpScreen
from tui.screens.inputs import InputsScreen
from tui.screens.run import CallScreen, RunScreen
from tui.widgets.filter_list import FilterList

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]

RECORDED = Path(__file__).parent / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"
ALTERNATIVES = [
    {"summary": "Replace the subnet's ACL with the VPC's default one",
     "commands": ["aws ec2 replace-network-acl-association --association-id aclassoc-0123 --network-acl-id acl-0def"],
     "disrupts": ""},
    {"summary": "Allow replies to every address", "commands": [
        "aws ec2 create-network-acl-entry --network-acl-id acl-x --egress --rule-number 130 --protocol tcp "
        "--port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow"],
     "disrupts": "opens the replies to every address"},
]


def recorded_events(alternatives: list[dict] | None = None) -> list[dict]:
    events = [json.loads(line) for line in RECORDED.read_text().splitlines() if line.strip()]
    if alternatives is not None:
        for event in events:
            if event["type"] == "finding":
                event["finding"]["alternatives"] = copy.deepcopy(alternatives)
    return events


async def open_replay(pilot, events: list[dict] | None = None) -> RunScreen:
    await ready(pilot)
    screen = RunScreen(None, events=events or recorded_events(), source=RECORDED)
    await pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: pilot.app.screen is screen and screen.transcript.findings, what="the replay")
    await pilot.pause()
    return screen


def focused_pane(screen: RunScreen) -> str:
    panes = screen._panes()
    index = screen._current_pane()
    return panes[index].id if index >= 0 else ""


async def test_c_copies_only_the_primary_fix_and_names_the_finding(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot, recorded_events(ALTERNATIVES))
        finding = screen._finding()
        await pilot.press("c")
        lines = screen.copied.splitlines()
        assert lines[0] == f"# fixes {finding['code']} on {finding['resource']}"
        assert lines[1:] == finding["remediation"], "only the primary fix, never the alternatives"
        assert "replace-network-acl-association" not in screen.copied and "0.0.0.0/0" not in screen.copied


async def test_an_alternative_has_its_own_key_and_a_careful_one_needs_a_second_press(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot, recorded_events(ALTERNATIVES))
        detail = plain(screen.query_one("#finding-detail", Static))
        assert "Alternative 1" in detail and "Alternative 2" in detail and detail.count("CAUTION") == 2
        await pilot.press("1")
        assert screen.copied is None, "replacing an association is careful: the first press only warns"
        await pilot.press("1")
        assert screen.copied.splitlines()[1] == "# alternative 1: Replace the subnet's ACL with the VPC's default one"
        assert "replace-network-acl-association" in screen.copied and "create-network-acl-entry" not in screen.copied
        screen.copied = None
        await pilot.press("2", "c")  # another key in between disarms the first
        assert screen.copied is not None and "0.0.0.0/0" not in screen.copied
        screen.copied = None
        await pilot.press("2")
        assert screen.copied is None


async def test_tab_walks_the_panes_and_the_focused_one_shows_it(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        assert focused_pane(screen) == "steps"
        await pilot.press("tab")
        assert focused_pane(screen) == "findings"
        await pilot.press("tab")
        assert focused_pane(screen) == "run-right"
        pane = screen.query_one("#run-right")
        assert pane.styles.border_top[1] != screen.query_one("#steps").styles.border_top[1], \
            "the focused pane's border is drawn in another colour"
        await pilot.press("tab")
        assert focused_pane(screen) == "graph"
        await pilot.press("shift+tab", "shift+tab")
        assert focused_pane(screen) == "findings"


async def test_enter_on_a_finding_selects_its_step_and_on_a_step_shows_its_findings(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        finding = screen.transcript.findings[0]
        steps = screen.query_one("#steps", FilterList)
        steps.focus_list()
        steps.option_list.highlighted = 0  # "Who am I?": a step without findings
        await pilot.pause()
        assert screen._selected_step == "identity" and screen._selected_finding is None
        assert not screen.query_one("#finding-detail").display
        screen.query_one("#findings", FilterList).focus_list()
        await pilot.press("enter")
        assert screen._selected_step == finding["step"], "a finding selects the step that found it"
        assert steps.option_list.highlighted_option.id == finding["step"]
        assert focused_pane(screen) == "run-right"
        steps.focus_list()
        steps.option_list.highlighted = steps.visible_ids().index(finding["step"])
        await pilot.press("enter")
        assert focused_pane(screen) == "findings" and screen._selected_finding == 0
        await pilot.press("enter")
        assert focused_pane(screen) == "run-right"
        await pilot.press("escape")  # Escape in the detail goes back (shift+Tab moves between panes)
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="Escape to go back")


async def test_f1_explains_the_run_screen_with_a_glossary_and_question_mark_lists_its_keys_first(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_replay(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, WidgetHelpScreen)
        text = app.screen._text
        assert text.startswith("## The run screen") and "## Glossary" in text and "Ephemeral port" in text
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, KeysScreen)
        ids = list(app.screen._table.columns[2]._cells)
        assert ids[0].startswith("run."), "this view's keys come first"
        assert all(i == "" or i.startswith(("run.", "list.", "app.")) for i in ids)
        own = [i for i, ident in enumerate(ids) if ident.startswith("run.")]
        app_wide = [i for i, ident in enumerate(ids) if ident.startswith("app.")]
        assert own and app_wide and max(own) < min(app_wide), "the app's keys come after this view's"
        assert not any("scroll" in str(d).lower() for d in app.screen._table.columns[1]._cells)


async def test_the_footer_and_palette_offer_only_what_works(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        keys = {b.binding.id for b in screen.active_bindings.values()}
        assert "run.copy_fix" in keys and "run.graph" in keys
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Copy alternative 1" not in titles, "no alternatives: the palette offers none (the key says why)"
        assert titles.count("Open the sandbox") <= 1 and "Maximize" not in titles
        assert not ("Credentials" in titles and "Credentials and region" in titles)
        assert "Screenshot" not in titles and titles.count("Keys") == 1
        keys_command = next(c for c in app.get_system_commands(screen) if c.title == "Keys")
        keys_command.callback()
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen), "the palette's Keys is the same screen as `?`"


async def open_inputs(pilot, name: str) -> InputsScreen:
    await ready(pilot)
    await pilot.press("slash", *name, "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputsScreen), what="the inputs screen")
    return pilot.app.screen


async def test_the_scenario_chooser_has_a_key_and_f4_shows_only_on_a_field_with_a_picker(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_inputs(pilot, "throttling")
        await wait_for(pilot, lambda: not screen.seeding, what="the scenario")
        assert "inputs.pick" not in {b.binding.id for b in screen.active_bindings.values()}
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert screen.query_one("#scenario").expanded, "ctrl+o opens the scenario chooser"


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_the_panes_reflow_and_the_fix_reads_without_scrolling_sideways(make_app, size) -> None:
    async with make_app().run_test(size=size) as pilot:
        screen = await open_replay(pilot)
        narrow = size[0] < 110
        assert screen.has_class("-narrow") == narrow
        graph, summary = screen.query_one("#graph"), screen.query_one("#path-summary")
        assert graph.display == (size[1] >= 36) and summary.display == (not graph.display)
        if summary.display:
            assert "return ✖ dropped at network ACL" in plain(summary)
        detail = screen.query_one("#run-right")
        assert detail.size.width >= 60 if narrow else detail.size.width >= 50
        assert detail.max_scroll_x == 0, "the fix wraps: no sideways scrolling"
        assert screen.query_one("#steps").size.height >= 3 and screen.query_one("#run-right").size.height >= 6
        assert screen.query_one("#findings").size.height >= len(screen.transcript.findings), "every finding in view"
        steps = screen.query_one("#steps", FilterList).option_list
        assert steps.max_scroll_x == 0
        was_open = graph.display
        await pilot.press("p")
        assert graph.display != was_open and summary.display == was_open
        await pilot.press("z")
        assert screen.has_class("-maximised") and not screen.query_one("#run-body").display
        await pilot.press("escape")
        assert not screen.has_class("-maximised")


async def test_the_blocking_hop_of_the_graph_is_in_view(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        graph = screen.query_one("#graph")
        await pilot.pause(0.2)
        lines = [line.plain for line in graph.lines]
        deny = next(i for i, line in enumerate(lines) if "✖▶" in line)
        top = graph.scroll_offset.y
        assert top <= deny < top + graph.scrollable_content_region.height


async def test_enter_on_a_call_shows_its_parameters(make_app) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot)
        await pilot.press("l")
        log = screen.query_one("#calls")
        assert log.has_focus
        row = next(i for i, (_, c) in enumerate(log.visible_calls) if c.get("params"))
        call = log.visible_calls[row][1]
        log.move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CallScreen), what="the call's parameters")
        shown = plain(pilot.app.screen.query_one("#call-view", Static))
        assert f"{call['service']}:{call['operation']}" in shown and "redacted" in shown
        assert all(key in shown for key in call["params"])
        await pilot.press("escape")
        assert pilot.app.screen is screen and log.has_focus


async def test_at_80x24_with_the_call_log_open_enter_shows_the_call_in_full(make_app) -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot)
        await pilot.press("l")
        log = screen.query_one("#calls")
        row = next(i for i, (_, c) in enumerate(log.visible_calls) if c.get("params"))
        log.move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CallScreen), what="the call's parameters")
        view = pilot.app.screen.query_one("#call-view", Static)
        assert view.region.height >= 5  # rows to read it in, unlike the squeezed detail pane
        step_id, _ = log.visible_calls[row]
        assert screen.transcript.step(step_id).title[:20] in plain(view)


def test_guided_steps_name_the_glossary_words_they_use() -> None:
    from tui.screens.help import glossary_text
    from tui.screens.run import GLOSSARY_TERMS, glossary_terms

    assert glossary_terms("The ENI's ARN; replies go to the ephemeral port") == ["ARN", "ENI", "ephemeral port"]
    assert glossary_terms("nothing special here") == []
    glossary = glossary_text().lower()
    assert all(term.lower() in glossary for term in GLOSSARY_TERMS), "every linked word is explained under F1"


async def test_ctrl_r_while_the_scenario_builds_runs_when_it_is_ready(make_app, workspace, monkeypatch) -> None:
    built = threading.Event()
    prepare = workspace.prepare

    def slow_prepare(scenario):
        built.wait(10)  # the world is "still building" until the test has pressed ctrl+r
        return prepare(scenario)

    monkeypatch.setattr(workspace, "prepare", slow_prepare)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inputs(pilot, "ssh-timeout")
        await wait_for(pilot, lambda: screen.seeding, what="the scenario to start building")
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, InputsScreen) and screen.seeding
        built.set()
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run to start by itself")
        run = app.screen
        await wait_for(pilot, lambda: run.transcript.finished_at, timeout=60, what="the run to finish")
        assert run.transcript.verdict == "problem_found"


async def test_certainty_no_data_and_the_headline_are_shown_as_the_engine_words_them(make_app) -> None:
    events = recorded_events()
    condition = "for clients whose source port is below 32768: NAT gateways, Elastic Load Balancing"
    for event in events:
        if event["type"] == "finding":
            event["finding"].update(certainty="conditional", condition=condition)
        if event["type"] == "step_finished" and event["step_id"] == "route-table":
            event.update(status="no_data", detail="DescribeRouteTables returned no table for the subnet.")
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_replay(pilot, events)
        assert plain(screen.query_one("#verdict", Static)).strip().endswith(screen.transcript.headline)
        findings = screen.query_one("#findings", FilterList).option_list
        assert "(conditional)" in str(findings.get_option_at_index(0).prompt)
        assert f"Conditional: {condition}" in plain(screen.query_one("#finding-detail", Static))
        steps = screen.query_one("#steps", FilterList).option_list
        route = next(o for o in steps.options if o.id == "route-table")
        assert str(route.prompt).startswith("∅ ")
