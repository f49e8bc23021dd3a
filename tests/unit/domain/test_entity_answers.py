"""An entity's answer (``Answers.body_for``): the entity where it fits the answer's schema, else
what is made of it. It is worked out once per plan and content: each later answer is the same,
and each caller's copy is its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mockmind.domain.engine.answers import Answers
from mockmind.domain.generation import OfflineGenerator
from mockmind.openapi.description import OpenAPIDescription
from mockmind.ports.api_description import ResponsePlan

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "answers", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "User": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "password": {"type": "string", "writeOnly": True},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Receipt": {
                "type": "object",
                "required": ["receipt_id", "total"],
                "additionalProperties": False,
                "properties": {
                    "receipt_id": {"type": "string"},
                    "total": {"type": "number"},
                    "lines": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def _answers(tmp_path: Path) -> tuple[Answers, ResponsePlan, ResponsePlan]:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(DOCUMENT))
    api = OpenAPIDescription.load(path)
    answers = Answers(api, OfflineGenerator(api.resolve_ref))

    def plan(name: str) -> ResponsePlan:
        pointer = f"#/components/schemas/{name}"
        return ResponsePlan(200, schema={"$ref": pointer}, schema_key=pointer)

    return answers, plan("User"), plan("Receipt")


def test_an_entity_that_fits_is_its_answer_each_time(tmp_path: Path) -> None:
    answers, user, _ = _answers(tmp_path)
    entity = {"id": "u1", "name": "Ada", "tags": ["a"]}
    for _ in range(3):
        own = json.loads(json.dumps(entity))
        assert answers.body_for(user, own) == entity


def test_a_hidden_field_is_left_out_each_time(tmp_path: Path) -> None:
    answers, user, _ = _answers(tmp_path)
    entity = {"id": "u1", "name": "Ada", "password": "secret"}
    first = answers.body_for(user, dict(entity))
    second = answers.body_for(user, dict(entity))
    assert first == second == {"id": "u1", "name": "Ada"}


def test_an_answer_made_of_an_entity_is_the_same_each_time_and_each_callers_own(
    tmp_path: Path,
) -> None:
    answers, _, receipt = _answers(tmp_path)
    entity = {"id": "o1", "total": 12.5, "customer": "ada"}
    first = answers.body_for(receipt, dict(entity))
    assert first["total"] == 12.5
    assert set(first) <= {"receipt_id", "total", "lines"}
    made = json.loads(json.dumps(first))
    first["total"] = 0
    first.setdefault("lines", []).append("edited")
    assert answers.body_for(receipt, dict(entity)) == made
    # Another entity's content is another answer.
    assert answers.body_for(receipt, {**entity, "total": 3})["total"] == 3
