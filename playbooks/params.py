"""Validators for playbook parameters: text in, value out, or ValueError with one plain sentence.

They are shared by the CLI (``--param``) and the TUI form (validated as you type)."""

from __future__ import annotations

import ipaddress
import re

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "6": "tcp", "17": "udp", "1": "icmp"}


def instance_id(text: str) -> str:
    value = text.strip()
    if not INSTANCE_ID.match(value):
        raise ValueError(f"'{text}' is not an EC2 instance ID (expected i- followed by 8 or 17 hex digits)")
    return value


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
    if not 0 <= value <= 65535:
        raise ValueError(f"port {value} is outside 0-65535")
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
    value = text.strip()
    if value.startswith("arn:"):
        return arn(value)
    if not FUNCTION_NAME.match(value):
        raise ValueError(f"'{text}' is not a Lambda function name or ARN")
    return value


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
    if NETWORK_SOURCE_ID.match(value):
        return value
    try:
        return cidr(value)
    except ValueError:
        raise ValueError(f"'{text}' is not an IP address or CIDR block, nor an instance ID (i-...), network "
                         "interface ID (eni-...) or Instance Connect Endpoint ID (eice-...)") from None
