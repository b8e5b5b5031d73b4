"""The TUI end to end with Pilot: home -> inputs -> run -> findings -> export, on every playbook's
default sandbox scenario, and the keyboard promises (filter, keys, help, cancel, copy, remap)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static
from tui_pilot import SIZE, plain, ready, wait_for

from diagnostics.sandbox import default_scenario
from playbooks.journal import read_journal
from playbooks.model import Playbook, Step, StepOutcome
from playbooks.registry import MODULES, get_playbook
from tui.messages import RunDone, RunEvent
from tui.screens.credentials import CredentialsScreen
from tui.screens.export import ExportScreen
from tui.screens.help import KeysScreen, WidgetHelpScreen
from tui.screens.home import HomeScreen
from tui.screens.inputs import InputsScreen, PickerScreen
from tui.screens.run import RunScreen
from tui.widgets.call_log import CallLog
from tui.widgets.filter_list import FilterList
from tui.widgets.identity_bar import IdentityBar
from tui.widgets.path_graph import PathGraph

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]


@pytest.fixture
def posted(monkeypatch) -> list[object]:
    """Every message the run screen is sent, in order (as Harlequin's tests assert on messages)."""
    seen: list[object] = []
    original = RunScreen.post_message

    def record(self, message):
        if isinstance(message, RunEvent | RunDone):
            seen.append(message)
        return original(self, message)

    monkeypatch.setattr(RunScreen, "post_message", record)
    return seen


async def open_playbook(pilot, name: str) -> InputsScreen:
    """From home, as a person would: `/`, type the name, Enter (one: it opens the match); wait for the world."""
    await pilot.press("slash", *name, "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputsScreen), what="the inputs screen")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: (not screen.seeding and screen.query_one(f"#param-{screen.playbook.params[0].name}",
                                                                           Input).value != "") or
                   (not screen.seeding and screen.scenario_name is not None), what="the scenario seeded")
    return screen


async def run_default(pilot, name: str) -> RunScreen:
    await open_playbook(pilot, name)
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunScreen), what="the run screen")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: not screen.running, timeout=60, what=f"the {name} run to finish")
    return screen


