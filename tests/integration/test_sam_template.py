"""The SAM deployment files: template.yaml, samconfig.toml, the layer and the events/ payloads.

No AWS account and no Docker are needed: the template is read as YAML (CloudFormation's short
tags such as ``!Ref`` become their long ``{"Ref": ...}`` / ``{"Fn::...": ...}`` forms), and every
event is pushed through Mangum into a small echo app to show it carries what Mangum reads. The
events are the stack's HTTP API payloads (2.0), plus a REST API's (1.0, ``rest-api-v1-*``) and a
function URL's (2.0, ``function-url-*``), which the handler serves too.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlencode

import mangum
import pytest
import yaml

from mockmind.app.admin_access import ADMIN_TOKEN_VARIABLE
from tests.support.paths import EVENTS, ROOT

TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
LAYER_REQUIREMENTS = ROOT / "layers" / "dependencies" / "requirements.txt"
# Runtime dependencies only the mockmind command imports: the layer goes without them.
CLI_ONLY = {"rich"}
EXPECTED_EVENTS = {
    "get.json",
    "post-json.json",
    "session-cookie.json",
    "base64-body.json",
    "rest-api-v1-get.json",
    "rest-api-v1-post-json.json",
    "rest-api-v1-session-cookie.json",
    "function-url-get.json",
    "function-url-post-json.json",
    "function-url-session-cookie.json",
}
# Events from other sources than the stack's HTTP API are named after their source.
REST_API_PREFIX = "rest-api-v1-"
FUNCTION_URL_PREFIX = "function-url-"
CART_ITEM = {"product_id": "p-1", "quantity": 2}


# --------------------------------------------------------------------------- loading


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that turns ``!Tag value`` into the JSON form of the intrinsic function."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def _load_template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)
    return loaded


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _load_template()


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _only(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = _of_type(template, kind)
    assert len(found) == 1, f"expected exactly one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    """The function's properties with Globals.Function applied (environment variables merged)."""
    _, resource = _only(template, "AWS::Serverless::Function")
    globals_ = dict(template.get("Globals", {}).get("Function", {}))
    props = dict(resource["Properties"])
    variables = {
        **globals_.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    merged = {**globals_, **props}
    merged["Environment"] = {"Variables": variables}
    return merged


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


# --------------------------------------------------------------------------- the function


def test_template_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


def test_function_runtime_architecture_and_handler(function: dict[str, Any]) -> None:
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "mockmind.handler.handler"
    assert function["CodeUri"].rstrip("/") == "src"
    assert function["MemorySize"] == 1024
    # API Gateway HTTP APIs time out at 30 s; the function must give up first.
    assert function["Timeout"] == 29


def test_function_code_needs_no_requirements_file() -> None:
    # The dependencies live in the layer; a requirements.txt under src/ would make sam build
    # install them a second time into the function package.
    assert not (ROOT / "src" / "requirements.txt").exists()


def test_http_api_catch_all_routes(template: dict[str, Any], function: dict[str, Any]) -> None:
    api_name, _ = _only(template, "AWS::Serverless::HttpApi")
    routes = set()
    for event in function["Events"].values():
        assert event["Type"] == "HttpApi"
        props = event["Properties"]
        assert props["ApiId"] == _ref(api_name)
        # Payload format 2.0 is the HttpApi default; anything else would break the events/.
        assert props.get("PayloadFormatVersion", "2.0") == "2.0"
        routes.add((props["Method"], props["Path"]))
    assert routes == {("ANY", "/"), ("ANY", "/{proxy+}")}


def test_environment_variables(template: dict[str, Any], function: dict[str, Any]) -> None:
    variables = function["Environment"]["Variables"]
    table, _ = _only(template, "AWS::DynamoDB::Table")
    bucket, _ = _only(template, "AWS::S3::Bucket")
    assert variables["MOCKMIND_TABLE"] == _ref(table)
    assert variables["MOCKMIND_BUCKET"] == _ref(bucket)
    assert variables["MOCKMIND_STORAGE"] == _ref("StorageBackend")
    # A deployed stack keeps its state in the table (memory would be per Lambda instance).
    assert template["Parameters"]["StorageBackend"]["Default"] == "aws"
    assert variables["MOCKMIND_CONFIG"] == _ref("ConfigPath")
    assert variables["POWERTOOLS_SERVICE_NAME"] == "mockmind"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "MockMind"
    assert variables["POWERTOOLS_LOG_LEVEL"] == _ref("LogLevel")
    assert variables["MOCKMIND_LLM_PROVIDER"] == _ref("LlmProvider")
    assert "MOCKMIND_SECRET_ARN" in variables


def test_parameters(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["LogLevel"]["Default"] in params["LogLevel"]["AllowedValues"]
    assert params["StorageBackend"]["Default"] in params["StorageBackend"]["AllowedValues"]
    assert params["LlmProvider"]["Default"] == ""
    assert params["ExistingSecretArn"]["Default"] == ""
    assert params["ConfigPath"]["Default"] == ""
    pattern = re.compile(params["ExistingSecretArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:secretsmanager:us-east-1:123456789012:secret:llm-AbCdEf")
    assert not pattern.fullmatch("my-secret")


def test_snapstart_is_a_parameter_off_by_default(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    param = template["Parameters"]["SnapStart"]
    assert param["AllowedValues"] == ["PublishedVersions", "None"]
    assert param["Default"] == "None"
    [condition] = [
        name
        for name, rule in template["Conditions"].items()
        if rule == {"Fn::Equals": [_ref("SnapStart"), "PublishedVersions"]}
    ]
    assert function["SnapStart"] == {
        "Fn::If": [condition, {"ApplyOn": "PublishedVersions"}, _ref("AWS::NoValue")]
    }
    # SnapStart applies to published versions: every deployment publishes one behind an alias,
    # which SAM points the API's routes at.
    assert function["AutoPublishAlias"] == "live"
    # What a restored instance redoes is registered with the runtime's hooks.
    hooks = (ROOT / "src" / "mockmind" / "app" / "snapstart.py").read_text()
    assert "register_after_restore" in hooks
    assert "register_before_snapshot" in hooks


def test_tracing_is_a_parameter_off_by_default(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    param = template["Parameters"]["Tracing"]
    assert param["AllowedValues"] == ["Active", "PassThrough"]
    assert param["Default"] == "PassThrough"
    assert function["Tracing"] == _ref("Tracing")
    [condition] = [
        name
        for name, rule in template["Conditions"].items()
        if rule == {"Fn::Equals": [_ref("Tracing"), "Active"]}
    ]
    # The app builds Powertools' Tracer (and imports the X-Ray SDK) only when told to.
    variables = function["Environment"]["Variables"]
    assert variables["MOCKMIND_TRACING"] == {"Fn::If": [condition, "1", "0"]}
    layer = _requirement_names(LAYER_REQUIREMENTS.read_text())
    assert "aws-lambda-powertools" in layer
    assert "aws-lambda-powertools[tracer]" in LAYER_REQUIREMENTS.read_text()


def test_pydantic_plugins_are_not_looked_for(function: dict[str, Any]) -> None:
    # The lookup reads every installed distribution's metadata at each cold start.
    assert function["Environment"]["Variables"]["PYDANTIC_DISABLE_PLUGINS"] == "__all__"


# --------------------------------------------------------------------------- the layer


def _requirement_names(text: str) -> set[str]:
    names = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name = re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]
            names.add(re.sub(r"[-_.]+", "-", name).lower())
    return names


def test_dependencies_layer(template: dict[str, Any], function: dict[str, Any]) -> None:
    name, layer = _only(template, "AWS::Serverless::LayerVersion")
    props = layer["Properties"]
    assert props["ContentUri"].rstrip("/") == "layers/dependencies"
    assert props["CompatibleRuntimes"] == ["python3.12"]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {
        "BuildMethod": "makefile",
        "BuildArchitecture": "arm64",
        "ContextPath": ".",
    }
    assert _ref(name) in function["Layers"]


def test_layer_requirements_match_pyproject() -> None:
    layer = _requirement_names(LAYER_REQUIREMENTS.read_text())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = _requirement_names("\n".join(pyproject["project"]["dependencies"]))
    # The python3.12 Lambda runtime ships boto3 and botocore; rich draws the CLI's tables,
    # which no Lambda function imports (tests/unit/architecture/test_cli_only_imports.py).
    assert not layer & {"boto3", "botocore", *CLI_ONLY}
    assert runtime - {"boto3", *CLI_ONLY} <= layer, "layer requirements lag behind pyproject.toml"
    assert {"fastapi", "mangum", "pydantic", "numpy", "aws-lambda-powertools"} <= layer


# --------------------------------------------------------------------------- storage


def test_table_is_single_table_with_ttl(template: dict[str, Any]) -> None:
    _, table = _only(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types == {"pk": "S", "sk": "S", "listing": "S", "activity": "S"}
    # The sessions' listing index, as `mockmind init-aws` (and the tests' tables) make it.
    from mockmind.adapters.aws.provisioning import SESSIONS_INDEX_DEFINITION

    assert props["GlobalSecondaryIndexes"] == [SESSIONS_INDEX_DEFINITION]


def test_the_function_may_query_the_sessions_index(template: dict[str, Any]) -> None:
    _, function = _only(template, "AWS::Serverless::Function")
    statements = [
        statement
        for policy in function["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]
    (index,) = [s for s in statements if s.get("Sid") == "SessionIndexQuery"]
    assert index["Action"] == ["dynamodb:Query"]
    assert index["Resource"] == {"Fn::Sub": "${SessionTable.Arn}/index/sessions-by-activity"}


def test_bucket_is_private_and_encrypted(template: dict[str, Any]) -> None:
    _, bucket = _only(template, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    algorithms = {r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules}
    assert algorithms == {"AES256"}


def test_bucket_policy_denies_plain_http(template: dict[str, Any]) -> None:
    bucket, _ = _only(template, "AWS::S3::Bucket")
    _, policy = _only(template, "AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == _ref(bucket)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        for s in statements
    )


def test_secret_is_created_unless_one_is_given(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    name, secret = _only(template, "AWS::SecretsManager::Secret")
    condition = secret["Condition"]
    assert template["Conditions"][condition] == {"Fn::Equals": [_ref("ExistingSecretArn"), ""]}
    chosen = {"Fn::If": [condition, _ref(name), _ref("ExistingSecretArn")]}
    assert function["Environment"]["Variables"]["MOCKMIND_SECRET_ARN"] == chosen
    templates = [p for p in function["Policies"] if "AWSSecretsManagerGetSecretValuePolicy" in p]
    assert templates == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": chosen}}]
    # The admin token is generated into the secret, so a deployed stack's admin routes are
    # never open (app/admin_access.py); the LLM keys start empty, to be filled in.
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == ADMIN_TOKEN_VARIABLE == "MOCKMIND_ADMIN_TOKEN"
    assert json.loads(generated["SecretStringTemplate"]) == {
        "OPENAI_API_KEY": "",
        "ANTHROPIC_API_KEY": "",
    }
    assert generated["PasswordLength"] >= 32
    assert generated["ExcludePunctuation"] is True
    assert "SecretString" not in secret["Properties"]


# --------------------------------------------------------------------------- permissions

# SAM policy templates that are scoped to one named resource.
_SCOPED_TEMPLATES = {
    "DynamoDBCrudPolicy": "TableName",
    "DynamoDBReadPolicy": "TableName",
    "S3CrudPolicy": "BucketName",
    "S3ReadPolicy": "BucketName",
    "S3WritePolicy": "BucketName",
    "AWSSecretsManagerGetSecretValuePolicy": "SecretArn",
}


def _statements(policies: list[Any]) -> Iterator[dict[str, Any]]:
    for policy in policies:
        if isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]


def test_policies_are_least_privilege(template: dict[str, Any], function: dict[str, Any]) -> None:
    policies = function["Policies"]
    for policy in policies:
        # No managed policies by name (AmazonDynamoDBFullAccess and friends).
        assert isinstance(policy, dict), policy
        if "Statement" in policy:
            continue
        ((kind, args),) = policy.items()
        assert kind in _SCOPED_TEMPLATES, kind
        assert set(args) == {_SCOPED_TEMPLATES[kind]}
        assert args[_SCOPED_TEMPLATES[kind]] not in ("*", "")

    table, _ = _only(template, "AWS::DynamoDB::Table")
    dynamodb = [s for s in _statements(policies) if "dynamodb:" in json.dumps(s["Action"])]
    # The table's items, and a query of the sessions' index (its own statement, Query only).
    assert [s["Resource"] for s in dynamodb] == [
        {"Fn::GetAtt": [table, "Arn"]},
        {"Fn::Sub": f"${{{table}.Arn}}/index/sessions-by-activity"},
    ]
    assert set(dynamodb[0]["Action"]) == _dynamodb_calls_of_the_adapters()
    assert dynamodb[1]["Action"] == ["dynamodb:Query"]

    for statement in _statements(policies):
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert "*" not in action, f"wildcard action {action!r}"
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            assert resource != "*", f"{statement.get('Sid')} applies to every resource"


def test_the_function_may_invoke_itself_to_deliver_callbacks(function: dict[str, Any]) -> None:
    # Callbacks and fired webhooks run in an asynchronous invocation of the running version
    # (adapters/aws/self_invoke.py): the function, by its name, with or without a qualifier.
    name = function["FunctionName"]["Fn::Sub"]
    arn = f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"
    (statement,) = [
        s for s in _statements(function["Policies"]) if "lambda:InvokeFunction" in s["Action"]
    ]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "lambda:InvokeFunction")
    assert statement["Resource"] == [{"Fn::Sub": arn}, {"Fn::Sub": f"{arn}:*"}]


def _dynamodb_calls_of_the_adapters() -> set[str]:
    """IAM actions for every call the DynamoDB layer makes on its client (get_item: GetItem)."""
    source = (ROOT / "src" / "mockmind" / "adapters" / "aws" / "table.py").read_text()
    calls = set(re.findall(r"self\._client\.(\w+)\(", source))
    assert calls, "no client calls found in the DynamoDB layer"
    return {"dynamodb:" + "".join(p.title() for p in call.split("_")) for call in calls}


def test_s3_access_is_limited_to_the_vector_prefix(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    bucket, _ = _only(template, "AWS::S3::Bucket")
    prefix = function["Environment"]["Variables"]["MOCKMIND_VECTOR_PREFIX"]
    s3 = [
        s
        for s in _statements(function["Policies"])
        if "s3:" in json.dumps(s["Action"]) and not s["Sid"].startswith(("Tenant", "ListTenant"))
    ]
    assert s3, "the function cannot reach the vector bucket"
    for statement in s3:
        if statement["Action"] == "s3:ListBucket":
            assert statement["Resource"] == {"Fn::GetAtt": [bucket, "Arn"]}
            assert statement["Condition"]["StringLike"]["s3:prefix"] == [prefix, f"{prefix}*"]
        else:
            assert statement["Resource"] == {"Fn::Sub": f"${{{bucket}.Arn}}/{prefix}*"}


def test_tenants_are_a_parameter_off_by_default(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    param = template["Parameters"]["Tenants"]
    assert param["Default"] == "off"
    assert param["AllowedValues"] == ["off", "on"]
    assert template["Conditions"]["TenantsOn"] == {"Fn::Equals": [{"Ref": "Tenants"}, "on"]}
    bucket, _ = _only(template, "AWS::S3::Bucket")
    variable = function["Environment"]["Variables"]["MOCKMIND_TENANTS"]
    # Off: empty, which the app reads as unset (one API).
    assert variable == {"Fn::If": ["TenantsOn", {"Fn::Sub": f"s3://${{{bucket}}}/tenants/"}, ""]}


def test_tenants_are_written_under_their_prefix_and_their_vectors_beside_the_stacks(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    bucket, _ = _only(template, "AWS::S3::Bucket")
    statements = {
        s["Sid"]: s for s in _statements(function["Policies"]) if "Tenant" in s.get("Sid", "")
    }
    # Written only by the operator's push and delete routes.
    assert statements["TenantCatalogObjects"]["Action"] == [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    ]
    assert statements["TenantCatalogObjects"]["Resource"] == {
        "Fn::Sub": f"${{{bucket}.Arn}}/tenants/*"
    }
    assert statements["TenantVectorObjects"]["Resource"] == {
        "Fn::Sub": f"${{{bucket}.Arn}}/vectors-tenants/*"
    }
    listing = statements["ListTenantPrefixes"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [
        "tenants/",
        "tenants/*",
        "vectors-tenants/",
        "vectors-tenants/*",
    ]


# --------------------------------------------------------------------------- outputs, samconfig


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert {"ApiUrl", "TableName", "BucketName", "FunctionArn"} <= set(outputs)
    api, _ = _only(template, "AWS::Serverless::HttpApi")
    assert f"${{{api}}}.execute-api." in outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert outputs["ApiUrl"]["Value"]["Fn::Sub"].startswith("https://")


def test_samconfig_environments() -> None:
    config = tomllib.loads(SAMCONFIG.read_text())
    assert config["version"] == 0.1
    names = set()
    for env, confirm in (("default", True), ("ci", False)):
        names.add(config[env]["global"]["parameters"]["stack_name"])
        # A placeholder (samconfig.toml says so): `--region` or an edit chooses another.
        assert config[env]["global"]["parameters"]["region"] == "us-east-1"
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True
        assert deploy["confirm_changeset"] is confirm
        assert "StorageBackend=aws" in deploy["parameter_overrides"]
        local = config[env]["local_start_api"]["parameters"]["parameter_overrides"]
        assert "StorageBackend=memory" in local
    assert len(names) == 2, "default and ci must deploy different stacks"


# --------------------------------------------------------------------------- events


def _event_files() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


def _http_api_files() -> list[Path]:
    return [
        p for p in _event_files() if not p.name.startswith((REST_API_PREFIX, FUNCTION_URL_PREFIX))
    ]


def _rest_api_files() -> list[Path]:
    return [p for p in _event_files() if p.name.startswith(REST_API_PREFIX)]


def _function_url_files() -> list[Path]:
    return [p for p in _event_files() if p.name.startswith(FUNCTION_URL_PREFIX)]


def _load_event(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text())
    return event


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    return base64.b64decode(body, validate=True) if event["isBase64Encoded"] else body.encode()


def _is_1_0(event: dict[str, Any]) -> bool:
    return "httpMethod" in event


def _method_path_query(event: dict[str, Any]) -> tuple[str, str, str]:
    """What the request was, read from either payload format."""
    if _is_1_0(event):
        query = event["multiValueQueryStringParameters"] or {}
        return event["httpMethod"], event["path"], urlencode(query, doseq=True)
    return event["requestContext"]["http"]["method"], event["rawPath"], event["rawQueryString"]


def _request_cookie(event: dict[str, Any]) -> str | None:
    if _is_1_0(event):
        cookie: str | None = (event["headers"] or {}).get("Cookie")
        return cookie
    return "; ".join(event["cookies"]) if event.get("cookies") else None


def test_expected_events_exist() -> None:
    assert {p.name for p in _event_files()} >= EXPECTED_EVENTS


@pytest.mark.parametrize("path", _http_api_files(), ids=lambda p: p.name)
def test_event_is_an_http_api_v2_payload(path: Path, function: dict[str, Any]) -> None:
    event = _load_event(path)
    assert event["version"] == "2.0"
    # Keys that would make Mangum take it for a REST API (v1) or ALB event.
    assert not {"resource", "httpMethod", "multiValueHeaders"} & set(event)
    routes = {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for e in function["Events"].values()
    }
    assert event["routeKey"] in routes | {"$default"}
    assert event["rawPath"].startswith("/")
    assert isinstance(event["rawQueryString"], str)
    assert not event["rawQueryString"].startswith("?")
    assert isinstance(event["isBase64Encoded"], bool)

    headers = event["headers"]
    assert all(k == k.lower() and isinstance(v, str) for k, v in headers.items())

    context = event["requestContext"]
    http = context["http"]
    assert http["method"] in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    assert http["path"] == event["rawPath"]
    assert str(ipaddress.ip_address(http["sourceIp"])) == http["sourceIp"]
    assert http["userAgent"] == headers["user-agent"]
    assert re.fullmatch(r"\d{12}", context["accountId"])
    assert re.fullmatch(r"[a-z0-9]{10}", context["apiId"])
    assert context["domainName"] == headers["host"]
    assert context["domainName"].startswith(context["apiId"] + ".execute-api.")
    assert context["stage"] == "$default"
    assert context["routeKey"] == event["routeKey"]
    assert re.fullmatch(r"[A-Za-z0-9]{15}=", context["requestId"])
    # `time` and `timeEpoch` (milliseconds) name the same moment.
    at = datetime.strptime(context["time"], "%d/%b/%Y:%H:%M:%S %z")
    assert context["timeEpoch"] == int(at.timestamp()) * 1000

    raw_query = event["rawQueryString"]
    assert event.get("queryStringParameters") == (
        dict(p.split("=", 1) for p in raw_query.split("&")) if raw_query else None
    )

    body = _body_bytes(event)
    assert headers.get("content-length") == (str(len(body)) if body else None)
    assert headers.get("content-type") == ("application/json" if body else None)

    cookies = event.get("cookies")
    assert headers.get("cookie") == ("; ".join(cookies) if cookies else None)


@pytest.mark.parametrize("path", _rest_api_files(), ids=lambda p: p.name)
def test_event_is_a_rest_api_v1_payload(path: Path) -> None:
    """A REST API's proxy integration (payload 1.0) on a `{proxy+}` resource, stage `prod`."""
    event = _load_event(path)
    assert "version" not in event  # a REST API sends none; Mangum reads it as APIGateway
    assert event["resource"] == "/{proxy+}"
    assert event["path"].startswith("/")
    assert event["pathParameters"] == {"proxy": event["path"].lstrip("/")}
    assert event["httpMethod"] in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    assert isinstance(event["isBase64Encoded"], bool)

    headers, multi = event["headers"], event["multiValueHeaders"]
    assert multi == {name: [value] for name, value in headers.items()}
    query, multi_query = event["queryStringParameters"], event["multiValueQueryStringParameters"]
    assert (query is None) is (multi_query is None)
    if query is not None:
        assert multi_query == {name: [value] for name, value in query.items()}

    context = event["requestContext"]
    assert context["httpMethod"] == event["httpMethod"]
    assert context["resourcePath"] == event["resource"]
    # requestContext.path has the stage in front; the event's path does not.
    assert context["path"] == f"/{context['stage']}{event['path']}"
    assert context["domainName"] == headers["Host"]
    assert context["domainName"] == f"{context['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert re.fullmatch(r"\d{12}", context["accountId"])
    assert context["identity"]["sourceIp"] == headers["X-Forwarded-For"].split(", ")[0]
    assert context["identity"]["userAgent"] == headers["User-Agent"]

    body = _body_bytes(event)
    if body:
        assert headers["Content-Length"] == str(len(body))
        json.loads(body)
    else:
        assert "Content-Length" not in headers


@pytest.mark.parametrize("path", _function_url_files(), ids=lambda p: p.name)
def test_event_is_a_function_url_payload(path: Path) -> None:
    """A Lambda function URL (payload 2.0, AuthType NONE): no stage, no route, cookies apart."""
    event = _load_event(path)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert not {"resource", "httpMethod", "multiValueHeaders"} & set(event)
    headers = event["headers"]
    assert all(k == k.lower() and isinstance(v, str) for k, v in headers.items())
    assert "cookie" not in headers  # a function URL hands cookies over in cookies[] only

    context = event["requestContext"]
    assert re.fullmatch(r"[a-z0-9]{32}", context["apiId"])
    assert context["domainName"] == f"{context['apiId']}.lambda-url.us-east-1.on.aws"
    assert context["domainName"] == headers["host"]
    assert context["domainPrefix"] == context["apiId"]
    assert context["accountId"] == "anonymous"
    assert (context["stage"], context["routeKey"]) == ("$default", "$default")
    http = context["http"]
    assert http["path"] == event["rawPath"]
    assert http["userAgent"] == headers["user-agent"]
    assert http["sourceIp"] == headers["x-forwarded-for"]

    body = _body_bytes(event)
    if body:
        assert headers["content-length"] == str(len(body))
        json.loads(body)


def test_each_source_has_the_same_requests() -> None:
    """Every source has its GET, POST and session-cookie sample, asking the same things."""
    for prefix in (REST_API_PREFIX, FUNCTION_URL_PREFIX):
        for name in ("get.json", "post-json.json", "session-cookie.json"):
            http_api = _load_event(EVENTS / name)
            other = _load_event(EVENTS / f"{prefix}{name}")
            assert _method_path_query(other) == _method_path_query(http_api)
            assert _body_bytes(other) == _body_bytes(http_api)
            assert _request_cookie(other) == _request_cookie(http_api)


def test_get_event() -> None:
    event = _load_event(EVENTS / "get.json")
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["rawPath"] == "/products"
    assert event["rawQueryString"] == "limit=2"
    assert "body" not in event


def test_post_json_event() -> None:
    event = _load_event(EVENTS / "post-json.json")
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/cart/items"
    assert event["isBase64Encoded"] is False
    assert event["headers"]["content-type"] == "application/json"
    assert json.loads(event["body"]) == CART_ITEM


def test_session_cookie_event() -> None:
    event = _load_event(EVENTS / "session-cookie.json")
    assert event["rawPath"] == "/products"
    ((cookie,),) = [event["cookies"]]
    name, value = cookie.split("=", 1)
    assert name == "mockforge_session"
    # secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    assert event["headers"]["cookie"] == cookie


def test_base64_body_event() -> None:
    event = _load_event(EVENTS / "base64-body.json")
    assert event["isBase64Encoded"] is True
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/cart/items"
    assert json.loads(base64.b64decode(event["body"], validate=True)) == CART_ITEM


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that answers with what it was given."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    echo = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "cookie": headers.get("cookie"),
        "host": headers.get("host"),
        "body": body.decode(),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(echo).encode()})


@pytest.mark.usefixtures("event_loop_for_mangum")
@pytest.mark.parametrize("path", _event_files(), ids=lambda p: p.name)
def test_event_goes_through_mangum(path: Path) -> None:
    event = _load_event(path)
    context = SimpleNamespace(
        function_name="mockmind",
        aws_request_id=event["requestContext"]["requestId"],
        get_remaining_time_in_millis=lambda: 29_000,
    )
    response = mangum.Mangum(_echo, lifespan="off")(event, context)
    assert response["statusCode"] == 200
    echo = json.loads(response["body"])
    method, path, query = _method_path_query(event)
    assert echo["method"] == method
    # Mangum decodes the path (mockmind reads the encoded one from the event: mock_asgi).
    assert echo["path"] == unquote(path)
    assert echo["query"] == query
    assert echo["host"] == event["requestContext"]["domainName"]
    assert echo["body"] == _body_bytes(event).decode()
    assert echo["cookie"] == _request_cookie(event)


# --------------------------------------------------------------------------- the build


BUILD = ROOT / ".aws-sam" / "build"


def test_function_and_layer_are_built_by_the_makefile(template: dict[str, Any]) -> None:
    _, resource = _only(template, "AWS::Serverless::Function")
    assert resource["Metadata"] == {"BuildMethod": "makefile", "ContextPath": "."}
    makefile = (ROOT / "Makefile").read_text()
    assert "\nbuild-MockmindFunction:" in makefile
    assert "\nbuild-DependenciesLayer:" in makefile


@pytest.fixture(scope="module")
def built() -> Path:
    """`sam build`'s output: `make test` and `make integration` build it before pytest runs."""
    if not (BUILD / "template.yaml").is_file():
        pytest.fail(
            f"no `sam build` output in {BUILD}: run `make sam-check` (it installs the SAM CLI "
            "and builds; `make test` and `make integration` run it first)",
            pytrace=False,
        )
    return BUILD


@pytest.mark.parametrize("artifact", ["MockmindFunction", "DependenciesLayer/python"])
def test_the_built_package_ships_unchecked_bytecode_for_every_module(
    built: Path, artifact: str
) -> None:
    # Lambda cannot write bytecode; without it every cold start compiles from source.
    root = built / artifact
    sources = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    assert len(sources) > 50, f"{root} holds {len(sources)} modules: run `make sam-check` again"
    missing, checked = [], []
    for source in sources:
        cached = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        if not cached.exists():
            missing.append(source)
            continue
        flags = int.from_bytes(cached.read_bytes()[4:8], "little")
        if flags != 1:  # hash-based, not checked against the source (PEP 552)
            checked.append(cached)
    assert missing == [], f"{len(missing)} modules without bytecode, such as {missing[:5]}"
    assert checked == [], f"{len(checked)} timestamp-checked .pyc files, such as {checked[:5]}"


def test_the_built_function_ships_the_web_ui(built: Path) -> None:
    # Served from the package's files (app/admin_ui.py): the function must carry them all.
    source = ROOT / "src" / "mockmind" / "app" / "ui"
    shipped = built / "MockmindFunction" / "mockmind" / "app" / "ui"
    names = sorted(path.name for path in source.iterdir())
    assert "index.html" in names
    assert sorted(path.name for path in shipped.iterdir()) == names
    for name in names:
        assert (shipped / name).read_bytes() == (source / name).read_bytes(), name
