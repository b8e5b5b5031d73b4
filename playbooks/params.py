"""Validators for playbook parameters: text in, value out, or ValueError with one plain sentence.

They are shared by the CLI (``--param``) and the TUI form (validated as you type)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from diagnostics.awslambda.names import FUNCTION_FORMS, parse_function

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# arn:PARTITION:ec2:REGION:ACCOUNT:instance/ID, the form the console's "Copy ARN" and IAM policies use.
EC2_INSTANCE_ARN = re.compile(r"^arn:[^:]+:ec2:([^:]*):(\d{12})?:instance/(i-[0-9a-fA-F]+)$")
ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "6": "tcp", "17": "udp", "1": "icmp"}


class Located(str):
    """A value that came from an ARN, and still knows the region and account the ARN named.

    Validators normalise what people paste (an ARN becomes the ID the APIs take) and keep where it
    lives here, so the run can be pointed at that region and never read another account silently
    (:func:`placement`). It is a ``str``: everything else uses it as the plain value."""

    region: str
    account: str

    def __new__(cls, value: str, region: str = "", account: str = "") -> Located:
        made = super().__new__(cls, value)
        made.region, made.account = region, account
        return made


def arn_location(value: str) -> tuple[str, str] | None:
    """(region, account) of an ARN, either possibly empty (IAM and S3 ARNs have no region); None for
    a value that is not an ARN."""
    if not ARN.match(value.strip()):
        return None
    parts = value.strip().split(":")
    return parts[3], parts[4]


def instance_id(text: str) -> str:
    """An instance ID in any case (EC2 IDs are lowercase; a pasted ID may not be), or its ARN."""
    value = text.strip()
    if match := EC2_INSTANCE_ARN.match(value):
        region, account, found = match.group(1), match.group(2) or "", match.group(3).lower()
        if INSTANCE_ID.match(found):
            return Located(found, region, account)
    if not INSTANCE_ID.match(value.lower()):
        raise ValueError(f"'{text}' is not an EC2 instance ID: give the ID (i- followed by 8 or 17 hex digits, "
                         "i-0abc12345678def01) or its ARN (arn:aws:ec2:us-east-1:123456789012:instance/i-...)")
    return value.lower()


def cidr(text: str) -> str:
    """An IP address or CIDR block; a bare address becomes a /32 (or /128)."""
    value = text.strip()
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"'{text}' is not an IP address or CIDR block (for example 203.0.113.10/32)") from None


def port(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a port number") from None
    if not 1 <= value <= 65535:
        # Port 0 is reserved: no TCP or UDP connection can be made to it.
        raise ValueError(f"port {value} is outside 1-65535")
    return value


def protocol(text: str) -> str:
    value = PROTOCOLS.get(text.strip().lower())
    if value is None:
        raise ValueError(f"'{text}' is not a protocol awstriage checks (tcp, udp or icmp)")
    return value


def arn(text: str) -> str:
    value = text.strip()
    if not ARN.match(value):
        raise ValueError(f"'{text}' is not an ARN (expected arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE)")
    return value


def principal_arn(text: str) -> str:
    value = arn(text)
    if not re.match(r"^arn:[^:]+:(iam|sts)::\d{12}:(user|role|assumed-role|root|federated-user)", value):
        raise ValueError(f"'{text}' is not a user, role or assumed-role ARN")
    return value


def iam_action(text: str) -> str:
    value = text.strip()
    if not ACTION.match(value):
        raise ValueError(f"'{text}' is not an IAM action (expected service:Action, for example s3:GetObject)")
    return value


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"'{text}' is not KEY=VALUE")
    return key.strip(), value


def function_name(text: str) -> str:
    """A Lambda function in any form Lambda's FunctionName takes, as NAME or NAME:QUALIFIER (which Lambda
    also takes, and which names the log group /aws/lambda/NAME). ``$LATEST`` is the unqualified function,
    so it is dropped; the region and account of an ARN are kept (:class:`Located`)."""
    ref = parse_function(text)
    if ref is None:
        raise ValueError(f"'{text}' is not a Lambda function: give {FUNCTION_FORMS}")
    return Located(ref.function_name, ref.region, ref.account) if ref.account else ref.function_name


def positive_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None
    if value <= 0:
        raise ValueError(f"{value} must be greater than zero")
    return value


def text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("this value cannot be empty")
    return value


NETWORK_SOURCE_ID = re.compile(r"^(i|eni|eice)-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def network_source(text: str) -> str:
    """Where a connection comes from: an IP address or CIDR, an instance ID, a network interface ID or an
    EC2 Instance Connect Endpoint ID."""
    value = text.strip()
    if NETWORK_SOURCE_ID.match(value.lower()):
        return value.lower()  # IDs are lower case; a pasted one may not be
    if EC2_INSTANCE_ARN.match(value):
        return instance_id(value)
    try:
        return cidr(value)
    except ValueError:
        raise ValueError(f"'{text}' is not an IP address or CIDR block, nor an instance ID (i-...), network "
                         "interface ID (eni-...) or Instance Connect Endpoint ID (eice-...)") from None


@dataclass(frozen=True)
class Placement:
    """Where the inputs say the resource lives: the region of their ARNs (and the account of the
    resource a playbook reads in place), with the parameter that said so."""

    region: str = ""
    region_param: str = ""
    account: str = ""
    account_param: str = ""


def placement(inputs: dict[str, object]) -> Placement:
    """The one region (and account) the validated inputs point at.

    Every ARN-valued input counts for the region; only a :class:`Located` value (the resource the
    playbook reads in place: an instance, a function, a table) counts for the account, since a
    principal or a resource policy may rightly sit in another account. Two regions are a ValueError.
    """
    regions: dict[str, str] = {}
    account, account_param = "", ""
    for name, given in inputs.items():
        for value in given if isinstance(given, list | tuple) else [given]:
            if isinstance(value, Located):
                region, owner = value.region, value.account
            elif isinstance(value, str) and (found := arn_location(value)):
                region, owner = found[0], ""
            else:
                continue
            if region:
                regions.setdefault(region, name)
            if owner and not account:
                account, account_param = owner, name
    if len(regions) > 1:
        named = ", ".join(f"{param} in {region}" for region, param in regions.items())
        raise ValueError(f"the ARNs given are in different regions ({named}): run once for each region")
    region, param = next(iter(regions.items()), ("", ""))
    return Placement(region, param, account, account_param)