async def test_home_lists_the_five_playbooks_under_a_sandbox_badge(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#playbooks", FilterList).visible_ids() == list(MODULES)
        bar = app.screen.query_one(IdentityBar)
        shown = bar.render().plain
        assert "SANDBOX" in shown and "123456789012" in shown
        assert app.screen.query("#start-here"), "the sandbox opens with the newcomer's walkthrough"


async def test_slash_filters_the_playbooks_and_escape_clears(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        playbooks = app.screen.query_one("#playbooks", FilterList)
        await pilot.press("slash", *"lambda-oom")
        assert playbooks.visible_ids() == ["lambda-oom"]
        await pilot.press("escape")
        assert playbooks.visible_ids() == list(MODULES)


@pytest.mark.parametrize("name", list(MODULES))
async def test_each_playbook_runs_its_scenario_to_findings_and_exports(make_app, posted, tmp_path, name) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await run_default(pilot, name)
        transcript = screen.transcript
        scenario = default_scenario(name)
        assert transcript.verdict == scenario.verdict
        codes = {f["code"] for f in transcript.findings}
        assert {e["code"] for e in scenario.expect} <= codes
        # The screen was told everything, in order, and then that the run was done.
        events = [m.event["type"] for m in posted if isinstance(m, RunEvent)]
        assert events[0] == "run_started" and events[-1] == "run_finished"
        assert isinstance(posted[-1], RunDone)
        # What the screen shows is what was found: each step's status, the worst finding's code.
        worst = min(transcript.findings, key=lambda f: ["error", "warning", "info"].index(f["severity"]))
        assert worst["code"] in plain(screen.query_one("#finding-detail", Static))
        # The journal was written as the run went.
        assert screen.journal_path is not None and read_journal(screen.journal_path)[-1]["type"] == "run_finished"

        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
        target = tmp_path / f"{name}.md"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: target.exists(), what="the export file")
        text = target.read_text()
        assert transcript.title in text and next(iter(codes)) in text


async def test_ssh_timeout_draws_the_blocking_component_and_copies_its_fix(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await run_default(pilot, "ssh-timeout")
        blocking = next(f for f in screen.transcript.findings if f["severity"] == "error")
        graph = screen.query_one(PathGraph)
        assert graph.display
        drawn = "\n".join(line.plain for line in graph.lines)
        assert blocking["resource"] in drawn and "✖" in drawn
        await pilot.press("c")
        assert screen.copied is not None
        first, command = screen.copied.splitlines()[:2]
        assert first == f"# fixes {blocking['code']} on {blocking['resource']}"
        assert command.startswith("aws ec2 ") and blocking["resource"] in command


async def test_call_log_shows_every_call_and_filters(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await run_default(pilot, "ssh-timeout")
        log = screen.query_one(CallLog)
        assert not log.display
        await pilot.press("l")
        assert log.display and len(log.calls) == len(screen.transcript.api_calls) > 0
        await pilot.press("slash", *"networkacl")
        assert log.visible_calls and all(c["operation"] == "DescribeNetworkAcls" for _, c in log.visible_calls)


async def test_bad_input_is_a_sentence_and_does_not_run(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_playbook(pilot, "ssh-timeout")
        field = screen.query_one("#param-instance", Input)
        field.value = "web-server-1"
        await pilot.pause()
        error = screen.query_one("#error-instance", Static)
        assert error.display and "i-" in plain(error)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, InputsScreen), "an invalid form must not start a run"


async def test_question_mark_lists_the_keys_of_the_view_with_their_ids(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, KeysScreen)
        table = app.screen._table
        ids = set(table.columns[2]._cells)
        assert {"app.quit", "app.guided", "list.filter"} <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_f1_explains_the_focused_widget(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, WidgetHelpScreen)
        assert "filter" in app.screen._text.lower()


async def test_escape_cancels_a_run_and_keeps_its_transcript(make_app) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(ctx) -> StepOutcome:
        started.set()
        release.wait(10)
        return StepOutcome("ok", "slow step done")

    playbook = Playbook("slow", "Slow", "a test playbook", (), (
        Step("first", "First", "why", slow), Step("second", "Second", "why", lambda ctx: StepOutcome("ok", "no"))))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.push_screen(RunScreen(playbook, {}))
        screen = app.screen
        await wait_for(pilot, started.is_set, what="the first step")
        await pilot.press("escape")
        assert screen.handle.cancel.is_set() and isinstance(app.screen, RunScreen), "Escape cancels, it does not leave"
        release.set()
        await wait_for(pilot, lambda: not screen.running, what="the cancelled run to end")
        t = screen.transcript
        assert t.cancelled and t.step("first").status == "ok" and t.step("second").status == "skipped"
        assert read_journal(screen.journal_path)[-1]["cancelled"] is True
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_a_recent_transcript_reopens_read_only(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        first = await run_default(pilot, "throttling")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), what="home")
        recent = app.screen.query_one("#recent", FilterList)
        assert recent.visible_ids() == [str(first.journal_path)]
        recent.focus_list()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the replay")
        replay = app.screen
        assert replay.replayed and not replay.running
        assert replay.transcript.verdict == first.transcript.verdict
        assert len(replay.transcript.findings) == len(first.transcript.findings)


async def test_bindings_are_remapped_by_id(make_app, tmp_path, monkeypatch) -> None:
    (tmp_path / "keymap.toml").write_text('[keymap]\n"run.copy_fix" = "y"\n')
    monkeypatch.setenv("AWSTRIAGE_CONFIG_DIR", str(tmp_path))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await run_default(pilot, "ssh-timeout")
        await pilot.press("y")
        assert screen.copied and screen.copied.splitlines()[1].startswith("aws ec2 ")


async def test_g_toggles_the_why_of_each_step(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.guided, "the sandbox starts guided"
        screen = await run_default(pilot, "lambda-oom")
        detail = screen.query_one("#step-detail", Static)
        assert "Why we check this" in plain(detail)
        await pilot.press("g")
        await pilot.pause()
        assert not app.guided and "Why we check this" not in plain(detail)


async def test_command_palette_offers_every_playbook(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for name in MODULES:
            assert f"Playbook: {get_playbook(name).title}" in titles
        assert "Credentials and region" in titles and "Toggle light/dark" in titles


def test_journal_label_shows_verdict_target_and_scenario(tmp_path) -> None:
    from tui.screens.home import journal_label

    recorded = Path(__file__).parent / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"
    path = tmp_path / "20261127T120401123456Z-ssh-timeout.jsonl"
    path.write_text(recorded.read_text())
    label = journal_label(path).plain
    assert label.startswith("ssh-timeout") and "2026-11-27 12:04:01" in label
    assert "problem found" in label and "i-4885aa378eace46f8" in label and "ssh-nacl-return-traffic" in label
    assert "unreadable" in journal_label(tmp_path / "20261127T120401123456Z-gone.jsonl").plain


async def test_f4_picks_an_instance_from_the_account(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_playbook(pilot, "ssh-timeout")
        field = screen.query_one("#param-instance", Input)
        seeded = field.value
        field.value = ""
        field.focus()
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), what="the picker")
        picker = app.screen.query_one(FilterList)
        await wait_for(pilot, lambda: picker.visible_ids(), what="the instances")
        assert seeded in picker.visible_ids()
        await pilot.press("slash", *seeded[-6:], "enter")  # Enter in the filter picks the match
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="back on the form")
        assert field.value == seeded


async def test_credentials_screen_saves_to_the_keyring_and_forgets_the_secret(make_app) -> None:
    import keyring
    from keyring_backends import MemoryKeyring

    from diagnostics import credentials

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.action_credentials()
            await wait_for(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.query("#profile"),
                           what="the credentials screen")
            screen = app.screen
            values = {"#profile": "ops", "#key-id": "AKIAIOSFODNN7EXAMPLE",
                      "#secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
            for selector, value in values.items():
                screen.query_one(selector, Input).value = value
            screen.query_one("#save").press()
            await pilot.pause()
            assert credentials.list_profiles() == ["ops"]
            assert credentials.load("ops").aws_access_key_id == "AKIAIOSFODNN7EXAMPLE"
            assert screen.query_one("#secret", Input).value == "", "the secret leaves the screen once saved"
            assert "wJalr" not in plain(screen.query_one("#credentials-status", Static))
            # The sandbox is one account: switching profile there is refused with a sentence.
            screen.query_one("#use").press()
            await wait_for(pilot, lambda: "sandbox" in plain(screen.query_one("#credentials-status", Static)),
                           what="the refusal")
            screen.query_one("#remove").press()
            await pilot.pause()
            assert credentials.list_profiles() == []
    finally:
        keyring.set_keyring(previous)


async def test_without_credentials_the_app_says_so_and_offers_the_sandbox(sandbox, monkeypatch) -> None:
    import tui.app
    from diagnostics.session import SessionOptions
    from playbooks.workspace import Workspace

    # An account nobody can reach: the identity bar must say why in a sentence, never hang or crash.
    account = Workspace(demo=False, options=SessionOptions(endpoint_url="http://127.0.0.1:9", max_attempts=1,
                                                           connect_timeout=1))
    monkeypatch.setattr(tui.app, "Workspace", lambda demo: Workspace(demo=demo, sandbox=sandbox))
    app = tui.app.AwstriageApp(account)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.identity.problem and not app.identity.sandbox
        assert "SANDBOX" not in app.screen.query_one(IdentityBar).render().plain
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Open the sandbox" in titles
        app.action_open_sandbox()
        await wait_for(pilot, lambda: app.identity is not None and app.identity.sandbox, what="the sandbox")
        assert app.workspace.demo and app.guided
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.query("#start-here"),
                       what="home with the walkthrough")
