"""Escape cancels a run at the step it was pressed at, every time: wherever the focus is, however busy the screen
is with the run's events; the screen stays on the run saying "Cancelling…" until the runner reports the run
finished (cancelled), and only the next Escape goes back."""

from __future__ import annotations

import threading

import pytest
from tui_pilot import plain, wait_for

from tui.screens.inputs import InputsScreen
from tui.screens.run import RunScreen

pytestmark = [pytest.mark.tui, pytest.mark.sandbox]


def gate_after_steps(workspace, monkeypatch, steps: int) -> tuple[threading.Event, threading.Event]:
    """Hold the run after ``steps`` steps until the test releases it, with the screen's queue full of events
    (300 copies of the last API call, as a busy run at 80x24 makes): Escape must not wait behind them."""
    reached, release = threading.Event(), threading.Event()
    run = workspace.run

    def gated(playbook, inputs, observers, handle=None):
        finished = [0]
        last_call = []

        def observer(event):
            for obs in observers:
                obs(event)
            if event.type == "api_call":
                last_call[:] = [event]
            if event.type == "step_finished":
                finished[0] += 1
                if finished[0] == steps:
                    for _ in range(300 if last_call else 0):
                        for obs in observers:
                            obs(last_call[0])
                    reached.set()
                    release.wait(20)

        return run(playbook, inputs, [observer], handle)

    monkeypatch.setattr(workspace, "run", gated)
    return reached, release


async def start_run(pilot, name: str) -> RunScreen:
    app = pilot.app
    await wait_for(pilot, lambda: app.identity is not None, what="the identity bar")
    app.action_open_playbook(name)
    await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen) and not app.screen.seeding
                   and app.screen.scenario_name, timeout=30, what="the scenario")
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
    return app.screen


@pytest.mark.parametrize("focus_presses", [0, 2], ids=["steps-focused", "detail-focused"])
async def test_escape_cancels_at_once_and_the_screen_waits_for_the_run_to_stop(make_app, workspace, monkeypatch,
                                                                               focus_presses) -> None:
    reached, release = gate_after_steps(workspace, monkeypatch, steps=3)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_run(pilot, "access-denied")
        await wait_for(pilot, reached.is_set, what="three steps to finish")
        for _ in range(focus_presses):
            await pilot.press("tab")
        await pilot.press("escape")
        try:
            # Within a second, while 300 events wait in the screen's queue (drawing each took seconds in all).
            await wait_for(pilot, run.handle.cancel.is_set, timeout=1.0, what="Escape to set the cancel event")
            assert app.screen is run, "the screen stays on the run while it stops"
            await pilot.pause(0.2)
            assert "Cancelling" in plain(run.query_one("#verdict"))
            await pilot.press("escape")  # a second Escape while it stops does not leave it either
            assert app.screen is run
        finally:
            release.set()
        await wait_for(pilot, lambda: run.transcript.finished_at, timeout=30, what="the run to stop")
        assert run.transcript.cancelled
        assert len([s for s in run.transcript.steps if s.elapsed_ms is not None]) <= 4  # the rest never ran
        await pilot.pause(0.3)
        assert app.screen is run and "Cancelled" in plain(run.query_one("#verdict"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="Escape to go back")


async def test_leaving_the_run_screen_any_other_way_cancels_the_run(make_app, workspace, monkeypatch) -> None:
    reached, release = gate_after_steps(workspace, monkeypatch, steps=2)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_run(pilot, "access-denied")
        await wait_for(pilot, reached.is_set, what="two steps to finish")
        app.pop_screen()  # as the palette or a keymap could
        await pilot.pause(0.2)
        assert run.handle.cancel.is_set()
        release.set()
