"""Seeder for an RDS DB instance (its configuration only: moto runs no database)::

    [[resources]]
    type = "rds.db"
    ref = "orders"
    identifier = "orders-db"
    class = "db.t3.medium"        # default db.t3.micro
    engine = "postgres"           # default
    storage_type = "gp2"          # default gp2
    allocated_storage = 100       # GB, default 20

``${db.orders}`` is the identifier, ``${db.orders.arn}`` the ARN.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("rds.db")
def seed_db_instance(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    kwargs: dict[str, Any] = {
        "DBInstanceIdentifier": str(spec["identifier"]),
        "DBInstanceClass": spec.get("class", "db.t3.micro"),
        "Engine": spec.get("engine", "postgres"),
        "AllocatedStorage": int(spec.get("allocated_storage", 20)),
        "StorageType": spec.get("storage_type", "gp2"),
        "MasterUsername": "sandbox",
        "MasterUserPassword": "sandbox-only-not-a-secret",
        "MultiAZ": bool(spec.get("multi_az", False)),
    }
    if spec.get("iops"):
        kwargs["Iops"] = int(spec["iops"])
    db = clients("rds").create_db_instance(**kwargs)["DBInstance"]
    return {"id": db["DBInstanceIdentifier"], "arn": db["DBInstanceArn"]}
