"""AWS denied a request that the policies read here allow: never "no problem found".

AWS's message is authoritative for the request as it was made, so when the local evaluation
allows it, the denial has a cause that was not read here. Two kinds:

* a known cause that no policy shows: S3 answers GetObject on a key that does not exist with 403
  AccessDenied instead of 404 NoSuchKey when the caller lacks s3:ListBucket on the bucket (Amazon S3
  API Reference, GetObject, "Permissions": "If you don't have the s3:ListBucket permission, Amazon S3
  returns an HTTP status code 403 Access Denied error"); HeadObject likewise;
* otherwise a conditional finding naming what was not read and where to look (the session policy,
  organization policies that could not be read, a policy changed since, context not given, and for
  the action at hand what else AWS weighs: a role's trust-policy conditions, an object's KMS key).

Pure: the playbook passes what it read (the object's state, the evaluation of s3:ListBucket).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import replace

from diagnostics.findings import Finding, Fix
from diagnostics.iam.aws_words import TYPE_WORDS
from diagnostics.iam.evaluate import evaluate
from diagnostics.iam.explain import fix_for
from diagnostics.iam.model import PolicySet, Request
from diagnostics.iam.resources import parse_arn

# The actions S3 answers with 403 for a missing key when the caller may not list the bucket.
OBJECT_READS = frozenset({"s3:getobject", "s3:getobjectversion"})


def s3_object(request: Request) -> tuple[str, str] | None:
    """(bucket, key) when ``request`` reads an S3 object; None otherwise."""
    if request.action.lower() not in OBJECT_READS:
        return None
    arn = parse_arn(request.resource)
    if arn is None or arn.service != "s3" or "/" not in arn.resource or arn.region:  # an access point: no bucket
        return None
    bucket, key = arn.resource.split("/", 1)
    return (bucket, key) if bucket and key and "*" not in key else None


def missing_key_finding(request: Request, bucket: str, key: str, bucket_arn: str,
                        list_fix: Fix | None) -> Finding:
    """The key is not in the bucket and the caller may not list it: S3's 403 means "no such key"."""
    summary = (f"s3://{bucket}/{key} does not exist, and {request.principal} may not s3:ListBucket on {bucket_arn}: "
               f"for a caller without s3:ListBucket, S3 answers {request.action.split(':', 1)[1]} on a missing key "
               "with 403 AccessDenied instead of 404 NoSuchKey. The policies allow the read itself; the key is "
               "what is wrong: check its name (case, prefix, URL encoding) and whether it was written yet.")
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    listing = f"aws s3api list-objects-v2 --bucket {shlex.quote(bucket)} --max-items 20"
    if prefix:
        listing += f" --prefix {shlex.quote(prefix)}"
    alternatives = [] if list_fix is None else [list_fix]
    return Finding("S3_KEY_NOT_FOUND_WITHOUT_LIST", "error", request.resource, summary,
                   {"bucket": bucket, "key": key, "object": "missing", "list_bucket": "denied",
                    "principal": request.principal, "action": request.action},
                   [f"# Check the key: list what the bucket holds{' under ' + prefix if prefix else ''} (with "
                    "credentials that may list it)", listing], alternatives=alternatives)


def _action_specific(request: Request, object_state: str | None, list_allowed: bool | None) -> list[str]:
    action = request.action.lower()
    out: list[str] = []
    if action.startswith("sts:assumerole"):
        out.append("a condition of the role's trust policy on context not given here (sts:ExternalId, "
                   "aws:MultiFactorAuthPresent, sts:SourceIdentity; session tags also need sts:TagSession in the "
                   "trust policy)")
    if action in OBJECT_READS:
        if object_state != "exists" and list_allowed is False:
            out.append("a key that does not exist: without s3:ListBucket on the bucket S3 answers a missing key "
                       "with 403, not 404" + (" (whether the key exists could not be read here)"
                                               if object_state == "unknown" else ""))
        out.append("the object's KMS key, if it is encrypted with SSE-KMS (the caller also needs kms:Decrypt on "
                   "that key), or the object's ACL where the bucket's object ownership still uses ACLs")
    return out


