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
from diagnostics.iam.denial_message import ParsedDenial, parse_decoded_authorization, parse_denial
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


def _read_message(text: str, decode: Callable[[str], str] | None,
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
        decoded = parse_decoded_authorization(decode(denial.encoded))
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
               decode: Callable[[str], str] | None = None) -> Ask:
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
    if not principal:
        if not caller_arn:
            raise ValueError("no principal was given and the caller's identity is unknown")
        principal = caller_arn
        notes.append("No principal was given" + (" and the message names none" if denial else "")
                     + ": judging the caller's own access.")
    context = dict(denial.context) if denial else {}
    context.update(context_of(inputs.get("context")))
    return Ask(principal, chosen["action"], chosen["resource"], context, denial, tuple(notes), tuple(warnings))
