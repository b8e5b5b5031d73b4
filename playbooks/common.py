"""Steps every playbook shares."""

from __future__ import annotations

from playbooks.model import Context, Step, StepOutcome
from playbooks.params import Placement, placement


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
    try:
        where = placement(ctx.inputs)
    except ValueError:  # ARNs in two regions: the CLI and TUI refuse them before the run
        where = Placement()
    why = f" (the {where.region_param} ARN's)" if where.region == session.region else ""
    said = (f"Signed in as {ctx.identity['arn']} in account {ctx.identity['account']}, region {session.region}{why}"
            f"{profile}; credentials from {session.credential_source}.")
    if where.account and where.account != ctx.identity["account"]:  # the CLI and TUI stop before; a safety net
        return StepOutcome("error", f"{said} But the {where.account_param} ARN is in account {where.account}: what "
                           "follows is read in the credentials' account, not the resource's; use credentials for "
                           f"account {where.account}.")
    return StepOutcome("ok", said)


def make_clients(ctx: Context, *services: str) -> None:
    """Make, on reader threads, the clients of ``services`` while the identity step's call is in flight.

    Making a client reads its service's model (tens of milliseconds; more for a large service): made when
    the first read of a service needs it, that time sits between two round trips. STS's client is made
    first, here, so the identity step's call does not wait behind the others (a session makes one client
    at a time). A playbook's plan calls this with the services its first reads use; with one reader
    (the sequential baseline) nothing is made early."""
    if ctx.plan.readers <= 1:
        return
    ctx.client("sts")
    for service in services:
        ctx.prefetch(f"client:{service}", lambda service=service: ctx.client(service))


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
