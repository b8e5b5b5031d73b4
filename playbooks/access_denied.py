"""AccessDenied: which policy and statement decide, and the smallest fix. (Evaluator being wired in.)"""

from __future__ import annotations

from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Param, Playbook

PARAMS = (
    Param("principal", "the user, role or assumed-role ARN that was denied (default: you)", v.principal_arn,
          picker="iam-principal"),
    Param("action", "the API action that was denied, as service:Action", v.iam_action,
          example="s3:GetObject"),
    Param("resource", "the ARN of the resource the action was on", v.arn),
    Param("context", "a request context key, KEY=VALUE (repeatable)", v.key_value, repeatable=True),
    Param("error", "the AccessDenied message as AWS printed it; fills in the rest", v.text),
)

PLAYBOOK = Playbook(
    name="access-denied",
    title="AccessDenied",
    purpose="Evaluates every policy that applies to a request, names the policy and statement that "
            "decide, and gives the smallest change that fixes it.",
    params=PARAMS,
    steps=(IDENTITY_STEP,),
    default_scenario="iam-boundary-hides-allow",
)
