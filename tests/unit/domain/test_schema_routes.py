"""Response plans of the config's ``schemas:`` served without a document."""

from __future__ import annotations

from mockmind.domain.http import MockRequest
from mockmind.domain.schema_routes import GENERIC_RESOURCE, SchemaRoutes

SCHEMAS = {
    "User": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    }
}


def plan_schema(routes: SchemaRoutes, method: str, path: str) -> object:
    request = MockRequest(method=method, path=path, headers={}, body=b"")
    return routes.plan_response(routes.route(request)).schema


def test_a_collection_lists_its_schema_and_an_item_is_one() -> None:
    routes = SchemaRoutes(SCHEMAS)
    assert plan_schema(routes, "GET", "/users") == {
        "type": "array",
        "items": {"$ref": "#/$defs/User"},
        "minItems": 1,
        "maxItems": 5,
    }
    assert plan_schema(routes, "GET", "/users/7") == {"$ref": "#/$defs/User"}
    assert plan_schema(routes, "POST", "/users") == {"$ref": "#/$defs/User"}
    assert plan_schema(routes, "GET", "/gadgets/3") == GENERIC_RESOURCE


def test_a_plan_names_the_same_schema_object_on_every_request() -> None:
    # The generator keeps a plan schema's flattened form by its identity: a schema made anew
    # per request would be flattened again each time and fill that memo with single-use entries.
    routes = SchemaRoutes(SCHEMAS)
    for path in ("/users", "/users/7", "/gadgets", "/gadgets/3"):
        assert plan_schema(routes, "GET", path) is plan_schema(routes, "GET", path)
    assert plan_schema(routes, "PUT", "/users/7") is plan_schema(routes, "GET", "/users/8")
