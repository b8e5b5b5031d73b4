"""The request context AWS always sends, for keys a person did not give.

AWS sets some condition keys on every request (IAM User Guide, "AWS global condition context keys"):
aws:SecureTransport (true over HTTPS, which every SDK and the CLI use), aws:ViaAWSService (false
when the principal calls directly, true when a service calls on its behalf with the principal's
credentials), aws:CurrentTime and aws:EpochTime (the time of the request), aws:RequestedRegion
(the region the request is sent to). The principal's own keys (aws:PrincipalArn,
aws:PrincipalAccount, aws:PrincipalType, aws:username) are derived by the evaluator.

Treating these as missing makes a guard such as "deny unless from the office IP *and* not via an AWS
service" never match (aws:ViaAWSService "missing"), so a request it refuses comes out allowed. So the
evaluator gets them with their values for a direct call now, and the transcript lists what was
assumed; a key the user gives always wins. Keys that really may be absent (aws:MultiFactorAuthPresent
for long-term keys, aws:SourceVpce outside an endpoint) are not assumed.

aws:SourceIp is sent with every request except one through a VPC endpoint ("The aws:SourceIp
condition key is always included in the request, except for requests that use an Amazon VPC
endpoint": AWS re:Post, iam-restrict-access-policy; IAM User Guide, global condition keys,
aws:SourceIp). Its value, the caller's address, only the caller knows: it is never assumed, and
when not given it is "not given", never "absent" (a near miss on it is a caller outside the range
far more often than a request without the key).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from diagnostics.iam.model import ContextValue
from diagnostics.iam.resources import parse_arn


def assumed_context(given: Mapping[str, ContextValue], *, resource: str | None, region: str | None,
                    now: datetime) -> dict[str, str]:
    """The always-sent keys ``given`` lacks, with the value they take for a direct call at ``now``."""
    have = {key.lower() for key in given}
    arn = parse_arn(resource or "")
    requested = (arn.region if arn and arn.region else None) or region
    defaults = {
        "aws:ViaAWSService": "false",
        "aws:SecureTransport": "true",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
    }
    if requested:
        defaults["aws:RequestedRegion"] = requested
    return {key: value for key, value in defaults.items() if key.lower() not in have}


# Keys AWS sends on (nearly) every request whose value only the caller's side knows: what to call
# the value when it was not given.
SENT_UNKNOWN = {"aws:sourceip": "the caller's address"}


def not_given(key: str) -> str:
    """For a key AWS always sends whose value was not given: "the caller's address was not given
    (...)"; "" for a key that may really be absent."""
    what = SENT_UNKNOWN.get(key.lower())
    if what is None:
        return ""
    return (f"{what} was not given (AWS sends {key} with every request except through a VPC endpoint: pass "
            f"--param context={key}=VALUE)")


def unknown_value_condition(keys: list[str] | tuple[str, ...]) -> str:
    """The condition under which a decision that tested a key AWS always sends, whose value was not
    given, holds: "" when the decision tested no such key."""
    unknown = [k for k in keys if not_given(k)]
    if not unknown:
        return ""
    what = " and ".join(f"{SENT_UNKNOWN[k.lower()]} ({k})" for k in unknown)
    return (f"if {what}, which was not given, does not meet the conditions that test it: pass "
            + " ".join(f"--param context={k}=VALUE" for k in unknown) + " to decide")


def missing_key_words(keys: list[str] | tuple[str, ...]) -> str:
    """What the transcript says of the context keys the evaluation lacked: a key AWS always sends is
    "not given", never "lacked"; "" when none."""
    absent = [k for k in keys if not not_given(k)]
    words = [not_given(k)[:1].upper() + not_given(k)[1:] + "." for k in keys if not_given(k)]
    if absent:
        words.insert(0, "The request lacked the context keys " + ", ".join(absent) + " (pass them with --param "
                     "context=KEY=VALUE if the real request carried them).")
    return " ".join(words)


def assumed_words(assumed: Mapping[str, str]) -> str:
    """One sentence for the transcript, or "" when nothing was assumed."""
    if not assumed:
        return ""
    listed = ", ".join(f"{k}={v}" for k, v in assumed.items())
    return (f"Assumed, as AWS sends them on a direct call: {listed} (give another value with --param "
            "context=KEY=VALUE).")
