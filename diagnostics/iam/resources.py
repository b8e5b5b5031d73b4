"""Resource and NotResource matching, and the few ARN facts the evaluator needs.

ARNs are matched case-sensitively, all of them: "arn:aws:s3:::Logs" is not "arn:aws:s3:::logs",
and the service segment is compared as written too ("arn:aws:S3:::logs" names nothing; only the
*action's* service prefix is case-insensitive). Wildcards stay inside their colon-separated
segment unless the * is the segment's last character, which AWS lets run across later colons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from diagnostics.iam.variables import Part, Template, parse_template, parts_regex, resolve


def resource_pattern_matches(template: Template, resource: str,
                             lookup: Callable[[str], str | list[str] | None]) -> bool | str:
    """True/False, or the context key a policy variable needed but the request lacked."""
    parts = resolve(template, lookup)
    if isinstance(parts, str):
        return parts
    if len(parts) == 1 and not parts[0].literal:
        text = parts[0].text
        if text == "*":
            return True
        if "*" not in text and "?" not in text:
            return text == resource
    return parts_regex(parts, "resource").fullmatch(resource) is not None


def compile_resources(values: list[str], variables: bool) -> tuple[Template, ...]:
    return tuple(parse_template(v, variables) for v in values)


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """The part before the first / or : of the resource ("role", "key", "user"...)."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return self.resource


def parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def account_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.account or None if parsed else None


def is_kms_key(resource: str) -> bool:
    arn = parse_arn(resource)
    return arn is not None and arn.service == "kms" and arn.resource_type in ("key", "alias")


def is_iam_role(resource: str) -> bool:
    arn = parse_arn(resource)
    return arn is not None and arn.service == "iam" and arn.resource_type == "role"


def access_point(resource: str) -> tuple[str, str, str, str | None] | None:
    """(region, account, name, object key or None) of an S3 access point ARN
    (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY]); None for anything else (a bucket ARN has
    neither region nor account). An access point is not a bucket: its policy is the access point's."""
    arn = parse_arn(resource)
    if arn is None or arn.service != "s3" or not arn.resource.startswith("accesspoint/"):
        return None
    name, _, rest = arn.resource.removeprefix("accesspoint/").partition("/")
    key = rest.removeprefix("object/") if rest.startswith("object/") else None
    return arn.region, arn.account, name, key


def s3_object_of_bucket(pattern: str, resource: str) -> bool:
    """Whether ``pattern`` is a bucket ARN and ``resource`` an object in it (the missing "/*")."""
    return (pattern.startswith("arn:") and ":s3:::" in pattern and "/" not in pattern
            and resource.startswith(pattern + "/"))


__all__ = ["Arn", "Part", "access_point", "account_of", "compile_resources", "is_iam_role", "is_kms_key", "parse_arn",
           "resource_pattern_matches", "s3_object_of_bucket"]
