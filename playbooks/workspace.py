"""Where runs happen: the sandbox or an AWS account, one session, journaled runs.

The TUI holds one Workspace; everything here blocks (it starts moto, calls STS, runs playbooks), so
the TUI calls it from thread workers. Nothing here knows about Textual.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diagnostics.errors import explain_error
from diagnostics.session import AwsSession, SessionOptions, open_session
from playbooks.journal import Journal, JournalError, new_journal_path
from playbooks.model import Playbook
from playbooks.params import placement
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
        # The session in the region first chosen, kept while a run reads the region an ARN named.
        self.home: AwsSession | None = None
        self._accounts: dict[int, str] = {}  # the caller's account by session, read once (aim)
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
            self.home = self.session
            return self.session

    def switch(self, profile: str | None, region: str | None) -> AwsSession:
        """Use another profile or region from now on (not in the sandbox, which has one account)."""
        with self._lock:
            if self.demo:
                raise ValueError("the sandbox has one account and one region; start awstriage without demo "
                                 "to use your own profiles")
            self.options = SessionOptions(profile=profile or None, region=region or None,
                                          endpoint_url=self.options.endpoint_url)
            self.session = self.home = open_session(self.options)
            return self.session

    def aim(self, inputs: dict[str, Any]) -> str | None:
        """Point the session where the inputs' ARNs say the resource lives, before anything is read.

        With no region chosen explicitly (``--region``, the TUI's region switch) the ARN's region is used
        and the returned notice says so; a region chosen explicitly that differs is a ValueError, as is an
        ARN in another account than the credentials' (awstriage would read the credentials' account and
        describe the wrong resource, or a same-named one). Blocking (STS, once per session)."""
        where = placement(inputs)
        session = self.connect()
        home = self.home or session
        notice = None
        wanted = where.region or home.region
        if wanted != session.region:
            named = f"the {where.region_param} ARN"
            if self.demo:
                raise ValueError(f"{named} is in {wanted}, but the sandbox has one region, {session.region}")
            if self.options.region:
                raise ValueError(f"{named} is in {wanted} but --region is {self.options.region}: "
                                 f"pass --region {wanted}")
            with self._lock:
                self.session = session = home if wanted == home.region else open_session(
                    replace(self.options, region=wanted))
            if where.region:
                notice = f"{named} is in {wanted}: reading {wanted}, the ARN's region (no --region was given)"
        if where.account:
            caller = self._caller_account(session)
            if caller and caller != where.account:
                raise ValueError(
                    f"the {where.account_param} ARN is in account {where.account} but these credentials are for "
                    f"account {caller}: awstriage reads the credentials' account, so it would look at another "
                    f"resource or none; use credentials for account {where.account} (--profile)")
        return notice

    def _caller_account(self, session: AwsSession) -> str:
        """The credentials' account, or "" when STS cannot say (the run then reports why)."""
        if id(session) not in self._accounts:
            try:
                self._accounts[id(session)] = session.client("sts").get_caller_identity().get("Account", "")
            except Exception:  # no credentials, offline: the run's identity step says it in a sentence
                return ""
        return self._accounts[id(session)]

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
        """Run with a journal written as events happen. Blocking; cancel through the handle.

        The session is first pointed at the region of the inputs' ARNs (:meth:`aim`; a ValueError when
        that contradicts an explicit region or the credentials' account)."""
        self.aim(inputs)
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
