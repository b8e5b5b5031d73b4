"""What people paste as a parameter: every form AWS accepts is taken and normalised, every other one is
refused with the forms that work, and an ARN's region and account are kept so the run goes there.

Forms: Lambda API reference, GetFunctionConfiguration, request parameter FunctionName ("Function name
- my-function (name-only), my-function:v1 (with alias); Function ARN - arn:aws:lambda:us-west-2:
123456789012:function:my-function; Partial ARN - 123456789012:function:my-function"); EC2 resource
ARNs, arn:aws:ec2:REGION:ACCOUNT:instance/INSTANCE_ID (Service Authorization Reference, Amazon EC2).
"""

from __future__ import annotations

import pytest

from diagnostics.awslambda.names import function_name_of
from playbooks import params as v
from playbooks.slow_performance import performance_resource
from playbooks.throttling import table_name

ID = "i-0ee9f1234567890ab"


@pytest.mark.parametrize(
    ("text", "value", "region", "account"),
    [
        (ID, ID, None, None),
        (ID.upper(), ID, None, None),
        ("I-" + ID[2:].upper(), ID, None, None),
        ("i-1a2b3c4d", "i-1a2b3c4d", None, None),
        (f"  {ID}\n", ID, None, None),
        (f"arn:aws:ec2:eu-west-1:123456789012:instance/{ID}", ID, "eu-west-1", "123456789012"),
        (f"arn:aws:ec2:us-east-1:123456789012:instance/i-{ID[2:].upper()}",
         ID, "us-east-1", "123456789012"),
    ],
)
def test_instance_ids_in_every_pasted_form(text, value, region, account) -> None:
    got = v.instance_id(text)
    assert got == value and type(got.lower()) is str
    assert getattr(got, "region", None) == region
    assert getattr(got, "account", None) == account


@pytest.mark.parametrize("text", ["i-xyz", "i-0ee9f", "ami-0ee9f1234567890ab", "eni-1a2b3c4d",
                                  "arn:aws:ec2:us-east-1:123456789012:volume/vol-1a2b3c4d", ""])
def test_other_text_is_not_an_instance_and_the_sentence_names_both_forms(text) -> None:
    with pytest.raises(ValueError) as raised:
        v.instance_id(text)
    assert "i-0abc12345678def01" in str(raised.value) and "arn:aws:ec2:" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "value", "region", "account"),
    [
        ("healthy-fn", "healthy-fn", None, None),
        ("healthy_fn-2", "healthy_fn-2", None, None),
        ("healthy-fn:prod", "healthy-fn:prod", None, None),
        ("healthy-fn:7", "healthy-fn:7", None, None),
        ("healthy-fn:$LATEST", "healthy-fn", None, None),  # $LATEST is the unqualified function
        ("123456789012:function:healthy-fn", "healthy-fn", "", "123456789012"),
        ("123456789012:function:healthy-fn:prod", "healthy-fn:prod", "", "123456789012"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:healthy-fn", "healthy-fn", "eu-west-1", "123456789012"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:healthy-fn:$LATEST", "healthy-fn", "eu-west-1",
         "123456789012"),
        ("arn:aws:lambda:us-east-1:123456789012:function:healthy-fn:prod", "healthy-fn:prod", "us-east-1",
         "123456789012"),
        ("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f", "f", "us-gov-west-1", "123456789012"),
    ],
)
def test_lambda_functions_in_every_form_lambda_takes(text, value, region, account) -> None:
    got = v.function_name(text)
    assert got == value
    assert getattr(got, "region", None) == region
    assert getattr(got, "account", None) == account
    # The log group and the metric dimension are the unqualified name.
    assert function_name_of(got) == value.split(":")[0]


@pytest.mark.parametrize("text", ["healthy/fn", "a" * 65, "healthy-fn:prod:extra", "fn:", "",
                                  "arn:aws:lambda:us-east-1:function:healthy-fn",
                                  "arn:aws:s3:::bucket", "12345:function:healthy-fn"])
