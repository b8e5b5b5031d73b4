"""`awstriage iam simulate`: the offline what-if. Policies from files, no AWS call at all.

Exit status: 0 allowed, 1 denied (explicitly or implicitly), 2 bad input (a missing or unreadable
file, invalid JSON, a policy AWS would refuse, a malformed --context).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from awstriage.cli import EXIT_OK, EXIT_PROBLEM, UsageError

SIMULATE_EPILOG = """\
Each FILE holds one policy document, or the JSON the AWS CLI prints for it (get-policy-version,
get-user-policy, get-role-policy, get-bucket-policy, get-key-policy, get-role for a trust policy).

examples:
  awstriage iam simulate --policy assets/policies/s3-read-logs-bucket-only.json \\
      --action s3:GetObject --resource arn:aws:s3:::logs/app.log
  awstriage iam simulate --policy admin.json --boundary boundary.json --scp scp.json \\
      --action iam:CreateUser --resource arn:aws:iam::123456789012:user/bob \\
      --principal arn:aws:iam::123456789012:user/alice --context aws:MultiFactorAuthPresent=true

exit status: 0 allowed, 1 denied, 2 bad input
"""


def add_parser(subparsers: Any) -> None:
    iam = subparsers.add_parser("iam", help="IAM tools that work offline (policy simulation)")
    iam_sub = iam.add_subparsers(dest="iam_command", parser_class=type(iam), metavar="TOOL", required=True)
    sim = iam_sub.add_parser(
        "simulate", help="decide a request from policy files, as AWS would, without calling AWS",
        description="Evaluate one request against policy files with AWS's evaluation logic and print the "
                    "decision, the deciding statements, near misses and the smallest fix. No AWS call.",
        epilog=SIMULATE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sim.add_argument("--policy", action="append", default=[], type=Path, metavar="FILE",
                     help="an identity-based policy of the principal (repeat for each)")
    sim.add_argument("--boundary", type=Path, metavar="FILE", help="the principal's permissions boundary")
    sim.add_argument("--resource-policy", type=Path, metavar="FILE",
                     help="the resource's policy (bucket policy, key policy, role trust policy...)")
    sim.add_argument("--scp", action="append", type=Path, metavar="FILE",
                     help="a service control policy (repeat for each; all are taken as one level)")
    sim.add_argument("--rcp", action="append", type=Path, metavar="FILE",
                     help="a resource control policy (repeat for each; all are taken as one level)")
    sim.add_argument("--session-policy", type=Path, metavar="FILE", help="the session policy of a role session")
    sim.add_argument("--action", required=True, help="the API action, e.g. s3:GetObject")
    sim.add_argument("--resource", required=True, help="the resource ARN (or *)")
    sim.add_argument("--principal", help="who asks (user, role or assumed-role ARN); default: a user in the "
                                         "resource's account")
    sim.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                     help="a request context key (repeat; a repeated key becomes a list of values)")
    sim.add_argument("--principal-tag", action="append", default=[], metavar="KEY=VALUE",
                     help="a tag of the principal, for ${aws:PrincipalTag/KEY}")
    sim.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "iam_command", None) != "simulate":
        raise UsageError("the iam command takes a tool: simulate")
    return simulate(args)


# ---------------------------------------------------------------------------------------------


def _unwrap(data: Any) -> Any:
    """A policy document out of the shapes the AWS CLI prints it in."""
    for _ in range(3):
        if not isinstance(data, dict) or "Statement" in data:
            break
        for key in ("PolicyVersion", "Role", "Document", "PolicyDocument", "AssumeRolePolicyDocument", "Policy"):
            if key in data:
                data = data[key]
                if isinstance(data, str):
                    try:
                        data = json.loads(data)
                    except json.JSONDecodeError:
                        from urllib.parse import unquote

                        data = json.loads(unquote(data))
                break
        else:
            break
    return data


def load_policy(path: Path, name: str, type_: str, **extra: Any):  # -> Policy
    from diagnostics.iam import Policy, PolicyError, validate_policy

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no policy file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        document = _unwrap(json.loads(text))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    try:
        validate_policy(document, str(path))
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    return Policy(name, type_, document, **extra)  # type: ignore[arg-type]


def _pairs(values: list[str], flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} takes KEY=VALUE, got '{pair}'")
        key = key.strip()
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def _default_principal(resource: str) -> str:
    from diagnostics.iam.resources import parse_arn

    arn = parse_arn(resource)
    account = arn.account if arn and arn.account.isdigit() else "123456789012"
    partition = arn.partition if arn else "aws"
    return f"arn:{partition}:iam::{account}:user/simulated-user"


def simulate(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from diagnostics.iam import PolicySet, Request, evaluate
    from diagnostics.iam.context_defaults import assumed_context
    from diagnostics.iam.explain import fix_for, near_misses
    from diagnostics.iam.principals import identify

    if ":" not in args.action:
        raise UsageError(f"--action takes service:Action, got '{args.action}'")
    from diagnostics.iam import catalog

    if catalog.known_action(args.action) is False:
        near = catalog.closest_action(args.action)
        raise UsageError(f"--action {args.action} is not an IAM action"
                         + (f": did you mean {near}?" if near else " (the Service Authorization Reference has none "
                            "by that name)"))
    if args.resource != "*" and not args.resource.startswith("arn:"):
        raise UsageError(f"--resource '{args.resource}' is not an ARN (arn:partition:service:...) or *")
    wrong = catalog.wildcard_request(args.action) or catalog.type_mismatch(args.action, args.resource)
    if wrong:  # never "allowed" for a request AWS would never see: it is the request to correct
        raise UsageError(f"--action/--resource: {wrong}")
    principal = args.principal or _default_principal(args.resource)
    if identify(principal).kind == "other" and not principal.startswith("arn:"):
        raise UsageError(f"--principal '{principal}' is not an ARN or a service principal")
    policies = PolicySet(
        identity=tuple(load_policy(p, str(p), "identity") for p in args.policy),
        boundary=load_policy(args.boundary, str(args.boundary), "boundary") if args.boundary else None,
        session=load_policy(args.session_policy, str(args.session_policy), "session")
        if args.session_policy else None,
        resource=load_policy(args.resource_policy, str(args.resource_policy), "resource")
        if args.resource_policy else None,
        scps=tuple(load_policy(p, str(p), "scp", attached_to="organization") for p in args.scp)
        if args.scp else None,
        rcps=tuple(load_policy(p, str(p), "rcp", attached_to="organization") for p in args.rcp)
        if args.rcp else None,
    )
    given = _pairs(args.context, "--context")
    assumed = assumed_context(given, resource=args.resource, region=None, now=datetime.now(UTC))
    request = Request(principal, args.action, args.resource, {**assumed, **given},
                      principal_tags=_pairs(args.principal_tag, "--principal-tag"))
    evaluation = evaluate(request, policies)
    misses = near_misses(request, policies, evaluation)
    fix = fix_for(request, policies, evaluation)
    report = _report(request, evaluation, misses, fix)
    report["assumed_context"] = assumed
    if fix is not None and fix.commands and evaluation.decision != "allowed":
        # Every proposed change applied to a copy of the policies, and the request evaluated again.
        from diagnostics.iam.verify import verify

        checked = verify(request, policies, fix.commands, [fix.statement])
        report["fix"]["verified"] = {"decision": checked.decision, "passes": checked.passes,
                                     "beyond": list(checked.beyond), "sentence": checked.sentence(request)}
    if fix is not None and not args.principal:
        # The request was judged for a stand-in user: a command for it would change nobody real.
        report["fix"]["commands"] = []
        report["fix"]["note"] = (f"No command: no --principal was given, so the request was judged for the stand-in "
                                 f"{principal}. Pass --principal to get the command for the real user or role.")
    text = json.dumps(report, indent=2) + "\n" if args.format == "json" else _text(report)
    sys.stdout.write(text)
    return EXIT_OK if evaluation.decision == "allowed" else EXIT_PROBLEM


def _report(request, evaluation, misses, fix) -> dict[str, Any]:
    def statement(m) -> dict[str, Any]:
        return {"policy": m.policy, "policy_type": m.policy_type, "index": m.index, "sid": m.sid,
                "effect": m.effect}

    return {
        "decision": evaluation.decision,
        "principal": request.principal,
        "action": request.action,
        "resource": request.resource,
        "context": dict(request.context),
        "deciding": [statement(m) for m in evaluation.deciding],
        "matched": [statement(m) for m in evaluation.matched],
        "per_type": dict(evaluation.per_type),
        "blocking_types": list(evaluation.blocking_types),
        "missing_context_keys": list(evaluation.missing_context_keys),
        "near_misses": [{"kind": m.kind, "policy": m.policy, "sid": m.sid, "index": m.index,
                         "summary": m.summary} for m in misses],
        "fix": None if fix is None else {"summary": fix.summary, "policy": fix.policy,
                                         "statement": fix.statement, "commands": list(fix.commands),
                                         # Commands that weaken a guard: an alternative, never the fix.
                                         "first": list(fix.first), "disrupts": fix.disrupts,
                                         "alternative": fix.alternative},
    }


_MEANING = {"allowed": "allowed", "explicitDeny": "denied by an explicit Deny statement",
            "implicitDeny": "denied: no policy that must allow it does"}


def _text(report: dict[str, Any]) -> str:
    from diagnostics.iam import catalog

    meaning = _MEANING[report["decision"]]
    if catalog.is_ungated(str(report["action"])):
        meaning = "no policy controls it, not even an explicit deny: IAM never gates this action"
    lines = [f"Decision: {report['decision']} ({meaning})",
             f"Request:  {report['principal']} -> {report['action']} on {report['resource']}"]
    if report["deciding"]:
        lines.append("Deciding statements:")
        for m in report["deciding"]:
            sid = f" ({m['sid']})" if m["sid"] else ""
            lines.append(f"  {m['effect']:<5} {m['policy_type']:<8} {m['policy']}  statement {m['index']}{sid}")
    if report["blocking_types"]:
        lines.append("No allow in: " + ", ".join(report["blocking_types"]))
    lines.append("Per policy type:")
    lines += [f"  {kind:<9} {result}" for kind, result in report["per_type"].items()]
    if report["missing_context_keys"]:
        lines.append("Context keys the request lacked: " + ", ".join(report["missing_context_keys"]))
    if report.get("assumed_context"):
        lines.append("Assumed, as AWS sends them on a direct call: "
                     + ", ".join(f"{k}={v}" for k, v in report["assumed_context"].items()))
    if report["near_misses"]:
        lines.append("Near misses:")
        lines += [f"  - {m['summary']}" for m in report["near_misses"]]
    fix = report["fix"]
    if fix:
        lines.append("Fix: " + fix["summary"])
        lines += [f"  $ {c}" for c in fix.get("first", [])]
        if fix.get("disrupts") and fix["commands"]:
            lines.append(f"Alternative (CAUTION: {fix['disrupts']}): {fix['alternative']}")
        if fix["statement"]:
            lines.append("  Statement: " + json.dumps(fix["statement"]))
        lines += [f"  $ {c}" for c in fix["commands"]]
        if fix.get("verified"):
            lines.append("  Checked: " + fix["verified"]["sentence"])
        if fix.get("note"):
            lines.append("  " + fix["note"])
        if fix["commands"]:
            lines.append("  (awstriage never runs these: review them, then run them yourself)")
    return "\n".join(lines) + "\n"
