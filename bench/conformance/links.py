"""Links schemathesis refuses, left out of the copy of a document it is given.

schemathesis stops its stateful phase on the first link it cannot follow ("Invalid OpenAPI Links
Definition"): listennotes's ``POST /podcasts`` links to ``getPodcastsInBatch`` with a
``next_episode_pub_date`` parameter that operation does not have (a form field), peertube's
``GET /api/v1/oauth-clients/local`` to ``getOAuthToken`` with ``client_id`` (also a form field).
The document is wrong, not the server, and one such link used to cost the whole stateful phase.

The harness gives schemathesis a copy without the links schemathesis would refuse for the reasons
read here (a target operationId no operation has, a parameter without a ``path.``-style location
that the target does not declare, a ``$request.<location>.<name>`` the source does not declare);
the server is still served the document as published, and the cell lists what was left out.
Links refused for any other reason still end the stateful phase (class X, as before).
"""

from __future__ import annotations

import re
from typing import Any

from bench.conformance.bottomless import resolve_local

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# A parameter named ``location.name`` in a link: schemathesis takes the location as given.
_LOCATIONS = frozenset({"path", "query", "header", "cookie"})
_REQUEST_PARAMETER = re.compile(r"\$request\.(path|query|header|cookie)\.([^}\s]+)")


def without_broken_links(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``document`` without the links schemathesis would refuse, and each one left
    out (``POST /podcasts 200 paginate -> getPodcastsInBatch: no parameter next_episode_pub_date``);
    the document itself when there is none."""
    operations = _operations(document)
    by_id = {
        str(op["operationId"]): (item, op) for _, _, item, op in operations if "operationId" in op
    }
    dropped: list[str] = []
    kept_links: dict[tuple[str, str, str], dict[str, Any]] = {}
    for template, method, item, operation in operations:
        source = _parameters(document, item, operation)
        for status, listed in (operation.get("responses") or {}).items():
            response = resolve_local(document, listed)
            links = response.get("links") if isinstance(response, dict) else None
            if not isinstance(links, dict):
                continue
            kept = {}
            for name, link in links.items():
                problem = _problem(document, resolve_local(document, link), by_id, source)
                if problem is None:
                    kept[name] = link
                else:
                    dropped.append(f"{method.upper()} {template} {status} {name} -> {problem}")
            if len(kept) != len(links):
                kept_links[(template, method, str(status))] = kept
    if not dropped:
        return document, []
    copy = dict(document)
    copy["paths"] = dict(document["paths"])
    for (template, method, status), kept in kept_links.items():
        item = copy["paths"][template] = dict(copy["paths"][template])
        operation = item[method] = dict(item[method])
        responses = operation["responses"] = dict(operation["responses"])
        key = next(k for k in responses if str(k) == status)
        # A response reached through a $ref is copied inline, so the shared one stays whole.
        response = responses[key] = dict(resolve_local(document, responses[key]))
        response["links"] = kept
    return copy, dropped


def _problem(
    document: dict[str, Any],
    link: Any,
    by_id: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    source: set[tuple[str, str]],
) -> str | None:
    if not isinstance(link, dict) or "operationId" not in link:
        # operationRef and unresolved references: left to schemathesis.
        return None
    target_id = str(link["operationId"])
    if target_id not in by_id:
        return f"{target_id}: no such operation"
    item, operation = by_id[target_id]
    target = {name for _, name in _parameters(document, item, operation)}
    for parameter, expression in (link.get("parameters") or {}).items():
        location = str(parameter).rpartition(".")[0]
        if location not in _LOCATIONS and str(parameter) not in target:
            return f"{target_id}: no parameter {parameter}"
        for where, named in _REQUEST_PARAMETER.findall(str(expression)):
            if (where, named) not in source:
                return f"{target_id}: the source has no {where} parameter {named}"
    return None


def _operations(
    document: dict[str, Any],
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    found = []
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                found.append((str(template), method, item, operation))
    return found


def _parameters(
    document: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]
) -> set[tuple[str, str]]:
    """The (location, name) of the operation's parameters, path-level ones included."""
    found = set()
    for listed in (item.get("parameters") or []) + (operation.get("parameters") or []):
        parameter = resolve_local(document, listed)
        if isinstance(parameter, dict) and "name" in parameter:
            found.add((str(parameter.get("in", "")), str(parameter["name"])))
    return found
