"""The command line. Every failure is one sentence on stderr and an exit status, never a traceback."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from awstriage import __version__

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
VERDICT_EXIT = {"no_problem_found": EXIT_OK, "problem_found": EXIT_PROBLEM, "incomplete": EXIT_INCOMPLETE}

EPILOG = """\
exit status of 'run' (and 'iam simulate'):
  0  no problem found (allowed)
  1  problem found (denied)
  2  usage or input error: bad argument, unknown playbook, malformed ID, ARN or CIDR, unreadable file
  3  could not finish: credentials, network, or every check failed

examples:
  awstriage demo
  awstriage run ssh-timeout --demo
  awstriage run ssh-timeout --param instance=i-0abc12345678def01 --param source=203.0.113.10/32
  awstriage run access-denied --param error="User: arn:aws:iam::123456789012:user/alice is not ..."
  awstriage journals
  awstriage export --last --format md -o ticket.md
"""

FORMAT_ALIASES = {"md": "markdown", "txt": "text", "htm": "html"}
FORMAT_CHOICES = ("text", "markdown", "md", "json", "html")


def output_format(args: argparse.Namespace, default: str) -> str:
    """The transcript format: --format when given, else what the --output file's extension says, else
    ``default``. An explicit --format that disagrees with the extension wins, with a notice."""
    from playbooks.exporters import format_of_path

    by_name = format_of_path(args.output) if args.output is not None else None
    if args.format is None:
        return by_name or default
    fmt = FORMAT_ALIASES.get(args.format, args.format)
    if by_name is not None and by_name != fmt:
        print(f"awstriage: writing {fmt} to {args.output} as --format asks (its extension suggests {by_name})",
              file=sys.stderr)
    return fmt


class UsageError(Exception):
    """Bad input from the user: one sentence, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"awstriage: {message} (see awstriage --help)\n")


