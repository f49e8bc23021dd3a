"""An independent check of responses against the example specs.

It shares no code with mockmind's own validation: paths are matched here with plain regexes
and schemas checked with openapi-schema-validator's OAS 3.0 / 3.1 validators.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.paths import EXAMPLES

_URI = "urn:spec"


@cache
def load_spec(name: str) -> dict[str, Any]:
    with (EXAMPLES / name / "openapi.yaml").open() as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"^{pattern}/?$")


def operation_for(name: str, method: str, path: str) -> tuple[str, dict[str, Any]]:
    spec = load_spec(name)
    candidates = [t for t in spec["paths"] if _template_regex(t).match(path)]
    # Literal segments beat templated ones, as routers do.
    candidates.sort(key=lambda t: t.count("{"))
    for template in candidates:
        operation = spec["paths"][template].get(method.lower())
        if operation is not None:
            return template, operation
    raise AssertionError(f"{method} {path} is not in the {name} spec")


def response_schema(name: str, method: str, path: str, status: int) -> Any:
    _, operation = operation_for(name, method, path)
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    assert response is not None, f"status {status} is not declared for {method} {path}"
    if "$ref" in response:
        node: Any = load_spec(name)
        for part in response["$ref"].lstrip("#/").split("/"):
            node = node[part]
        response = node
    content = response.get("content")
    if not content:
        return None
    return content.get("application/json", next(iter(content.values()))).get("schema")


def assert_conforms(name: str, method: str, path: str, response: httpx.Response) -> None:
    schema = response_schema(name, method, path, response.status_code)
    if schema is None:
        assert not response.content, "a response without content in the spec has a body"
        return
    spec = load_spec(name)
    is_31 = str(spec["openapi"]).startswith("3.1")
    # The schema is placed inside a copy of the document so its #/components refs resolve.
    root = {"$ref": f"{_URI}#/__probe__"}
    document = {**spec, "__probe__": schema}
    registry: Registry[Any] = Registry().with_resource(
        _URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    validator_class = OAS31Validator if is_31 else OAS30ReadValidator
    validator = validator_class(root, registry=registry)
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())
    ]
    assert not errors, f"{method} {path} -> {response.status_code} breaks its schema: {errors[:5]}"
