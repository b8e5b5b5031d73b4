"""The Workspace the TUI drives (and the CLI's run): never a traceback, always a journal."""

from __future__ import annotations

import pytest

from diagnostics.sandbox import default_scenario
from diagnostics.session import SessionOptions
from playbooks.journal import read_journal
from playbooks.registry import get_playbook, parse_inputs
from playbooks.transcript import transcript_from_events
from playbooks.workspace import RunHandle, Workspace, raw_inputs


def test_an_unknown_profile_is_a_sentence_not_a_crash() -> None:
    identity = Workspace(demo=False, options=SessionOptions(profile="no-such-profile")).identity()
    assert identity.problem and "no-such-profile" in identity.problem and not identity.account


def test_an_unreachable_endpoint_is_a_sentence() -> None:
    options = SessionOptions(endpoint_url="http://127.0.0.1:9", max_attempts=1, connect_timeout=1)
    identity = Workspace(demo=False, options=options).identity()
    assert identity.problem and not identity.sandbox


def test_the_sandbox_cannot_switch_profile(sandbox) -> None:
    with pytest.raises(ValueError, match="sandbox"):
        Workspace(demo=True, sandbox=sandbox).switch("prod", "eu-west-1")


def test_raw_inputs_are_what_a_person_would_type() -> None:
    assert raw_inputs({"port": 22, "context": ["a=1", "b=2"], "instance": "i-1"}) == {
        "port": ["22"], "context": ["a=1", "b=2"], "instance": ["i-1"]}


@pytest.mark.sandbox
def test_a_run_is_journaled_and_reads_back_the_same(sandbox) -> None:
    workspace = Workspace(demo=True, sandbox=sandbox)
    playbook = get_playbook("lambda-oom")
    inputs = parse_inputs(playbook, workspace.prepare(default_scenario("lambda-oom")))
    handle = RunHandle()
    seen: list[str] = []
    transcript = workspace.run(playbook, inputs, [lambda e: seen.append(e.type)], handle)
    assert handle.journal_path is not None and handle.journal_problem is None
    assert seen[0] == "run_started" and seen[-1] == "run_finished"
    assert transcript.scenario == "lambda-oom-killed" or transcript.sandbox
    again = transcript_from_events(read_journal(handle.journal_path))
    assert again.to_json_dict() == transcript.to_json_dict()
    assert read_journal(handle.journal_path)[-1]["type"] == "run_finished"
    workspace.close()
    assert sandbox.current is not None, "closing a workspace never stops a sandbox it was lent"


def test_a_cancelled_run_skips_what_is_left(sandbox) -> None:
    workspace = Workspace(demo=True, sandbox=sandbox)
    playbook = get_playbook("throttling")
    inputs = parse_inputs(playbook, workspace.prepare(default_scenario("throttling")))
    handle = RunHandle()
    handle.cancel.set()
    transcript = workspace.run(playbook, inputs, [], handle)
    assert transcript.cancelled and transcript.verdict == "incomplete"
    assert all(step.status == "skipped" for step in transcript.steps)
