"""The request to judge: the parameters a person gave merged with what the pasted denial says.

Explicit parameters always win; the message fills in only what is missing; a message that cannot be
read is a warning (kept in ``Ask.warnings``), never the end of the run. EC2's encoded messages are
decoded through a callable the caller supplies (sts:DecodeAuthorizationMessage), so this module
stays pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from diagnostics.errors import explain_error
from diagnostics.iam import catalog
from diagnostics.iam.denial_message import ParsedDenial, parse_decoded_authorization, parse_denial
from diagnostics.iam.federated import FEDERATED, FEDERATED_ACTIONS, is_federated
from diagnostics.iam.model import ContextValue


@dataclass(frozen=True)
class Ask:
    """The request to judge, after the parameters and the pasted error message are merged.

    ``warnings``: what could not be read from the message (it never ends the run: the parameters
    and the rest of the message still make the request).
    """

    principal: str
    action: str | None
    resource: str | None
    context: dict[str, ContextValue] = field(default_factory=dict)
    denial: ParsedDenial | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        return [name for name in ("action", "resource") if not getattr(self, name)]

    @property
    def anonymous(self) -> bool:
        """AWS named the caller "anonymous" and no principal was given: an unsigned request."""
        return self.principal == ANONYMOUS


ANONYMOUS = "anonymous"
_IAM_KINDS = {"role": "role", "user": "user", "group": "group", "policy": "policy",
              "instance-profile": "instance-profile"}


def arn_for_name(name: str, action: str | None, account: str | None, region: str | None) -> tuple[str, str] | None:
    """(ARN, what was assumed) for a resource AWS named without an ARN: IAM's "role app-role" (in the
    caller's account, at path /; the playbook reads the real path), or a bare Secrets Manager name
    (a partial ARN: the real one ends in -XXXXXX). None when nothing can be built."""
    if not account:
        return None
    kind, _, rest = name.partition(" ")
    if kind in _IAM_KINDS and rest:
        return (f"arn:aws:iam::{account}:{_IAM_KINDS[kind]}/{rest}",
                f"AWS names the resource '{name}' (IAM's way, without an ARN): taken as "
                f"arn:aws:iam::{account}:{_IAM_KINDS[kind]}/{rest} in account {account}")
    service = (action or "").split(":", 1)[0].lower()
    if service == "secretsmanager" and region:
        arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{name}"
        return (arn, f"AWS names the secret '{name}' without an ARN: taken as {arn} in account {account}, "
                     f"region {region} (a partial ARN: the full one ends in a 6-character suffix)")
    return None


def context_of(pairs: Any) -> dict[str, ContextValue]:
    """KEY=VALUE pairs; a key given twice becomes a list of values."""
    out: dict[str, ContextValue] = {}
    for key, value in pairs or ():
        if key in out:
            current = out[key]
            out[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[key] = value
    return out


def _read_message(text: str, decode: Callable[[str], str | None] | None,
                  notes: list[str], warnings: list[str]) -> ParsedDenial | None:
    """The pasted message read as far as it goes; what cannot be read becomes a warning."""
    if text.lstrip().startswith("{") and '"context"' in text:
        try:
            return parse_decoded_authorization(text)
        except ValueError as exc:
            warnings.append(f"Could not read the decoded authorization message: {exc}.")
            return None
    try:
        denial = parse_denial(text)
    except ValueError as exc:
        warnings.append(f"Could not read the error message: {exc}.")
        return None
    notes.extend(denial.notes)
    if denial.encoded is None or denial.names_request:
        return denial
    if decode is None:
        warnings.append("The error holds an encoded authorization message that could not be decoded here.")
        return denial
    try:
        raw = decode(denial.encoded)
        if raw is None:
            # The caller recorded why as a missing fact. The decode only cross-checks: what was given
            # (the parameters, the rest of the message) is still judged.
            warnings.append("Could not decode the encoded authorization message (sts:DecodeAuthorizationMessage, "
                            "named under what could not be read): the request is judged from what was given, which "
                            "the decoded message would only have cross-checked.")
            return denial
        decoded = parse_decoded_authorization(raw)
    except ClientError as exc:
        warnings.append("Could not decode the encoded authorization message: "
                        + explain_error(exc, service="sts", operation="DecodeAuthorizationMessage") + ".")
        return denial
    except ValueError as exc:
        warnings.append(f"Could not read the decoded authorization message: {exc}.")
        return denial
    notes.append("Decoded EC2's encoded authorization message with sts:DecodeAuthorizationMessage.")
    return replace(decoded, error_code=denial.error_code, operation=denial.operation,
                   authorization_id=denial.authorization_id)


def understand(inputs: dict[str, Any], caller_arn: str | None,
               decode: Callable[[str], str | None] | None = None, region: str | None = None) -> Ask:
    """Merge the parameters with what the pasted error says; explicit parameters win, the message
    fills in only what is missing, and a message that cannot be read is a warning.

    Raises ValueError with one sentence only when no principal can be named at all.
    """
    notes: list[str] = []
    warnings: list[str] = []
    text = inputs.get("error")
    denial = _read_message(str(text), decode, notes, warnings) if text else None
    given = {name: inputs.get(name) for name in ("principal", "action", "resource")}
    from_error = {"principal": denial.principal if denial else None, "action": denial.action if denial else None,
                  "resource": denial.resource if denial else None}
    chosen: dict[str, str | None] = {}
    for name in ("principal", "action", "resource"):
        mine, theirs = given[name], from_error[name]
        if mine and theirs and str(mine) != theirs:
            notes.append(f"The error names the {name} {theirs}, but --param {name} gives {mine}: the parameter "
                         "wins.")
        chosen[name] = str(mine) if mine else theirs
    principal = chosen["principal"]
    if not principal and denial is not None and denial.anonymous:
        principal = ANONYMOUS  # an unsigned request: never the caller running awstriage
    if not principal and is_federated(chosen["action"]):
        # Not signed with AWS credentials: the caller is the token, never the person running awstriage.
        principal = FEDERATED
        notes.append(f"{chosen['action']} is called with a {FEDERATED_ACTIONS[str(chosen['action']).lower()]}, not "
                     "with AWS credentials: no IAM caller's policies take part; the role's trust policy decides.")
    if not principal and denial is not None and denial.unclean_principal:
        # AWS named a caller, but not one that reads as a principal (a paste cut inside its ARN): judging
        # the person running awstriage in its place would answer about someone else.
        raise ValueError(f"AWS's message names the caller '{denial.unclean_principal}', which is not a whole "
                         "principal ARN (was the paste cut or wrapped inside it?), so awstriage will not guess who "
                         "was denied; paste the whole message again, or name the caller with --param "
                         "principal=arn:aws:iam::ACCOUNT:user/NAME (or role/NAME, assumed-role/ROLE/SESSION)")
    if not principal:
        if not caller_arn:
            raise ValueError("no principal was given and the caller's identity is unknown")
        principal = caller_arn
        notes.append("No principal was given" + (" and the message names none" if denial else "")
                     + ": judging the caller's own access.")
    chosen["resource"] = chosen["resource"] or _resource_from(denial, chosen["action"], principal, caller_arn,
                                                              region, notes, warnings)
    action = chosen["action"]
    if action and not chosen["resource"] and (catalog.is_ungated(action) or catalog.acts_on_no_resource(action)):
        chosen["resource"] = "*"
        notes.append(f"{action} acts on no resource type (Service Authorization Reference), so IAM authorizes it "
                     "on \"*\".")
    context = dict(denial.context) if denial else {}
    context.update(context_of(inputs.get("context")))
    return Ask(principal, chosen["action"], chosen["resource"], context, denial, tuple(notes), tuple(warnings))


def other_partition(ask: Ask, caller_arn: str | None) -> str:
    """One sentence when the request's principal or resource is in another AWS partition than the
    credentials (aws-cn, aws-us-gov): IAM there is a separate world, so nothing read with these
    credentials can explain it; "" otherwise."""
    mine = (caller_arn or "").split(":")
    if len(mine) < 2 or mine[0] != "arn":
        return ""
    for what, arn in (("principal", ask.principal), ("resource", ask.resource)):
        parts = str(arn or "").split(":")
        if len(parts) > 2 and parts[0] == "arn" and parts[1] and parts[1] != mine[1]:
            return (f"The {what} {arn} is in the AWS partition {parts[1]}, but these credentials are for the "
                    f"partition {mine[1]}: IAM users, roles and resources of one partition are separate from "
                    f"another's, so awstriage would read the wrong ones. Run again with credentials for {parts[1]} "
                    "(--profile).")
    return ""


def _account(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _resource_from(denial: ParsedDenial | None, action: str | None, principal: str, caller_arn: str | None,
                   region: str | None, notes: list[str], warnings: list[str]) -> str | None:
    """The resource ARN from a message that names it without one (or with its account masked)."""
    if denial is None:
        return None
    account = _account(principal) or _account(caller_arn)
    if denial.masked_resource:
        return None  # a masked account is never taken for an account ID: the person names the resource
    if denial.resource_name:
        built = arn_for_name(denial.resource_name, action, account, region)
        if built is None:
            warnings.append(f"AWS names the resource '{denial.resource_name}', which is not an ARN and could not be "
                            "turned into one.")
            return None
        notes.append(built[1] + ".")
        return built[0]
    return None
