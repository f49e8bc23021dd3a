"""The document's response examples, checked against their schemas.

An example that breaks its own schema (a required field missing, a wrong type, an object
written as a JSON string) would be served as it is and break every client that validates.
Each is checked when it is first served (the repair needs its error), and the server lists
them all once (JSON pointer and first error) as soon as it is serving: checking a big
document's every example at load would hold its first answer back by seconds. The engine
serves them repaired unless the config says ``examples: as_is``. Only JSON media types
are checked: an XML or text example is text, whatever the schema says.
"""

from __future__ import annotations

from typing import Any

from mockmind.lean_dataclass import dataclass
from mockmind.openapi.document import OpenAPIDocument
from mockmind.openapi.media import is_json
from mockmind.openapi.responses import ExampleChoice, media_examples
from mockmind.openapi.schemas import iter_errors


@dataclass(frozen=True)
class ExampleProblem:
    pointer: str
    error: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.error}"


class ExampleCheck:
    """The first error of each response example, worked out once per example."""

    def __init__(self, document: OpenAPIDocument) -> None:
        self._document = document
        self._errors: dict[str, str | None] = {}

    def all_problems(self) -> list[ExampleProblem]:
        """Every response example of the document that breaks its schema, in document order."""
        problems: list[ExampleProblem] = []
        for operation in self._document.operations():
            for response in operation.responses.values():
                for media in response.content.values():
                    for example in media_examples(operation, media):
                        error = self.error(media.schema, media.schema_pointer, media.name, example)
                        if error is not None and example.pointer is not None:
                            problems.append(ExampleProblem(example.pointer, error))
        # An example a $ref shares between operations is one problem.
        return list({p.pointer: p for p in problems}.values())

    def error(
        self,
        schema: Any,
        schema_pointer: str | None,
        media_type: str | None,
        example: ExampleChoice,
    ) -> str | None:
        """The example's first error against the media type's schema; None when it fits."""
        if not example.found or schema is None or not is_json(media_type):
            return None
        key = example.pointer or ""
        if key and key in self._errors:
            return self._errors[key]
        found = self._first_error(schema_pointer or schema, example.value)
        if key:
            self._errors[key] = found
        return found

    def _first_error(self, target: Any, value: Any) -> str | None:
        validator = self._document.validator(target, context="response")
        errors = iter_errors(validator, value, limit=1)
        if not errors:
            return None
        error = errors[0]
        where = "/".join(str(p) for p in error.absolute_path)
        return f"{'/' + where if where else '(root)'}: {error.message}"
