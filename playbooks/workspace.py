"""Where runs happen: the sandbox or an AWS account, one session, journaled runs.

The TUI holds one Workspace; everything here blocks (it starts moto, calls STS, runs playbooks), so
the TUI calls it from thread workers. Nothing here knows about Textual.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diagnostics.errors import explain_error
from diagnostics.session import AwsSession, SessionOptions, open_session
from playbooks.journal import Journal, JournalError, new_journal_path
from playbooks.model import Playbook
from playbooks.runner import Observer, run_playbook
from playbooks.transcript import Transcript

if TYPE_CHECKING:
    from diagnostics.sandbox import Sandbox
    from diagnostics.sandbox.scenario import Scenario


@dataclass
class Identity:
    account: str = ""
    arn: str = ""
    region: str = ""
    profile: str | None = None
    source: str = ""
    sandbox: bool = False
    problem: str | None = None  # why the identity is unknown, as a sentence


@dataclass
class RunHandle:
    """A run in progress: cancel it with ``cancel.set()``; its journal is written as it goes."""

    cancel: threading.Event = field(default_factory=threading.Event)
    journal_path: Path | None = None
    journal_problem: str | None = None


def raw_inputs(inputs: dict[str, Any]) -> dict[str, list[str]]:
    """Scenario inputs (TOML values) as the texts a person would have typed."""
    return {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in inputs.items()}


class Workspace:
    def __init__(self, demo: bool, options: SessionOptions | None = None, sandbox: Sandbox | None = None) -> None:
        """``sandbox``: a running one to share (tests); otherwise demo mode starts its own."""
        self.demo = demo or sandbox is not None
        self.options = options or SessionOptions()
        self.sandbox: Sandbox | None = sandbox
        self._owns_sandbox = sandbox is None
        self.session: AwsSession | None = None
        self.scenario: Scenario | None = None
        self._lock = threading.Lock()

    # -- connecting ---------------------------------------------------------------------------
    def connect(self) -> AwsSession:
        """Open the session (starting the sandbox first in demo mode). Blocking."""
        with self._lock:
            if self.session is not None:
                return self.session
            if self.demo:
                if self.sandbox is None:
                    from diagnostics.sandbox import Sandbox

                    self.sandbox = Sandbox()
                self.session = self.sandbox.session()
            else:
                self.session = open_session(self.options)
            return self.session

    def switch(self, profile: str | None, region: str | None) -> AwsSession:
        """Use another profile or region from now on (not in the sandbox, which has one account)."""
        with self._lock:
            if self.demo:
                raise ValueError("the sandbox has one account and one region; start awstriage without demo "
                                 "to use your own profiles")
            self.options = SessionOptions(profile=profile or None, region=region or None,
                                          endpoint_url=self.options.endpoint_url)
            self.session = open_session(self.options)
            return self.session

    def identity(self) -> Identity:
        """Who the session is, by STS. Never raises: a failure is the ``problem`` sentence."""
        try:
            session = self.connect()
        except Exception as exc:  # an unknown profile, a sandbox that cannot start: a sentence, not a crash
            return Identity(region=self.options.region or "", profile=self.options.profile, sandbox=self.demo,
                            problem=explain_error(exc, profile=self.options.profile))
        found = Identity(region=session.region, profile=session.profile, source=session.credential_source,
                         sandbox=self.demo)
        try:
            answer = session.client("sts").get_caller_identity()
        except Exception as exc:  # no credentials, expired, offline: all become one sentence
            found.problem = explain_error(exc, service="sts", operation="GetCallerIdentity", profile=session.profile)
            return found
        found.account = answer.get("Account", "")
        found.arn = answer.get("Arn", "")
        return found

    # -- the sandbox's scenarios --------------------------------------------------------------------
    def scenarios(self, playbook: str) -> list[Scenario]:
        if not self.demo:
            return []
        from diagnostics.sandbox.scenario import scenarios_for

        return scenarios_for(playbook)

    def prepare(self, scenario: Scenario) -> dict[str, list[str]]:
        """Seed the sandbox with the scenario's world; return the inputs that point at it."""
        self.connect()
        assert self.sandbox is not None, "scenarios exist only in demo mode"
        seeded = self.sandbox.seed(scenario)
        self.scenario = scenario
        return raw_inputs(seeded.inputs)

    # -- running --------------------------------------------------------------------------------------
    def run(self, playbook: Playbook, inputs: dict[str, Any], observers: list[Observer],
            handle: RunHandle | None = None) -> Transcript:
        """Run with a journal written as events happen. Blocking; cancel through the handle."""
        session = self.connect()
        handle = handle or RunHandle()
        journal = None
        try:
            journal = Journal(new_journal_path(playbook.name))
            handle.journal_path = journal.path
        except JournalError as exc:
            handle.journal_problem = f"{exc}; the run goes on without a journal"
        sinks = [journal, *observers] if journal is not None else list(observers)
        scenario = self.scenario.name if self.demo and self.scenario else None
        try:
            return run_playbook(playbook, inputs, session, sinks, cancel=handle.cancel, scenario=scenario)
        finally:
            if journal is not None:
                journal.close()

    def close(self) -> None:
        if self.sandbox is not None and self._owns_sandbox:
            self.sandbox.stop()
        self.sandbox = None
