"""Journal written as the run goes; exports from whole and cut-off journals."""

from __future__ import annotations

import json
import re

import pytest

from diagnostics.findings import Finding
from diagnostics.session import sandbox_session
from playbooks.exporters import export, fix_choices
from playbooks.journal import Journal, JournalError, read_journal
from playbooks.model import Playbook, Step, StepOutcome
from playbooks.runner import run_playbook
from playbooks.transcript import transcript_from_events


def _run(tmp_path, steps):
    pb = Playbook("demo", "Demo playbook", "p", (), tuple(steps))
    journal = Journal(tmp_path / "run.jsonl")
    t = run_playbook(pb, {"instance": "i-0123456789abcdef0"}, sandbox_session("http://127.0.0.1:9"), [journal])
    journal.close()
    return t, tmp_path / "run.jsonl"


def _finding_step(ctx):
    return StepOutcome("problem", "port 22 is closed", [
        Finding("ENI_SG_RULES_MISMATCH", "error", "sg-0abc", "No rule admits tcp/22 from 203.0.113.10/32.",
                {"rule": None}, ["aws ec2 authorize-security-group-ingress --group-id sg-0abc ..."])])


STEPS = [
    Step("one", "First", "why", lambda ctx: StepOutcome("ok", "fine")),
    Step("two", "Second", "why", _finding_step),
]


def test_every_event_is_on_disk_as_it_happens(tmp_path) -> None:
    seen_on_disk = []

    def check(ctx):
        seen_on_disk.append(len((tmp_path / "run.jsonl").read_text().splitlines()))
        return StepOutcome("ok", "fine")

    _run(tmp_path, [Step("one", "First", "why", check)])
    # run_started and step_started were flushed before the step ran.
    assert seen_on_disk == [2]


def test_journal_round_trips_to_the_same_transcript(tmp_path) -> None:
    live, path = _run(tmp_path, STEPS)
    again = transcript_from_events(read_journal(path))
    assert again.to_json_dict() == live.to_json_dict()
    data = json.loads(export(again, "json"))
    assert data["verdict"] == "problem_found"
    assert data["findings"][0]["resource"] == "sg-0abc"
    assert {"tool", "version", "playbook", "inputs", "identity", "started_at", "finished_at", "verdict",
            "steps", "findings", "graph"} <= set(data)


def test_a_journal_cut_off_mid_run_still_exports(tmp_path) -> None:
    _, path = _run(tmp_path, STEPS)
    lines = path.read_text().splitlines()
    # Keep run_started, the first step and the second step's start, and half a line: a kill mid-write.
    cut = [line for line in lines if '"type":"run_finished"' not in line]
    index = next(i for i, line in enumerate(cut) if '"step_started"' in line and '"two"' in line)
    path.write_text("\n".join(cut[: index + 1]) + "\n" + cut[index + 1][:17])
    t = transcript_from_events(read_journal(path))
    assert t.truncated and t.verdict == "incomplete"
    assert [s.status for s in t.steps] == ["ok", "error"]
    for fmt in ("markdown", "html", "json", "text"):
        text = export(t, fmt)
        assert "Second" in text or fmt == "json"
    assert "journal ends before the run did" in export(t, "markdown")


def test_markdown_and_html_read_well(tmp_path) -> None:
    t, _ = _run(tmp_path, STEPS)
    md = export(t, "markdown")
    assert md.index("Verdict") < md.index("## Findings") < md.index("## Steps")
    assert "aws ec2 authorize-security-group-ingress" in md
    page = export(t, "html")
    # One self-contained file that reads offline: nothing is fetched from anywhere.
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "src=\"http" not in page and "href=\"http" not in page and "@import" not in page


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)> | **bold** [link](javascript:alert(1))"


