"""The forms a Lambda function is named in, as Lambda's ``FunctionName`` takes them.

Source: Lambda API reference, GetFunctionConfiguration, "FunctionName": ``my-function``,
``my-function:v1`` (an alias or version), ``123456789012:function:my-function`` (a partial ARN) and
``arn:aws:lambda:us-west-2:123456789012:function:my-function[:v1]``. Names are 1-64 letters, digits,
'-' and '_'; a qualifier is ``$LATEST``, a version number or an alias name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAMBDA_FUNCTION = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d):"
    r"(?P<arn_account>\d{12}):function:|(?P<account>\d{12}):function:)?"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?$")
FUNCTION_FORMS = ("its name (my-function), name:alias or name:version (my-function:prod), a partial ARN "
                  "(123456789012:function:my-function) or its ARN "
                  "(arn:aws:lambda:us-east-1:123456789012:function:my-function)")


@dataclass(frozen=True)
class FunctionRef:
    """A function as given: ``name`` and ``qualifier`` ("" for the unqualified function, which is what
    ``$LATEST`` names too), and the region and account an ARN carried ("" when not given)."""

    name: str
    qualifier: str = ""
    region: str = ""
    account: str = ""

    @property
    def function_name(self) -> str:
        """NAME or NAME:QUALIFIER, as Lambda's FunctionName takes it in the function's own region and
        account (and as the log group /aws/lambda/NAME is named)."""
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name


def parse_function(text: str) -> FunctionRef | None:
    """``text`` in any of the forms above, or None when it is not a function in any of them."""
    match = LAMBDA_FUNCTION.match(text.strip())
    if match is None:
        return None
    qualifier = match.group("qualifier") or ""
    return FunctionRef(match.group("name"), "" if qualifier == "$LATEST" else qualifier,
                       match.group("region") or "", match.group("arn_account") or match.group("account") or "")


def function_name_of(value: str) -> str:
    """The function's name from any form above (with or without a qualifier); ``value`` itself when it is
    none of them."""
    ref = parse_function(value)
    return ref.name if ref else value


# Lambda names a function's log streams "YYYY/MM/DD/[VERSION]<environment id>", the version the
# execution environment runs ($LATEST or a number; an alias's invocations run its version):
# https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html
STREAM_VERSION = re.compile(r"^\d{4}/\d{2}/\d{2}/\[([^\]]+)\]")


def stream_version(stream: str) -> str | None:
    """The version a Lambda log stream's environment ran, or None for a stream not named that way."""
    found = STREAM_VERSION.match(stream)
    return found.group(1) if found else None


def ran_version(stream: str, version: str) -> bool:
    """Whether a log stream's lines are those of ``version`` (a stream not named after a version cannot
    be told apart, so it counts; an empty ``version`` takes every stream)."""
    found = stream_version(stream)
    return not version or found is None or found == version
