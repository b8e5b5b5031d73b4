"""Seeder for DynamoDB tables: billing mode, capacity, and global secondary indexes.

::

    [[resources]]
    type = "dynamodb.table"
    ref = "orders"
    name = "orders"
    billing = "PAY_PER_REQUEST"        # or PROVISIONED (default), with read/write below
    read = 100                          # provisioned RCU
    write = 50                          # provisioned WCU
    indexes = [ { name = "by-customer", key = "customer", read = 10, write = 5 } ]

``${table.orders}`` is the table's name, ``${table.orders.arn}`` its ARN. The partition key is ``pk``.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("dynamodb.table")
def seed_table(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    name = str(spec["name"])
    billing = str(spec.get("billing", "PROVISIONED"))
    attributes = {"pk"}
    kwargs: dict[str, Any] = {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                              "BillingMode": billing}
    provisioned = billing == "PROVISIONED"
    if provisioned:
        kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": int(spec.get("read", 5)),
                                           "WriteCapacityUnits": int(spec.get("write", 5))}
    indexes = []
    for index in spec.get("indexes", []):
        key = str(index.get("key", "sk"))
        attributes.add(key)
        item: dict[str, Any] = {"IndexName": str(index["name"]), "KeySchema": [{"AttributeName": key,
                                                                                "KeyType": "HASH"}],
                                "Projection": {"ProjectionType": "ALL"}}
        if provisioned:
            item["ProvisionedThroughput"] = {"ReadCapacityUnits": int(index.get("read", 5)),
                                             "WriteCapacityUnits": int(index.get("write", 5))}
        indexes.append(item)
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = indexes
    kwargs["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)]
    table = clients("dynamodb").create_table(**kwargs)["TableDescription"]
    return {"id": name, "name": name, "arn": table["TableArn"]}