def test_what_a_log_line_says_is_shown_in_markdown_never_rendered(tmp_path) -> None:
    """A log line quoted by a finding or a step is data: in a ticket that renders Markdown (and its HTML)
    it must show as written, not run a script, draw an image, make a link or break a table."""
    def hostile(ctx):
        return StepOutcome("problem", f"Before the failure it logged: {HOSTILE}", [
            Finding("LAMBDA_CRASH", "error", "arn:aws:lambda:us-east-1:123456789012:function:f",
                    f"Last: {HOSTILE}", {}, ["aws logs tail /aws/lambda/f"])])

    t, _ = _run(tmp_path, [Step("one", "First", "why", hostile)])
    md = export(t, "markdown")
    prose = [line for line in md.splitlines() if "alert(1)" in line]
    assert len(prose) == 2  # the finding's summary and the step's detail
    for line in prose:
        assert "<" not in line and ">" not in line  # no tag reaches a renderer that allows HTML
        assert not re.search(r"(?<!\\)\]\(javascript:", line) and "**bold**" not in line and " | " not in line
        assert "&lt;script&gt;" in line and "\\[link\\]" in line


def test_damaged_journals_are_a_sentence(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n{}\n")
    with pytest.raises(JournalError, match="line 1"):
        read_journal(bad)
    with pytest.raises(JournalError, match="no journal"):
        read_journal(tmp_path / "missing.jsonl")


# -- fixes as a choice, in every format ----------------------------------------------------------------------------

def _credits_step() -> Step:
    from diagnostics.findings import Fix

    def step(ctx):
        return StepOutcome("problem", "the t3 instance has no CPU credits", [Finding(
            "EC2_CPU_CREDITS_EXHAUSTED", "error", "i-0123456789abcdef0", "CPU credits at zero for 3 hours.", {},
            ["aws ec2 modify-instance-credit-specification --instance-credit-specifications "
             "InstanceId=i-0123456789abcdef0,CpuCredits=unlimited"],
            alternatives=[Fix(("aws ec2 stop-instances --instance-ids i-0123456789abcdef0",
                               "aws ec2 modify-instance-attribute --instance-id i-0123456789abcdef0 "
                               "--instance-type Value=m6i.large",
                               "aws ec2 start-instances --instance-ids i-0123456789abcdef0"),
                              "Move to a fixed-performance type", "")])])

    return Step("credits", "Credits", "why", step)


def test_every_format_keeps_the_primary_fix_apart_from_marked_alternatives(tmp_path) -> None:
    from playbooks.exporters import copy_text, fix_choices

    t, _ = _run(tmp_path, [_credits_step()])
    finding = t.findings[0]
    primary, alternative = fix_choices(finding)
    assert primary.primary and not primary.careful
    assert alternative.careful and "stops the instance" in alternative.disrupts, "found from the commands"
    copied = copy_text(finding, primary)
    assert copied.splitlines()[0] == "# fixes EC2_CPU_CREDITS_EXHAUSTED on i-0123456789abcdef0"
    assert "stop-instances" not in copied
    md = export(t, "markdown")
    assert md.index("**Fix (the least disruptive)**") < md.index("- Alternative 1: Move to a fixed-performance type")
    assert "CAUTION: stops the instance" in md
    text = export(t, "text")
    assert "Fix (the least disruptive):" in text and "Alternative 1: Move to a fixed-performance type — CAUTION" in text
    page = export(t, "html")
    assert 'class="fix primary"' in page and 'class="fix alternative careful"' in page
    data = json.loads(export(t, "json"))
    fixes = data["findings"][0]["fixes"]
    assert [f["number"] for f in fixes] == [0, 1] and fixes[0]["primary"] and fixes[1]["disrupts"]
    assert data["findings"][0]["remediation"] == fixes[0]["commands"]


def test_repeated_calls_are_counted() -> None:
    from playbooks.exporters import call_lines

    calls = [{"service": "ec2", "operation": "DescribeRouteTables", "duration_ms": 10.0, "retries": 0, "error": None}
             for _ in range(9)] + [{"service": "ec2", "operation": "DescribeVpcs", "duration_ms": 4.0, "error": None}]
    assert call_lines(calls) == ["ec2:DescribeRouteTables x9 90 ms in all (ok)", "ec2:DescribeVpcs 4 ms (ok)"]


def test_command_risk_names_what_a_command_stops_replaces_or_loosens() -> None:
    from playbooks.exporters import command_risk

    assert command_risk(["aws ec2 authorize-security-group-ingress --group-id sg-1 --cidr 203.0.113.10/32"]) == ""
    assert "every address" in command_risk(["aws ec2 authorize-security-group-ingress --cidr 0.0.0.0/0"])
    assert command_risk(["aws ec2 create-route --destination-cidr-block 0.0.0.0/0 --gateway-id igw-1"]) == ""
    assert command_risk(["aws kms put-key-policy --policy '{\"Action\": \"kms:Decrypt\", \"Resource\": \"*\"}'"]) == ""
    assert "replaces" in command_risk(["aws ec2 replace-network-acl-association --association-id a"])
    assert "deletes" in command_risk(["aws lambda delete-function-concurrency --function-name f"])
    assert "every action" in command_risk(['aws iam put-user-policy --policy-document \'{"Action": "*"}\''])
    assert "every principal" in command_risk(['aws s3api put-bucket-policy --policy \'{"Principal": {"AWS": "*"}}\''])
    assert command_risk(["# stop-instances is mentioned in a comment only"]) == ""


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(("summary", "title"), [
    ("py-crash crashed in 4 of 4 requests read, not for lack of memory: 4x Runtime.ExitError. Last: exit 1.",
     "py-crash crashed in 4 of 4 requests read, not for lack of memory"),
    ("healthy-fn was throttled 50 times (up to 50 a minute; peak concurrency 12 of the account's 1,000) in "
     "the window. Raise it.", "healthy-fn was throttled 50 times"),
    (f"{KEY} does not let arn:aws:iam::123456789012:role/exporter decrypt with it. Add a statement.",
     f"{KEY} does not let arn:aws:iam::123456789012:role/exporter decrypt with it"),
    ("The bucket denies it. More words.", "The bucket denies it"),
])
def test_a_finding_title_ends_at_a_clause_never_mid_word_or_mid_arn(summary: str, title: str) -> None:
    from playbooks.exporters import finding_title

    assert finding_title({"code": "SOME_NEW_CODE", "summary": summary}) == title


def test_text_and_markdown_never_cut_a_summary_or_an_arn() -> None:
    summary = (f"{KEY} does not let arn:aws:iam::123456789012:role/exporter use kms:Decrypt, so every read of the "
               "encrypted objects fails: the key policy names no such principal.")
    finding = Finding("KMS_KEY_POLICY_DENIES", "error", KEY, summary)
    playbook = Playbook(name="t", title="T", purpose="p", params=(), steps=(
        Step("k", "Key?", "why", lambda c: StepOutcome("problem", "denied", [finding])),))
    t = run_playbook(playbook, {}, sandbox_session("http://127.0.0.1:9"))
    for fmt in ("text", "markdown"):
        out = export(t, fmt)
        assert "…" not in out and summary in out
        assert out.count(KEY) >= 2  # in the title and as the component at fault, whole


def test_only_the_statement_a_fix_adds_is_judged_and_a_principal_condition_limits_a_star() -> None:
    """A VPC endpoint policy fix must say "Principal": "*" and limit it with aws:PrincipalArn (the form AWS
    requires for endpoint policies); the document it rewrites may hold the default full-access statement,
    which the fix does not add. Neither is CAUTION. The same star without a condition on the caller is."""
    import json

    scoped = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*",
              "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/alice"}}}
    default = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [default, scoped]})
    command = f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0abc12345678def01 --policy-document '{document}'"

    def primary(statement):
        finding = {"remediation": [command], "evidence": {"fix": {"statement": statement}}}
        return fix_choices(finding)[0]

    assert not primary(scoped).careful
    assert primary({**scoped, "Condition": {}}).disrupts == "allows every principal"
    assert primary({**scoped, "Action": "*"}).disrupts == "allows every action"
    # Without the added statement (a finding from an older journal), the whole command is judged as before.
    assert "every action or every principal" in fix_choices({"remediation": [command]})[0].disrupts