def test_other_text_is_not_a_function_and_the_sentence_lists_the_forms(text) -> None:
    with pytest.raises(ValueError) as raised:
        v.function_name(text)
    sentence = str(raised.value)
    for form in ("my-function", "my-function:prod", "123456789012:function:my-function",
                 "arn:aws:lambda:us-east-1:123456789012:function:my-function"):
        assert form in sentence


def test_function_name_of_takes_each_normalised_form() -> None:
    assert function_name_of("healthy-fn:prod") == "healthy-fn"
    assert function_name_of("123456789012:function:healthy-fn:3") == "healthy-fn"
    assert function_name_of("arn:aws:lambda:eu-west-1:123456789012:function:healthy-fn:prod") == "healthy-fn"


def test_table_and_performance_resources_keep_the_arns_place() -> None:
    table = table_name("arn:aws:dynamodb:eu-west-1:123456789012:table/orders")
    assert table == "orders" and (table.region, table.account) == ("eu-west-1", "123456789012")
    assert not hasattr(table_name("orders"), "region")
    resource = performance_resource("arn:aws:rds:eu-west-1:123456789012:db:orders-db")
    assert resource.region == "eu-west-1"
    assert performance_resource(ID.upper()) == ID
    arn = performance_resource(f"arn:aws:ec2:ap-south-1:123456789012:instance/{ID}")
    assert arn == ID and arn.region == "ap-south-1"


def test_placement_takes_the_one_region_of_the_arns() -> None:
    fn = v.function_name("arn:aws:lambda:eu-west-1:123456789012:function:healthy-fn")
    where = v.placement({"function": fn, "hours": 24})
    assert (where.region, where.region_param, where.account, where.account_param) == (
        "eu-west-1", "function", "123456789012", "function")
    assert v.placement({"function": "healthy-fn"}) == v.Placement()
    # A plain ARN (access-denied's resource) steers the region, never the account: principals and
    # resource policies rightly sit in other accounts.
    where = v.placement({"resource": "arn:aws:sqs:ap-south-1:111122223333:jobs",
                         "principal": "arn:aws:iam::111122223333:role/app"})
    assert (where.region, where.account) == ("ap-south-1", "")


def test_two_regions_are_refused_naming_both() -> None:
    with pytest.raises(ValueError, match="function in eu-west-1, table in us-east-1"):
        v.placement({"function": v.function_name("arn:aws:lambda:eu-west-1:123456789012:function:f"),
                     "table": table_name("arn:aws:dynamodb:us-east-1:123456789012:table/orders")})


def _client_error(code: str, message: str, status: int):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "GetFunctionConfiguration")


@pytest.mark.parametrize(("code", "message", "status", "kind"), [
    # AWS's answer for a function that is not there: an error body, so "not found", never "not implemented".
    ("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:f", 404,
     "NOT_FOUND"),
    ("404", "Not Found", 404, "NOT_FOUND"),  # S3's HEAD: a bare 404 from AWS is still a missing resource
    # An emulator's web server answering a route it does not have: an HTML page, the unsupported case.
    ("404", "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>", 404, "UNSUPPORTED"),
    ("500", "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>", 500, "UNSUPPORTED"),
])
def test_a_404_with_an_aws_body_is_not_found_and_an_html_page_is_unsupported(code, message, status, kind) -> None:
    from diagnostics.errors import classify_error

    assert classify_error(_client_error(code, message, status)).name == kind


@pytest.mark.parametrize(("text", "value"), [
    ("ENI-0A1B2C3D4E5F60789", "eni-0a1b2c3d4e5f60789"),
    (ID.upper(), ID),
    (f"arn:aws:ec2:us-east-1:123456789012:instance/{ID}", ID),
    ("eice-0123456789abcdef0", "eice-0123456789abcdef0"),
    ("203.0.113.10", "203.0.113.10/32"),
])
def test_connection_sources_as_pasted(text, value) -> None:
    assert v.network_source(text) == value
