"""The slow-disk fix must be one RDS accepts for the engine and size (breaker_c N4)."""

from __future__ import annotations

from diagnostics.performance.rds_storage import faster_storage, gp3_baseline_iops
from diagnostics.performance.saturation import RdsProfile, assess_rds
from tests.test_slow_performance import series as latency_series

REGION = "us-east-1"


def fix_lines(engine: str, storage: str, gb: int, iops: int | None = None, cluster: str = "") -> str:
    fix = faster_storage("db1", engine, storage, gb, iops, REGION, cluster=cluster, bigger_class="db.r6g.xlarge")
    return "\n".join(fix.remediation)


def test_aurora_instance_gets_no_instance_storage_change() -> None:
    fix = faster_storage("shop-aurora-1", "aurora-postgresql", "aurora", 1, None, REGION,
                         cluster="shop-aurora", bigger_class="db.r6g.xlarge")
    text = "\n".join(fix.remediation)
    assert "--storage-type" not in text and "--iops" not in text
    assert "cluster shop-aurora" in text and "--db-instance-class db.r6g.xlarge" in text
    [iopt] = fix.alternatives
    assert "modify-db-cluster --db-cluster-identifier shop-aurora --storage-type aurora-iopt1" in iopt.commands[0]
    assert "30 days" in iopt.disrupts


def test_gp2_below_400_gib_moves_to_gp3_without_iops() -> None:
    text = fix_lines("postgres", "gp2", 20)
    assert "--storage-type gp3 --apply-immediately" in text and "--iops" not in text
    assert "3,000 IOPS" in text and "below 400 GiB" in text


def test_gp3_baselines_by_engine_and_size() -> None:
    assert gp3_baseline_iops("mysql", 100) == 3_000
    assert gp3_baseline_iops("mysql", 400) == 12_000
    assert gp3_baseline_iops("oracle-ee", 200) == 12_000
    assert gp3_baseline_iops("oracle-ee", 199) == 3_000
    assert gp3_baseline_iops("sqlserver-se", 1000) == 3_000


def test_gp3_below_threshold_cannot_take_iops_so_grow_or_io2() -> None:
    fix = faster_storage("db1", "mysql", "gp3", 100, None, REGION)
    assert "--allocated-storage 400" in fix.remediation[-1] and "--iops" not in fix.remediation[-1]
    [io2] = fix.alternatives
    assert "--storage-type io2 --iops 5000" in io2.commands[0]  # at most 50 IOPS per GiB


def test_gp3_at_or_above_threshold_provisions_above_its_12000_baseline() -> None:
    text = fix_lines("postgres", "gp3", 500, 12_000)
    assert "--iops 24000" in text and "--storage-type" not in text
    assert "--iops 64000" in fix_lines("postgres", "gp3", 1000, 40_000)  # the gp3 ceiling


def test_io1_raises_iops_within_50_per_gib() -> None:
    assert "--iops 2000" in fix_lines("mysql", "io1", 100, 1000)
    assert "--iops 5000" in fix_lines("mysql", "io1", 100, 4000)


def test_aurora_latency_finding_does_not_blame_instance_iops() -> None:
    aurora = RdsProfile("shop-aurora-1", "arn:aws:rds:us-east-1:123456789012:db:shop-aurora-1", "db.r6g.large",
                        "aurora-postgresql", "aurora", 1, cluster="shop-aurora")
    series = latency_series("ReadLatency", [0.06] * 12)
    [finding] = assess_rds(aurora, {"ReadLatency": series}, REGION).findings
    assert finding.code == "RDS_HIGH_IO_LATENCY"
    assert "no IOPS to raise" in finding.summary
    assert not any("--iops" in line or "--storage-type" in line for line in finding.remediation)


def test_cluster_names_and_arns_are_database_names() -> None:
    from diagnostics.performance.collect import ResourceRef, classify_resource
    for text in ("arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora", "rds-cluster:shop-aurora",
                 "cluster:shop-aurora"):
        assert classify_resource(text) == ResourceRef("rds", "shop-aurora")
