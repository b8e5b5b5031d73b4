"""The triage screen at 80x24, as a newcomer reads it: a headline from what was read, reasons in sentences,
the selected alarm's details in full, change names without API versions, and Enter that opens the suggested
playbook with the suggested values filled in."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_pilot import plain, ready, wait_for

from playbooks.transcript import transcript_from_events
from tui.screens.inputs import InputsScreen
from tui.screens.triage import TriageScreen, change_name, triage_headline, unread_lines

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]


def test_change_names_lose_their_api_version() -> None:
    assert change_name("PutFunctionConcurrency20171031") == "PutFunctionConcurrency"
    assert change_name("UpdateFunctionConfiguration20150331v2") == "UpdateFunctionConfiguration"
    assert change_name("AuthorizeSecurityGroupIngress") == "AuthorizeSecurityGroupIngress"
    assert change_name("PutObject") == "PutObject"


def test_without_credentials_the_headline_says_the_alarms_could_not_be_read() -> None:
    reason = "no AWS credentials were found (set AWS_PROFILE or run aws configure)"
    events = [
        {"type": "run_started", "playbook": "triage", "title": "Triage", "steps": [
            {"id": "identity", "title": "Who am I?"}, {"id": "alarms", "title": "Which alarms are firing?"}],
         "inputs": {}, "started_at": "2026-11-29T00:00:00Z"},
        {"type": "step_started", "step_id": "identity", "title": "Who am I?", "index": 0, "at": "x"},
        {"type": "step_finished", "step_id": "identity", "status": "error", "detail": reason, "elapsed_ms": 1.0},
        {"type": "step_started", "step_id": "alarms", "title": "Which alarms are firing?", "index": 1, "at": "x"},
        {"type": "step_finished", "step_id": "alarms", "status": "skipped", "detail": f"Not run: {reason}",
         "elapsed_ms": 0.0},
        {"type": "run_finished", "verdict": "incomplete", "finished_at": "2026-11-29T00:00:01Z"},
    ]
    t = transcript_from_events(events)
    headline = triage_headline(t).plain
    assert headline == f"Could not read the alarms: {reason}."
    assert "Nothing is firing" not in headline
    lines = [line.plain for line in unread_lines(t)]
    assert lines == ["Not read either, for the same reason: Who am I?"]  # the reason once, in the headline


async def test_triage_at_80x24_reads_whole_and_enter_opens_the_suggestion_filled_in(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TriageScreen), what="the triage screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.transcript is not None, timeout=40, what="the overview")
        status = plain(screen.query_one("#triage-status"))
        assert status.startswith(f"{len(screen.transcript.overview['alarms'])} alarms firing: ")
        assert "Which alarms are firing?" not in status
        assert any("Enter opens the suggested playbook" in str(w.render()) for w in screen.query("Label"))
        first = screen.transcript.overview["suggestions"][0]
        alarm = next(a for a in screen.transcript.overview["alarms"] if a["name"] == first["alarm"])
        detail = plain(screen.query_one("#alarm-detail"))
        assert alarm["since"] in detail and alarm["metric"] in detail  # the time, never cut by a column
        changes = plain(screen.query_one("#triage-changes"))
        assert changes and not any(change_name(c["event"]) != c["event"] and c["event"] in changes
                                   for c in screen.transcript.changes)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="the suggested playbook's form")
        form = app.screen
        assert form.playbook.name == first["playbook"] and not form.seeding
        for name, value in first["params"].items():
            assert form.query_one(f"#param-{name}", Input).value == value  # a value, not a placeholder
        assert any("In the sandbox" in (n.title or "") for n in app._notifications)
