"""Response schemas no finite JSON value satisfies: the document's own contradiction.

circular-request-bodies-3.0's ``TreeNode`` requires ``parent``, itself a ``TreeNode`` that is
neither nullable nor offered as one branch of a ``oneOf``: every valid tree is infinite, so any
answer a server sends breaks the schema. Such a failure says nothing about the server (class X).

The test is a least fixpoint over the document's local ``$ref``s: a schema is *finite* when some
finite value satisfies it as far as this reading can tell. It errs towards finite (anything it
does not model, an external ``$ref``, ``not``, ``if``..., counts as satisfiable, and ``allOf``
branches are not intersected), so a schema is called bottomless only when no finite value can
satisfy it: an object type whose required properties all have finite values, an array whose
``minItems`` needs its items, a null, an ``enum`` or any non-object type end the recursion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Schema = Any

# A response status, as the document keys it ("200", "2XX", "default"), by operation.
Bottomless = dict[tuple[str, str], frozenset[str]]

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def bottomless_responses(document: dict[str, Any]) -> Bottomless:
    """The responses, by (method in capitals, path template), whose every schema (3.x: each
    media type's; 2.0: the response's) no finite value satisfies."""
    finite = _finite_references(document)
    found: Bottomless = {}
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            statuses = []
            for status, response in (operation.get("responses") or {}).items():
                schemas = _response_schemas(resolve_local(document, response))
                if schemas and not any(_finite(s, finite) for s in schemas):
                    statuses.append(str(status))
            if statuses:
                found[(method.upper(), str(template))] = frozenset(statuses)
    return found


def documented_key(status: int, documented: frozenset[str] | tuple[str, ...]) -> str | None:
    """The response an answer's status falls under: its exact code, its range, or default."""
    keys = {key.upper(): key for key in documented}
    for candidate in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
        if candidate in keys:
            return keys[candidate]
    return None


def schema_is_finite(schema: Schema, document: dict[str, Any]) -> bool:
    """Whether some finite value satisfies ``schema`` (its local ``$ref``s into ``document``)."""
    return _finite(schema, _finite_references(document))


def _response_schemas(response: Any) -> list[Schema]:
    if not isinstance(response, dict):
        return []
    if "schema" in response:
        return [response["schema"]]
    content = response.get("content")
    if not isinstance(content, dict):
        return []
    return [m["schema"] for m in content.values() if isinstance(m, dict) and "schema" in m]


def _finite_references(document: dict[str, Any]) -> Callable[[str], bool]:
    """A lookup of which local ``$ref``s are finite, from the least fixpoint: every reference
    starts as bottomless, and one turns finite when its target is finite given the others."""
    references = sorted(_references(document))
    state = dict.fromkeys(references, False)
    lookup: Callable[[str], bool] = lambda ref: state.get(ref, True)  # noqa: E731
    changed = True
    while changed:
        changed = False
        for ref in references:
            if not state[ref] and _finite(resolve_local(document, {"$ref": ref}), lookup):
                state[ref] = True
                changed = True
    return lookup


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                found.add(ref)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def resolve_local(document: dict[str, Any], node: Any) -> Any:
    """A local ``$ref``'s target (one hop; None when it points nowhere), else the node."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    found: Any = document
    for escaped in ref[2:].split("/"):
        part = escaped.replace("~1", "/").replace("~0", "~")
        if isinstance(found, dict) and part in found:
            found = found[part]
        elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        else:
            return None
    return found


def _finite(schema: Schema, finite_ref: Callable[[str], bool]) -> bool:
    if schema is False:
        return False
    if not isinstance(schema, dict):
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str):
        # A $ref's siblings (ignored in 3.0, applied in 3.1) can only narrow it: leaving them
        # out errs towards finite.
        return finite_ref(ref) if ref.startswith("#/") else True
    if schema.get("nullable") is True or "enum" in schema or "const" in schema:
        return True
    every = schema.get("allOf")
    if isinstance(every, list) and not all(_finite(b, finite_ref) for b in every):
        return False
    for keyword in ("oneOf", "anyOf"):
        some = schema.get(keyword)
        if isinstance(some, list) and some and not any(_finite(b, finite_ref) for b in some):
            return False
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not types:
        # Any type: a value of a type the object and array keywords do not bind (a string).
        return True
    return any(_finite_of_type(str(t), schema, finite_ref) for t in types)


def _finite_of_type(kind: str, schema: dict[str, Any], finite_ref: Callable[[str], bool]) -> bool:
    if kind == "object":
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = required if isinstance(required, list) else []
        return all(
            _finite(properties[n], finite_ref)
            for n in names
            if isinstance(n, str) and n in properties
        )
    if kind == "array":
        minimum = schema.get("minItems")
        if isinstance(minimum, int) and minimum > 0:
            return _finite(schema.get("items", True), finite_ref)
        return True
    return True
