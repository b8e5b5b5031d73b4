"""The command line: one clear line and exit status 2 for bad input, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from awstriage.cli import main


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "awstriage", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nope"], "unknown playbook 'nope'"),
        (["run", "ssh-timeout", "--param", "instance=i-xyz"], "is not an EC2 instance ID"),
        (["run", "ssh-timeout", "--param", "instance=i-0123456789abcdef0", "--param", "source=300.1.1.1"],
         "is not an IP address or CIDR block"),
        (["run", "ssh-timeout"], "needs --param instance"),
        (["run", "ssh-timeout", "--param", "noequals"], "KEY=VALUE"),
        (["run", "access-denied", "--param", "resource=not-an-arn"], "is not an ARN"),
        (["run", "ssh-timeout", "--format", "pdf"], "invalid choice"),
        (["export", "/nonexistent/journal.jsonl"], "no journal at"),
        (["frobnicate"], "invalid choice"),
        (["run", "ssh-timeout", "--scenario", "x"], "--scenario goes with --demo"),
        (["run", "ssh-timeout", "--demo", "--scenario", "no-such-scenario"], "no sandbox scenario named"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys) -> None:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_list_shows_all_five_playbooks(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("access-denied", "ssh-timeout", "throttling", "lambda-oom", "slow-performance"):
        assert name in out


def test_help_documents_exit_codes() -> None:
    result = _cli("run", "--help")
    assert result.returncode == 0
    assert "could not finish" in result.stdout and "problem found" in result.stdout


def test_version() -> None:
    result = _cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("awstriage ")


@pytest.mark.sandbox
def test_demo_run_prints_a_transcript_and_exports_its_journal(tmp_path) -> None:
    result = _cli("run", "ssh-timeout", "--demo", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["playbook"] == "ssh-timeout" and data["verdict"] == "problem_found"
    assert data["identity"]["account"] == "123456789012"
    assert any(f["severity"] == "error" for f in data["findings"])
    journal = next(line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("Journal: "))
    out = tmp_path / "t.md"
    exported = _cli("export", journal, "--format", "markdown", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "# awstriage" in out.read_text()


def test_endpoint_unreachable_is_exit_3_with_sentences(tmp_path) -> None:
    # Nothing listens on port 9: every AWS call fails, the run cannot finish.
    result = _cli("run", "ssh-timeout", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1",
                  "--param", "instance=i-0123456789abcdef0", "--format", "json", timeout=120)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    data = json.loads(result.stdout)
    assert data["verdict"] == "incomplete"
    assert all(s["status"] in ("error", "skipped") for s in data["steps"])


# -- finding past runs, choosing formats, saying things once ------------------------------------------------------

RECORDED = Path(__file__).parent / "tui" / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "ssh-timout"], "did you mean 'ssh-timeout'"),
        (["run", "lambda_oom"], "did you mean 'lambda-oom'"),
        (["run", "ssh-timeout", "--demo", "--param", "instanse=i-0123456789abcdef0"], "did you mean 'instance'"),
        (["run", "ssh-timeout", "--demo", "--param", "port=abc"], "port: "),
        # An --output that cannot be written: refused before the run, not after it (the run would be lost).
        (["run", "ssh-timeout", "--demo", "--output", "/nonexistent-folder/x.html"],
         "the folder /nonexistent-folder does not exist"),
        (["run", "ssh-timeout", "--demo", "--output", "/"], "it is a folder"),
        (["triage", "--demo", "--output", "/nonexistent-folder/t.md"], "does not exist"),
    ],
)
def test_names_and_values_are_checked_before_the_sandbox_starts(args, message, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Starting the sandbox" not in err


@pytest.fixture
def journals(tmp_path, monkeypatch) -> Path:
    """Two journals of the recorded run: an older finished one and a newer one cut short."""
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path))
    folder = tmp_path / "journals"
    folder.mkdir()
    lines = RECORDED.read_text().splitlines()
    (folder / "20261127T114728901370Z-ssh-timeout.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "20261128T090000000000Z-ssh-timeout.jsonl").write_text("\n".join(lines[:5]) + "\n")
    return folder


def test_journals_lists_newest_first_with_verdict_target_and_scenario(journals, capsys) -> None:
    assert main(["journals"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.startswith("2026-")]
    assert rows[0].startswith("2026-11-28 09:00:00") and "unfinished" in rows[0]
    assert rows[1].startswith("2026-11-27 11:47:28")
    assert "problem found" in rows[1] and "i-4885aa378eace46f8" in rows[1] and "ssh-nacl-return-traffic" in rows[1]
    assert str(journals / "20261127T114728901370Z-ssh-timeout.jsonl") in "\n".join(out)


def test_export_last_takes_the_newest_journal_and_md_is_markdown(journals, tmp_path, capsys) -> None:
    out = tmp_path / "ticket.md"
    assert main(["export", "--last", "--format", "md", "--output", str(out)]) == 0
    assert "20261128T090000000000Z" in capsys.readouterr().err
    text = out.read_text()
    assert text.startswith("# awstriage: SSH connection times out") and "journal ends before the run did" in text


def test_an_output_that_fails_after_the_run_goes_to_stdout_with_a_sentence(journals, tmp_path, monkeypatch,
                                                                            capsys) -> None:
    """Nothing shown is lost: a write that fails once the transcript exists falls back to stdout."""
    target = tmp_path / "t.md"

    def refuse(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", refuse)
    assert main(["export", "--last", "--format", "md", "--output", str(target)]) == 0
    out, err = capsys.readouterr()
    assert "cannot write" in err and "No space left on device" in err and "follows on stdout" in err
    assert out.startswith("#")


@pytest.mark.parametrize(("name", "flags", "starts"), [
    ("ticket.html", [], "<!DOCTYPE html>"),  # the extension names the format when --format is not given
    ("ticket.HTM", [], "<!DOCTYPE html>"),
    ("ticket.json", [], "{"),
    ("ticket.markdown", [], "# awstriage"),
    ("ticket.txt", [], "SSH connection times out"),
    ("ticket", [], "# awstriage"),  # no extension: export's default, Markdown
    ("ticket.html", ["--format", "json"], "{"),  # an explicit --format wins, with a notice
])
def test_export_writes_the_format_the_output_file_asks_for(journals, tmp_path, capsys, name, flags, starts) -> None:
    out = tmp_path / name
    assert main(["export", "--last", *flags, "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith(starts)
    err = capsys.readouterr().err
    assert ("its extension suggests html" in err) == bool(flags)


def test_a_run_written_to_an_html_file_is_html(tmp_path, monkeypatch) -> None:
    """`-o report.html` on a run gives a page a browser shows, not the text transcript under an .html name."""
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path))
    out = tmp_path / "report.html"
    assert main(["run", "ssh-timeout", "--demo", "-o", str(out)]) == 1
    page = out.read_text()
    assert page.lstrip().startswith("<!DOCTYPE html>") and "</html>" in page


def test_export_needs_a_journal_or_last(journals, capsys) -> None:
    assert main(["export"]) == 2
    assert "--last" in capsys.readouterr().err


def test_list_shows_each_playbooks_sandbox_scenarios(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ssh-nacl-return-traffic (default)" in out and "--demo --scenario NAME" in out


def test_a_sentence_repeated_by_every_step_is_said_once() -> None:
    from playbooks.exporters import to_text
    from playbooks.transcript import transcript_from_events

    reason = "no AWS credentials were found: pass --profile, run `aws configure` or `aws sso login`"
    events = [{"type": "run_started", "playbook": "throttling", "title": "Throttled", "steps": [
        {"id": "identity", "title": "Who am I?"}, {"id": "a", "title": "A"}, {"id": "b", "title": "B"}]},
        {"type": "step_finished", "step_id": "identity", "status": "error", "detail": reason},
        {"type": "step_finished", "step_id": "a", "status": "skipped", "detail": f"Not run: {reason}"},
        {"type": "step_finished", "step_id": "b", "status": "skipped", "detail": f"Not run: {reason}"},
        {"type": "run_finished", "verdict": "incomplete", "finished_at": "2026-11-29T00:00:00Z"}]
    text = to_text(transcript_from_events(events))
    # Each repeat names the step that said it and what went wrong, never a bare "the same as above".
    assert text.count(reason) == 1 and "same as above" not in text
    assert text.count("Not run, for the reason given at 'Who am I?': no AWS credentials were found.") == 2


@pytest.mark.sandbox
def test_on_a_terminal_steps_show_live_or_in_the_text_never_both(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["run", "ssh-timeout", "--demo"]) == 1
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert captured.err.startswith("Starting the sandbox...")
    for title in ("Is the instance running and healthy?", "Is there a route back to you?"):
        assert both.count(title) == 1, f"{title!r} printed {both.count(title)} times"
    assert "Verdict:" in captured.out and "Fix (the least disruptive)" in captured.out


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--endpoint-url", "not-a-url", "run", "lambda-oom", "--param", "function=py-oom"], None,
     "--endpoint-url 'not-a-url' is not an endpoint URL: it does not start with http:// or https://"),
    (["run", "lambda-oom", "--endpoint-url", "http://bad host:5000", "--param", "function=f"], None,
     "its host is not a valid host name or address"),
    (["triage"], "localhost:4566", "AWS_ENDPOINT_URL 'localhost:4566' is not an endpoint URL"),
])
def test_an_endpoint_that_is_not_a_url_is_a_usage_error_before_the_run(args, env, message, capsys,
                                                                       monkeypatch) -> None:
    """breaker_b fault 11: every step failed with 'unexpected error (ValueError): Invalid endpoint' and exit 3."""
    if env is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", env)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_endpoint_urls_aws_takes_are_accepted() -> None:
    from awstriage.cli import endpoint_problem

    for url in ("http://127.0.0.1:5079", "https://ec2.eu-west-1.amazonaws.com", "http://[::1]:4566",
                "http://localhost:4566/"):
        assert endpoint_problem(url) is None, url
