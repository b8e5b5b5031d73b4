"""How a configuration change reaches the function a caller runs: $LATEST, an alias, or a version.

``update-function-configuration`` changes only the unpublished version, $LATEST. A published version
is immutable: "After you publish a function version, its code, runtime, architecture, memory, layers,
and most other configuration settings are immutable. This means that you can't change these settings
without publishing a new version from $LATEST"
(https://docs.aws.amazon.com/lambda/latest/dg/versioning-aliases-permissions.html). An alias is a
pointer to one version that can be moved (``update-alias``), so a fix for a function invoked through
an alias is: change $LATEST, publish it as a new version, point the alias at that version
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html). A caller that invokes a
version by its number has to be moved to the new version itself.

Reserved concurrency (``put-function-concurrency``) belongs to the function, not to a version, so it
needs none of this; provisioned concurrency is set per alias or version (``--qualifier``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """The function as the caller invokes it: ``qualifier`` as given ("" for the unqualified function,
    $LATEST), ``version`` the version it ran (an alias's version; "$LATEST" when unqualified)."""

    name: str
    qualifier: str = ""
    version: str = "$LATEST"
    # Whether $LATEST holds the code the version runs (CodeSha256 of both); None when not compared.
    same_code: bool | None = None
    # $LATEST's own settings (("memory_size", 1024), ("timeout", 30)), read beside a published version's: the
    # new version is published from $LATEST, so a size it already exceeds must not be set on it (that lowers it).
    latest: tuple[tuple[str, int], ...] = ()

    @property
    def alias(self) -> str:
        """The alias named, or "" (a version number or the unqualified function)."""
        return self.qualifier if self.qualifier and not self.qualifier.isdigit() else ""

    @property
    def published(self) -> bool:
        """Whether the caller runs a published (immutable) version, directly or through an alias."""
        return bool(self.qualifier) and self.version != "$LATEST"

    def label(self) -> str:
        """How a sentence names it: ``py-oom``, ``py-oom:prod (alias prod, version 1)``, ``py-oom version 1``."""
        if self.alias:
            return f"{self.name}:{self.alias} (alias {self.alias}, version {self.version})"
        if self.qualifier:
            return f"{self.name} version {self.qualifier}"
        return self.name


UNITS = {"memory_size": " MB", "timeout": " s"}


def configuration_change(target: Target, region: str, **settings: object) -> list[str]:
    """The commands, in the order to run them, that make ``settings`` (memory_size=192, timeout=30)
    reach what the caller runs. For $LATEST, one command; for an alias or a version, the change to
    $LATEST, the wait for it, the new version, and the move of the alias (or of the callers)."""
    def update_of(changes: dict[str, object]) -> str:
        flags = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in changes.items())
        return f"aws lambda update-function-configuration --function-name {target.name} {flags} --region {region}"

    if not target.published:
        return [update_of(settings)]
    change = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in settings.items())
    # A size or a time $LATEST already has (or exceeds) is published as it is: setting the smaller number the
    # version needs would lower $LATEST (and every version published from it after).
    latest = dict(target.latest)
    kept = {key: latest[key] for key, value in settings.items()
            if isinstance(value, int) and isinstance(latest.get(key), int) and latest[key] >= value}
    changes = {key: value for key, value in settings.items() if key not in kept}
    if kept:
        change = ", ".join(f"{key.replace('_', ' ')} {latest[key] if key in kept else value}"
                           for key, value in settings.items())
    publish = (f'VERSION=$(aws lambda publish-version --function-name {target.name} --description "{change}" '
               f"--query Version --output text --region {region})")
    who = target.alias or f"the callers of version {target.version}"
    if target.same_code is True:
        code = (f"# $LATEST holds the same code as version {target.version} (CodeSha256), so the new version "
                "differs only in this setting.")
    elif target.same_code is False:
        code = (f"# CAUTION: $LATEST's code differs from version {target.version}'s (CodeSha256): publishing it "
                f"ships $LATEST's code to {who} too. Put version {target.version}'s code on $LATEST first (aws "
                f"lambda get-function --function-name {target.name}:{target.version} --query Code.Location gives "
                "its package), or publish only once $LATEST's code is ready.")
    else:
        code = ("# publish-version also publishes $LATEST's code: make sure $LATEST holds the code "
                + (f"{target.alias} should run" if target.alias else f"version {target.version} runs")
                + " (compare CodeSha256).")
    steps = [
        f"# Version {target.version} is published, so its configuration cannot change (published versions are "
        "immutable): " + ("change $LATEST, publish it" if changes else "publish $LATEST")
        + " as a new version, then move "
        + (f"alias {target.alias} to it." if target.alias else f"{who} to it."),
        code,
    ]
    if kept:
        steps.append("# $LATEST already has " + ", ".join(
            f"{key.replace('_', ' ')} {latest[key]}{UNITS.get(key, '')}" for key in kept) + " (at least the "
            + ", ".join(f"{settings[key]}{UNITS.get(key, '')}" for key in kept)
            + " needed): it is published as it is, never lowered.")
    if changes:
        steps += [update_of(changes),
                  f"aws lambda wait function-updated --function-name {target.name} --region {region}"]
    steps.append(publish)
    if target.alias:
        steps.append(f'aws lambda update-alias --function-name {target.name} --name {target.alias} '
                     f'--function-version "$VERSION" --region {region}')
    else:
        steps += [f"# Callers that invoke {target.name}:{target.version} by number keep running it until they "
                  'name "$VERSION" instead (or an alias, which can be moved without touching them); event '
                  "source mappings are listed by:",
                  f"aws lambda list-event-source-mappings --function-name {target.name}:{target.version} "
                  f"--region {region}"]
    return steps


def change_summary(target: Target) -> str:
    """One sentence for a finding's summary when the change must be published to reach the caller."""
    if not target.published:
        return ""
    caution = (f" CAUTION: $LATEST holds other code than version {target.version}, and publishing it ships that "
               "code too." if target.same_code is False else "")
    if target.alias:
        return (f" Alias {target.alias} runs version {target.version}, which is immutable: the fix is published "
                f"as a new version and {target.alias} moved to it.{caution}")
    return (f" Version {target.version} is immutable: the fix is published as a new version, and the callers of "
            f"version {target.version} must be moved to it.{caution}")
