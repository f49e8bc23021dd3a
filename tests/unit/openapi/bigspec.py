"""A generated OpenAPI document of 1,000 paths and more than 10 MB, for load and routing tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESOURCES = 500  # two paths each: the collection and the item


def _schema(index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": {"type": "integer", "readOnly": True}}
    for field in range(48):
        properties[f"field_{field}"] = {
            "type": "string",
            "maxLength": 200,
            "description": f"Field {field} of resource {index}. " + "Lorem ipsum dolor sit. " * 4,
        }
    properties["owner"] = {"$ref": f"#/components/schemas/Resource{(index + 1) % RESOURCES}"}
    return {"type": "object", "required": ["id", "field_0"], "properties": properties}


def _responses(index: int, array: bool) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/Resource{index}"}
    return {
        "200": {
            "description": "OK " + "words " * 40,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": ref} if array else ref,
                    "example": {"id": index, "field_0": "x" * 200, "notes": ["n" * 100] * 10},
                }
            },
        },
        "404": {"$ref": "#/components/responses/NotFound"},
    }


def build_big_spec(path: Path) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": {"type": "object", "properties": {"m": {"type": "string"}}}}
    for index in range(RESOURCES):
        base = f"/resource{index}/items"
        query = [
            {"name": f"filter_{n}", "in": "query", "schema": {"type": "string"}} for n in range(8)
        ]
        paths[base] = {
            "get": {
                "operationId": f"list{index}",
                "parameters": query,
                "responses": _responses(index, array=True),
            },
            "post": {
                "operationId": f"create{index}",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/Resource{index}"}
                        }
                    }
                },
                "responses": _responses(index, array=False),
            },
        }
        paths[base + "/{itemId}"] = {
            "parameters": [
                {"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            **{
                method: {"operationId": f"{method}{index}", "responses": _responses(index, False)}
                for method in ("get", "put", "delete")
            },
        }
        schemas[f"Resource{index}"] = _schema(index)
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Big", "version": "1"},
        "servers": [{"url": "https://api.example.com/api/v2"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "NotFound": {
                    "description": "Missing",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
    path.write_text(json.dumps(document, indent=1))
    return document