def _global_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("AWS options")
    group.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile (or keyring profile) to use")
    group.add_argument("--region", default=argparse.SUPPRESS, help="AWS region")
    group.add_argument("--endpoint-url", default=argparse.SUPPRESS,
                       help="send AWS calls to this endpoint (also AWS_ENDPOINT_URL)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = Parser(
        prog="awstriage",
        description="A troubleshooting assistant for AWS: playbooks that name the component at fault "
                    "and the command that fixes it. Read-only: it never changes your account.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"awstriage {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    sub.add_parser("demo", parents=[common], help="the TUI on the built-in sandbox account (offline)")
    sub.add_parser("tui", parents=[common], help="the TUI on your AWS credentials (the default command)")

    run = sub.add_parser("run", parents=[common], help="run a playbook and print its transcript",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("playbook", help="access-denied, ssh-timeout, throttling, lambda-oom or slow-performance")
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="a playbook parameter (repeat for each); see 'awstriage list'")
    run.add_argument("--format", choices=FORMAT_CHOICES, help="text, markdown (or md), json or html (default: from "
                     "the --output file's extension, else text)")
    run.add_argument("--output", "-o", type=Path, help="write the transcript to this file instead of stdout")
    run.add_argument("--demo", action="store_true", help="run on the built-in sandbox account")
    run.add_argument("--scenario", help="with --demo: the sandbox scenario to seed (default: the playbook's)")

    triage = sub.add_parser("triage", parents=[common], help="the first five minutes: alarms firing, AWS Health "
                            "events, recent changes, and the playbook to run for each alarm")
    triage.add_argument("--hours", default="24", metavar="N", help="hours of change history to read (default 24)")
    triage.add_argument("--format", choices=FORMAT_CHOICES, help="text, markdown (or md), json or html (default: "
                        "from the --output file's extension, else text)")
    triage.add_argument("--output", "-o", type=Path, help="write the overview to this file instead of stdout")
    triage.add_argument("--demo", action="store_true", help="look at the built-in sandbox account")

    sub.add_parser("list", parents=[common], help="the playbooks, their parameters, sandbox scenarios and what each "
                   "is for")
    _add_journal_commands(sub)

    creds = sub.add_parser("credentials", help="credentials kept in the OS keyring")
    creds_sub = creds.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION", required=True)
    for name, text in (("set", "save credentials for a profile (asks for them; nothing is echoed)"),
                       ("delete", "remove a profile's saved credentials")):
        p = creds_sub.add_parser(name, help=text)
        p.add_argument("--profile", required=True)
    creds_sub.add_parser("list", help="profiles with saved credentials (never the secrets)")

    from awstriage import iam_command

    iam_command.add_parser(sub)
    return parser


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be an AWS endpoint (None when it can): botocore's own test of the host, and an
    http or https scheme. Checked before the run, so a typo is a usage error, not every step failing."""
    from urllib.parse import urlsplit

    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    if urlsplit(url).scheme not in ("http", "https"):
        return "it does not start with http:// or https://"
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        return "its host is not a valid host name or address"
    return None


def _session_options(args: argparse.Namespace):  # -> SessionOptions
    from diagnostics.session import SessionOptions

    endpoint = getattr(args, "endpoint_url", None)
    source = "--endpoint-url"
    if endpoint is None and os.environ.get("AWS_ENDPOINT_URL"):
        endpoint, source = os.environ["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"
    if endpoint is not None and (why := endpoint_problem(endpoint)) is not None:
        raise UsageError(f"{source} '{endpoint}' is not an endpoint URL: {why} (for example "
                         "http://127.0.0.1:5000 or https://ec2.eu-west-1.amazonaws.com)")
    return SessionOptions(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )


def _parse_params(pairs: Sequence[str]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes KEY=VALUE, got '{pair}'")
        raw.setdefault(key.strip(), []).append(value)
    return raw


def _check_output(output: Path | None) -> None:
    """Refuse an --output that cannot be written before anything runs: a diagnosis is not run for nothing."""
    if output is None:
        return
    folder = output.parent
    if output.is_dir():
        raise UsageError(f"cannot write {output}: it is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"cannot write {output}: the folder {folder} does not exist")
    if not os.access(output if output.exists() else folder, os.W_OK):
        raise UsageError(f"cannot write {output}: permission denied")


def _write(text: str, output: Path | None) -> None:
    """The transcript to ``output``; if that fails after the run, to stdout with a sentence: nothing is lost."""
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"awstriage: cannot write {output}: {exc.strerror or exc}; the transcript follows on stdout",
                  file=sys.stderr)
        else:
            print(f"Transcript written to {output}", file=sys.stderr)
            return
    sys.stdout.write(text)
    sys.stdout.flush()


class ProgressPrinter:
    """One line per finished step on stderr, so a person sees the run move while stdout stays clean.

    A sentence already printed for an earlier step (no credentials: every step "Not run: ...") is
    not printed again."""

    def __init__(self) -> None:
        from playbooks.exporters import STATUS_MARKS

        self.marks = STATUS_MARKS
        self.titles: dict[str, str] = {}
        self.said: set[str] = set()

    def __call__(self, event) -> None:
        if event.type == "run_started":
            data = event.to_dict()
            self.titles = {s["id"]: s.get("title", "") for s in data.get("steps") or []}
            print(data.get("title", ""), file=sys.stderr, flush=True)
        if event.type == "step_finished":
            detail = event.detail or ""
            core = detail.removeprefix("Not run: ")
            if core in self.said:
                detail = "Not run: the same reason as above." if detail.startswith("Not run: ") else "The same."
            self.said.add(core)
            title = self.titles.get(event.step_id, "")
            print(f" {self.marks.get(event.status, '?')} {title}: {detail}" if title else
                  f" {self.marks.get(event.status, '?')} {detail}", file=sys.stderr, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    from playbooks.exporters import export, to_text
    from playbooks.registry import UnknownPlaybook, get_playbook, parse_inputs
    from playbooks.workspace import RunHandle, Workspace

    try:
        playbook = get_playbook(args.playbook)
    except UnknownPlaybook as exc:
        raise UsageError(f"{exc}{did_you_mean(args.playbook)}") from None
    raw = _parse_params(args.param)
    if args.scenario and not args.demo:
        raise UsageError("--scenario goes with --demo")
    check_params(playbook, raw)  # before the sandbox starts: a typo costs no wait
    _check_output(args.output)
    scenario = None
    if args.demo:
        from diagnostics.sandbox import default_scenario, scenario_by_name
        from diagnostics.sandbox.scenario import ScenarioError

        try:
            scenario = scenario_by_name(args.scenario) if args.scenario else default_scenario(playbook.name)
        except ScenarioError as exc:
            raise UsageError(str(exc)) from None
        if scenario.playbook != playbook.name:
            raise UsageError(f"scenario '{scenario.name}' is for the {scenario.playbook} playbook")
        print("Starting the sandbox...", file=sys.stderr, flush=True)
    workspace = Workspace(demo=args.demo, options=None if args.demo else _session_options(args))
    try:
        if scenario is not None:
            raw = {**workspace.prepare(scenario), **raw}  # what the user typed wins over the scenario
            print(f"Sandbox: scenario '{scenario.name}' — {scenario.title}", file=sys.stderr)
        else:
            _connect(workspace)
        try:
            inputs = parse_inputs(playbook, raw)
            notice = workspace.aim(inputs)  # the ARN's region; never another account's resource read in ours
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if notice:
            print(f"awstriage: {notice}", file=sys.stderr)
        handle = RunHandle()
        live = sys.stderr.isatty()
        observers = [ProgressPrinter()] if live else []
        transcript = workspace.run(playbook, inputs, observers, handle)
        if handle.journal_problem:
            print(f"awstriage: {handle.journal_problem}", file=sys.stderr)
        fmt = output_format(args, "text")
        on_terminal = fmt == "text" and args.output is None and sys.stdout.isatty()
        # On a terminal the steps were shown live: the final text adds the findings and the verdict only.
        text = to_text(transcript, color=True, steps=not live) if on_terminal else export(transcript, fmt)
        _write(text, args.output)
        if handle.journal_path is not None:
            print(f"Journal: {handle.journal_path}", file=sys.stderr)
        return VERDICT_EXIT.get(transcript.verdict, EXIT_INCOMPLETE)
    finally:
        workspace.close()


def _connect(workspace) -> None:
    """Open the account's session, or one sentence (exit 2); print the session's notices."""
    from diagnostics.errors import explain_error

    try:
        session = workspace.connect()
    except Exception as exc:  # ProfileNotFound and friends: the user's setup, not a bug
        raise UsageError(explain_error(exc)) from None
    for notice in session.notices:
        print(f"awstriage: {notice}", file=sys.stderr)


def cmd_triage(args: argparse.Namespace) -> int:
    """Like ``run``, with the triage overview in place of a playbook; exit 1 when an alarm is firing."""
    from playbooks.exporters import export, to_text
    from playbooks.registry import parse_inputs
    from playbooks.triage import TRIAGE
    from playbooks.workspace import RunHandle, Workspace

    try:
        inputs = parse_inputs(TRIAGE, {"changes_hours": [args.hours]})
    except ValueError as exc:
        raise UsageError(str(exc).replace("changes_hours", "--hours")) from None
    _check_output(args.output)
    workspace = Workspace(demo=args.demo, options=None if args.demo else _session_options(args))
    try:
        if args.demo:
            from diagnostics.sandbox.overview import overview_scenario

            scenario = overview_scenario()
            workspace.prepare(scenario)
            print(f"Sandbox: '{scenario.name}' — {scenario.title}", file=sys.stderr)
        else:
            _connect(workspace)
        handle = RunHandle()
        transcript = workspace.run(TRIAGE, inputs, [ProgressPrinter()] if sys.stderr.isatty() else [], handle)
        fmt = output_format(args, "text")
        color = fmt == "text" and args.output is None and sys.stdout.isatty()
        _write(to_text(transcript, color=True) if color else export(transcript, fmt), args.output)
        if handle.journal_path is not None:
            print(f"Journal: {handle.journal_path}", file=sys.stderr)
        return VERDICT_EXIT.get(transcript.verdict, EXIT_INCOMPLETE)
    finally:
        workspace.close()


def did_you_mean(name: str) -> str:
    """" (did you mean 'ssh-timeout'?)" for a near miss of a playbook name, "" otherwise."""
    import difflib

    from playbooks.registry import MODULES

    aliases = {n: n for n in MODULES} | {n.replace("-", ""): n for n in MODULES}
    close = difflib.get_close_matches(name.lower().replace(" ", "-").replace("_", "-"), list(aliases), n=1, cutoff=0.6)
    return f" (did you mean '{aliases[close[0]]}'?)" if close else ""


def check_params(playbook, raw: dict[str, list[str]]) -> None:
    """The parameters the user typed, checked before anything starts: unknown names, malformed values."""
    import difflib

    known = [p.name for p in playbook.params]
    for name, values in raw.items():
        param = playbook.param(name)
        if param is None:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (it takes: {', '.join(known) or 'none'})"
            raise UsageError(f"the {playbook.name} playbook has no parameter '{name}'{hint}")
        for value in values:
            try:
                param.validate(value)
            except ValueError as exc:
                raise UsageError(f"{name}: {exc}") from None


def _add_journal_commands(sub) -> None:
    journals = sub.add_parser("journals", help="past runs, newest first: when, playbook, verdict, target, scenario")
    journals.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    export = sub.add_parser("export", help="turn a journal into text, Markdown, JSON or HTML")
    export.add_argument("journal", type=Path, nargs="?", help="a journal file (see 'awstriage journals')")
    export.add_argument("--last", action="store_true", help="the newest journal")
    export.add_argument("--format", choices=FORMAT_CHOICES, help="text, markdown (or md), json or html (default: "
                        "from the --output file's extension, else markdown)")
    export.add_argument("--output", "-o", type=Path)


def cmd_journals(args: argparse.Namespace) -> int:
    from playbooks.journal import journal_dir, recent_journals

    paths = recent_journals(limit=max(1, args.limit))
    if not paths:
        print(f"No journals yet in {journal_dir()}: every run writes one.")
        return EXIT_OK
    from playbooks.exporters import journal_summary

    rows = [journal_summary(p) for p in paths]
    print(f"{'started (UTC)':<20} {'playbook':<17} {'verdict':<17} {'target':<24} scenario")
    for (when, playbook, verdict, target, scenario), path in zip(rows, paths, strict=True):
        print(f"{when:<20} {playbook:<17} {verdict:<17} {target:<24} {scenario}")
        print(f"  {path}")
    return EXIT_OK


def cmd_list(_: argparse.Namespace) -> int:
    from diagnostics.sandbox.scenario import scenarios_for
    from playbooks.registry import all_playbooks

    for pb in all_playbooks():
        print(f"{pb.name}\n  {pb.purpose}")
        for p in pb.params:
            flags = []
            if p.required:
                flags.append("required")
            if p.default is not None:
                flags.append(f"default {p.default}")
            if p.repeatable:
                flags.append("repeatable")
            extra = f" ({', '.join(flags)})" if flags else ""
            print(f"    --param {p.name}=...  {p.help}{extra}")
        scenarios = scenarios_for(pb.name)
        if scenarios:
            print("  sandbox scenarios (awstriage run " + pb.name + " --demo --scenario NAME):")
            for sc in scenarios:
                default = " (default)" if sc.name == pb.default_scenario else ""
                print(f"    {sc.name}{default}  {sc.title}")
        print()
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from playbooks.exporters import export
    from playbooks.journal import JournalError, read_journal
    from playbooks.transcript import transcript_from_events

    path = args.journal
    if args.last and path is not None:
        raise UsageError("give a journal or --last, not both")
    _check_output(args.output)
    if args.last:
        from playbooks.journal import journal_dir, recent_journals

        newest = recent_journals(limit=1)
        if not newest:
            raise UsageError(f"no journals yet in {journal_dir()}")
        path = newest[0]
        print(f"Exporting {path}", file=sys.stderr)
    if path is None:
        raise UsageError("give a journal file or --last (see 'awstriage journals')")
    try:
        events = read_journal(path)
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    _write(export(transcript_from_events(events), output_format(args, "markdown")), args.output)
    return EXIT_OK


def cmd_credentials(args: argparse.Namespace) -> int:
    from diagnostics import credentials as store

    try:
        if args.action == "list":
            profiles = store.list_profiles()
            print("\n".join(profiles) if profiles else "No credentials saved in the keyring.")
        elif args.action == "delete":
            if store.delete(args.profile):
                print(f"Removed the saved credentials of profile {args.profile}.")
            else:
                print(f"No saved credentials for profile {args.profile}.")
        else:
            creds = _ask_credentials()
            store.save(args.profile, creds)
            print(f"Saved credentials for profile {args.profile} in the OS keyring. "
                  f"Use them with --profile {args.profile}.")
    except store.KeyringUnavailable as exc:
        print(f"awstriage: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK


def _ask_credentials():  # -> StoredCredentials
    from diagnostics.credentials import StoredCredentials

    interactive = sys.stdin.isatty()

    def ask(prompt: str, secret: bool) -> str:
        if not interactive:
            return sys.stdin.readline().strip()
        return getpass.getpass(prompt) if secret else input(prompt).strip()

    key_id = ask("AWS access key ID: ", secret=False)
    secret = ask("AWS secret access key (not shown): ", secret=True)
    token = ask("Session token (optional, not shown): ", secret=True)
    region = ask("Default region (optional): ", secret=False)
    if not key_id or not secret:
        raise UsageError("an access key ID and a secret access key are both needed")
    return StoredCredentials(aws_access_key_id=key_id, aws_secret_access_key=secret,
                             aws_session_token=token or None, region=region or None)


def cmd_tui(args: argparse.Namespace, demo: bool) -> int:
    import tui

    return tui.launch(demo=demo, options=None if demo else _session_options(args))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in (None, "tui"):
            return cmd_tui(args, demo=False)
        if args.command == "demo":
            return cmd_tui(args, demo=True)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "triage":
            return cmd_triage(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "journals":
            return cmd_journals(args)
        if args.command == "credentials":
            return cmd_credentials(args)
        if args.command == "iam":
            from awstriage import iam_command

            return iam_command.run(args)
    except UsageError as exc:
        print(f"awstriage: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("awstriage: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