def unexplained_finding(request: Request, unseen: Mapping[str, str], *, allowed_by: str,
                        object_state: str | None = None, list_allowed: bool | None = None,
                        missing_keys: tuple[str, ...] = ()) -> Finding:
    """AWS denied it, the policies read allow it: a conditional finding that says what was not read."""
    places = [f"the {TYPE_WORDS.get(kind, kind)} ({why[:1].lower() + why[1:].rstrip('.')})"
              for kind, why in unseen.items()]
    places += _action_specific(request, object_state, list_allowed)
    if missing_keys:
        places.append("a condition on context not given here (" + ", ".join(missing_keys) + ")")
    places.append("a policy changed since the denial (CloudTrail's event history shows the change)")
    summary = (f"AWS denied {request.principal} {request.action} on {request.resource}, but the policies read here "
               f"allow it ({allowed_by}): what refused it was not read here. Look at: " + "; ".join(places) + ".")
    return Finding("IAM_DENIED_UNEXPLAINED", "error", request.resource, summary,
                   {"aws_decision": "denied", "awstriage_decision": "allowed", "not_read": dict(unseen),
                    "where_to_look": places},
                   ["# AWS's denial stands; find what was not read: " + "; ".join(places)],
                   certainty="conditional",
                   condition="if AWS's message is about this request as it was given here: the policies read "
                             "allow it, so the cause is something awstriage could not read")


def denied_yet_allowed(request: Request, policies: PolicySet, local: Finding, unseen: Mapping[str, str],
                       object_state: str | None, aws_decision: str = "implicitDeny") -> list[Finding]:
    """AWS denied what ``policies`` allow: S3's 403 for a missing key without s3:ListBucket, or what was
    not read. ``local``, the evaluation's own (allowed) finding, is kept as evidence of that one finding,
    never as a finding of its own: an "IAM_ALLOWED: the call is allowed" beside AWS's denial would tell a
    reader (or a script keying on the code) the opposite of AWS. ``object_state``: for an S3 object read,
    whether the key exists ("exists", "missing", "unknown"), else None."""
    return [_with_evaluation(f, local, aws_decision) for f in _denied_yet_allowed(request, policies, local, unseen,
                                                                                   object_state)]


def _with_evaluation(found: Finding, local: Finding, aws_decision: str) -> Finding:
    """``found``, carrying the decision (AWS's: denied) and the local evaluation that allowed it."""
    evaluation = {k: v for k, v in local.evidence.items() if k != "decision"}
    return replace(found, evidence={**found.evidence, "decision": aws_decision, "awstriage_decision": "allowed",
                                    "awstriage_evaluation": evaluation})


def _denied_yet_allowed(request: Request, policies: PolicySet, local: Finding, unseen: Mapping[str, str],
                        object_state: str | None) -> list[Finding]:
    target = s3_object(request)
    list_allowed = None
    if target is not None:
        bucket, key = target
        arn = parse_arn(request.resource)
        bucket_arn = f"arn:{arn.partition if arn else 'aws'}:s3:::{bucket}"
        listing = replace(request, action="s3:ListBucket", resource=bucket_arn)
        listed = evaluate(listing, policies)
        list_allowed = listed.decision == "allowed"
        if object_state == "missing" and not list_allowed:
            grant = fix_for(listing, policies, listed)
            option = Fix(tuple(grant.commands), grant.summary, f"lets {request.principal} list every key in {bucket} "
                         "(then a missing key answers 404)") if grant and grant.commands else None
            return [missing_key_finding(request, bucket, key, bucket_arn, option)]
    st = local.evidence.get("statement") or {}
    by = f"statement {st.get('index')} of {st.get('policy')}" if st else "the policies read"
    evaluation = evaluate(request, policies)
    return [unexplained_finding(request, unseen, allowed_by=by, object_state=object_state, list_allowed=list_allowed,
                                missing_keys=tuple(evaluation.missing_context_keys))]
