"""Steps every playbook shares."""

from __future__ import annotations

from playbooks.model import Context, Step, StepOutcome


def _identity(ctx: Context) -> StepOutcome:
    answer = ctx.memo("sts:identity", lambda: ctx.client("sts").get_caller_identity())
    session = ctx.session
    ctx.identity = {
        "account": answer.get("Account", ""),
        "arn": answer.get("Arn", ""),
        "region": session.region,
        "source": session.credential_source,
    }
    profile = f", profile {session.profile}" if session.profile else ""
    return StepOutcome(
        "ok",
        f"Signed in as {ctx.identity['arn']} in account {ctx.identity['account']}, region {session.region}"
        f"{profile}; credentials from {session.credential_source}.",
    )


IDENTITY_STEP = Step(
    id="identity",
    title="Who am I?",
    why=(
        "Half of all confusing answers come from looking at the wrong account or region. This step "
        "asks STS who the credentials belong to, so every later answer is about the account you meant."
    ),
    good="The account, role and region are the ones the incident is about.",
    run=_identity,
)
