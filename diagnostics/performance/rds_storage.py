"""Which storage change is valid for a slow RDS disk, given the instance's engine and size (pure).

A fix that RDS rejects is worse than none. The rules (Amazon RDS User Guide, "Amazon RDS DB instance
storage", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage, and
ModifyDBInstance's Iops/StorageType, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html):

- Aurora instances have no storage of their own: "This setting doesn't apply to Amazon Aurora DB
  instances. Storage is managed by the DB cluster." The cluster volume grows by itself.
- gp3 below a threshold (400 GiB for Db2, MariaDB, MySQL and PostgreSQL; 200 GiB for Oracle) has a
  fixed baseline of 3,000 IOPS and 125 MiB/s, and IOPS cannot be provisioned; at or above it the
  baseline is 12,000 IOPS and 500 MiB/s and IOPS can be provisioned above that, up to 64,000.
  SQL Server has a 3,000 IOPS baseline at any size and can be provisioned from 20 GiB.
- io1/io2 IOPS must be between 0.5 and 50 times the storage in GiB (1 to 50 for SQL Server).
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.findings import Fix

GP3_MAX_IOPS = 64_000
GP3_MAX_IOPS_PER_GIB = 500
PIOPS_MAX_PER_GIB = 50
PIOPS_MIN_GIB = 100  # io1/io2 start at 100 GiB for every engine but SQL Server


def is_aurora(engine: str) -> bool:
    return engine.startswith("aurora")


def gp3_threshold_gib(engine: str) -> int:
    """The size from which gp3 IOPS can be provisioned (and the baseline rises to 12,000)."""
    if engine.startswith("sqlserver"):
        return 20
    if "oracle" in engine:
        return 200
    return 400


def gp3_baseline_iops(engine: str, allocated_gb: int) -> int:
    if engine.startswith("sqlserver") or allocated_gb < gp3_threshold_gib(engine):
        return 3_000
    return 12_000


@dataclass(frozen=True)
class StorageFix:
    remediation: list[str]
    alternatives: list[Fix]


def _modify(db: str, region: str, options: str) -> str:
    return f"aws rds modify-db-instance --db-instance-identifier {db} {options} --apply-immediately --region {region}"


_GROW_DISRUPTS = "storage can never be shrunk again, and the next storage change must wait 6 hours"


def faster_storage(identifier: str, engine: str, storage_type: str, allocated_gb: int, iops: int | None,
                   region: str, cluster: str = "", bigger_class: str = "") -> StorageFix:
    """The least disruptive valid change that gives a slow disk more IOPS, and the others."""
    db = identifier
    if is_aurora(engine):
        where = f"cluster {cluster}" if cluster else "its DB cluster"
        remediation = [
            f"# {db} is an Aurora instance: its storage is {where}'s volume, not the instance's, so it has no "
            "storage type or IOPS to change. Slow reads there are mostly reads the buffer cache missed: find "
            "the queries first (Performance Insights top SQL), then give the instance more memory:",
            _modify(db, region, f"--db-instance-class {bigger_class or '<a larger class>'}")]
        alternatives = []
        if cluster:
            alternatives.append(Fix(
                (f"aws rds modify-db-cluster --db-cluster-identifier {cluster} --storage-type aurora-iopt1 "
                 f"--apply-immediately --region {region}",),
                "Aurora I/O-Optimized: I/O is no longer charged per request (worth it when I/O is a large share "
                "of the bill; it does not by itself remove cache misses)",
                "changes the cluster's pricing; it can be switched back to Standard only once every 30 days"))
        return StorageFix(remediation, alternatives)

    threshold = gp3_threshold_gib(engine)
    baseline = gp3_baseline_iops(engine, allocated_gb)
    grow = Fix((_modify(db, region, f"--allocated-storage {threshold}"),),
               f"Grow the volume to {threshold} GiB: gp3 there has a 12,000 IOPS baseline", _GROW_DISRUPTS)
    fixed = baseline == 3_000 and not engine.startswith("sqlserver")
    if storage_type in ("gp2", "standard", ""):
        why = (f"IOPS cannot be provisioned on gp3 below {threshold} GiB" if fixed
               else "raise --iops later if that is not enough")
        return StorageFix(
            [f"# gp3 at {allocated_gb} GiB has a baseline of {baseline:,} IOPS and no burst bucket; it applies "
             f"online ({why}):",
             _modify(db, region, "--storage-type gp3")],
            [Fix((_modify(db, region, f"--storage-type gp3 --allocated-storage {threshold}"),),
                 f"gp3 grown to {threshold} GiB: a 12,000 IOPS baseline", _GROW_DISRUPTS)] if fixed else [])
    if storage_type in ("io1", "io2"):
        ceiling = PIOPS_MAX_PER_GIB * allocated_gb
        current = iops or 0
        target = min(max(current * 2, 1_000), ceiling, 256_000)
        if target > current:
            return StorageFix([f"# {storage_type} IOPS can be raised up to 50 per GiB ({ceiling:,} at "
                               f"{allocated_gb} GiB):", _modify(db, region, f"--iops {target}")], [])
        return StorageFix([f"# {db} already has the most IOPS its {allocated_gb} GiB allow ({current:,}); "
                           "grow the volume to provision more:",
                           _modify(db, region, f"--allocated-storage {allocated_gb * 2} --iops {current * 2}")], [])
    # gp3 already
    if fixed:
        alternatives = []
        if allocated_gb >= PIOPS_MIN_GIB:
            piops = min(PIOPS_MAX_PER_GIB * allocated_gb, 6_000)
            alternatives.append(Fix((_modify(db, region, f"--storage-type io2 --iops {piops}"),),
                                    f"Provisioned IOPS (io2) at {piops:,} IOPS, charged per provisioned IOPS"))
        return StorageFix(
            [f"# gp3 below {threshold} GiB is fixed at 3,000 IOPS and 125 MiB/s (IOPS cannot be set there); "
             f"from {threshold} GiB its baseline is 12,000:",
             *grow.commands],
            alternatives)
    current = max(iops or 0, baseline)
    target = min(current * 2, GP3_MAX_IOPS, GP3_MAX_IOPS_PER_GIB * allocated_gb)
    if target <= current:
        return StorageFix([f"# {db}'s gp3 volume already has the most IOPS it can ({current:,}); look at the "
                           "queries or move to io2:",
                           _modify(db, region, f"--storage-type io2 --iops {min(current * 2, 256_000)}")], [])
    return StorageFix([f"# gp3 at {allocated_gb} GiB can be provisioned above its {baseline:,} IOPS baseline "
                       "(applies online):", _modify(db, region, f"--iops {target}")], [])
