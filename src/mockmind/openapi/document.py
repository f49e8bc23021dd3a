"""An OpenAPI 3.0/3.1 document: loading, lazy ``$ref`` resolution, operations and routing.

A Swagger 2.0 document is converted to OpenAPI 3.0 as it loads (:mod:`.swagger2`).

Nothing is inlined and nothing is computed up front beyond parsing: references are followed
when asked for and cached, operations are assembled the first time they are routed to, and the
router is built on the first ``match``. A 10 MB, 800-path JSON document is ready in the time
``json.loads`` takes.

References are URIs. The main document is ``file:///…/openapi.yaml``; ``#/components/…`` is a
JSON pointer into it and ``common.yaml#/…`` one into a sibling file, loaded once. References
inside an external file are rewritten to absolute URIs when it is loaded, so a schema handed
out from it can be followed by anyone holding only the ``$ref`` string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from jsonschema.protocols import Validator

from mockmind.domain.errors import (
    ConfigError,
    ConfigIssue,
    MethodNotAllowed,
    RouteNotFound,
)
from mockmind.openapi.errors import UnresolvableRef
from mockmind.openapi.loading import decode_text, line_of_key, load_file, parse_bytes, read_bytes
from mockmind.openapi.model import HTTP_METHODS, MatchedOperation, Operation
from mockmind.openapi.operations import Shared, build_operation
from mockmind.openapi.pointers import child_uri, follow_pointer
from mockmind.openapi.routing import NoRoute, RouteEntry, Router, server_base_paths
from mockmind.openapi.schemas import Context, SchemaValidators
from mockmind.openapi.swagger2 import convert, is_swagger2

_VERSION = re.compile(r"^3\.([01])(?:\.\d+)?(?:[-+].*)?$")
# A chain of bare references longer than this is a cycle or a mistake either way.
_MAX_REF_CHAIN = 64


class OpenAPIDocument:
    def __init__(
        self,
        raw: Mapping[str, Any],
        *,
        path: Path,
        version: str,
        converted_from: str | None = None,
    ) -> None:
        self.raw = raw
        self.path = path
        self.version = version
        # "2.0" when the file is a Swagger 2.0 document that ``raw`` is the conversion of.
        self.converted_from = converted_from
        self.uri = path.resolve().as_uri()
        # as_uri percent-encodes "#" and "?": what follows this prefix is the whole fragment.
        self._in_main = self.uri + "#"
        info = raw.get("info")
        title = info.get("title") if isinstance(info, Mapping) else None
        self.title: str = title if isinstance(title, str) and title else path.stem
        self._files: dict[str, Any] = {self.uri: raw}
        self._resolved: dict[str, Any] = {}
        # id(node) -> (node, uri): lets a schema object handed back to ``validator`` be validated
        # in place (its relative refs resolving against its own file). The node is kept with
        # its id so a recycled id can never be mistaken for it.
        self._locations: dict[int, tuple[Any, str]] = {}
        self._operations: dict[tuple[str, str], Operation] = {}
        # Referenced parameters and responses, built once for every operation naming them.
        self._shared_parts: Shared = {}
        self._router: Router | None = None
        dialect = raw.get("jsonSchemaDialect") if version == "3.1" else None
        self._validators = SchemaValidators(
            main_uri=self.uri,
            contents=raw,
            version=version,
            dialect=dialect if isinstance(dialect, str) else None,
            retrieve=self._file_contents,
        )

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str) -> OpenAPIDocument:
        path = Path(path)
        data = read_bytes(path)
        raw = parse_bytes(data, path)
        converted_from = None
        if is_swagger2(raw):
            converted_from = "2.0"
            raw = convert(raw)
        version = _check_document(raw, data, path)
        return cls(raw, path=path, version=version, converted_from=converted_from)

    def _file_contents(self, file_uri: str) -> Any:
        """The parsed contents of a referenced file (``file:`` URIs only), loaded once."""
        file_uri = urldefrag(file_uri).url
        if file_uri in self._files:
            return self._files[file_uri]
        parts = urlsplit(file_uri)
        if parts.scheme != "file":
            raise UnresolvableRef(
                file_uri,
                "only local files can be referenced (mockmind does not fetch remote documents)",
                source=str(self.path),
            )
        # Imported here: urllib.request loads http.client and more, which a document without
        # external files never needs (about 1% of a mock-only Lambda cold start).
        from urllib.request import url2pathname  # noqa: PLC0415

        target = Path(url2pathname(parts.path))
        try:
            contents = load_file(target)
        except ConfigError as exc:
            raise UnresolvableRef(
                file_uri, "; ".join(str(issue) for issue in exc.issues), source=str(self.path)
            ) from exc
        contents = _absolute_refs(contents, file_uri)
        self._files[file_uri] = contents
        return contents

    # -- references ---------------------------------------------------------------------------

    def absolute(self, ref: str, base: str | None = None) -> str:
        """``ref`` as an absolute URI, relative to ``base`` (by default the main document)."""
        if ref.startswith(self._in_main):
            # Already one (each link of a $ref chain is looked up by its absolute URI): what
            # urljoin answers, without parsing it (a tenth of building GitHub's operations).
            return ref
        return _join(base or self.uri, "#" + ref if ref.startswith("/") else ref)

    def public(self, uri: str) -> str:
        """``uri`` as shown to callers: ``#/…`` inside the main document, absolute elsewhere."""
        if uri.startswith(self._in_main):
            return uri[len(self.uri) :]
        if uri == self.uri:
            return "#"
        return uri

    def locate(self, ref: str, base: str | None = None) -> tuple[Any, str]:
        """The node ``ref`` points at and its absolute URI (no chain following)."""
        uri = self.absolute(ref, base)
        if uri in self._resolved:
            return self._resolved[uri], uri
        if uri.startswith(self._in_main):
            file_uri, fragment = self.uri, uri[len(self._in_main) :]  # urldefrag's answer
        else:
            file_uri, fragment = urldefrag(uri)
        node = follow_pointer(self._file_contents(file_uri), fragment, uri, str(self.path))
        self._resolved[uri] = node
        self.remember(node, uri)
        return node, uri

    def resolve(self, ref: str) -> Any:
        """The node at ``ref`` (``#/components/schemas/Pet``, ``common.yaml#/…``)."""
        return self.locate(ref)[0]

    def deref_located(self, node: Any, uri: str) -> tuple[Any, str]:
        """Follow a chain of ``$ref``s from ``node`` (found at ``uri``) to a real node."""
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            target = self.absolute(node["$ref"], uri)
            if target in seen or len(seen) >= _MAX_REF_CHAIN:
                raise UnresolvableRef(
                    node["$ref"],
                    "circular $ref chain: " + " -> ".join([*seen, target]),
                    source=str(self.path),
                )
            seen.append(target)
            node, uri = self.locate(target)
        return node, uri

    def deref(self, node: Any) -> Any:
        """``node`` itself, or what its chain of ``$ref``s ends at (refs relative to the main
        document; those inside external files are already absolute)."""
        return self.deref_located(node, self.uri)[0]

    def resolve_ref(self, ref: str) -> Mapping[str, Any]:
        """For schema generators: the schema a ``$ref`` string names, chains followed."""
        node, _ = self.deref_located({"$ref": ref}, self.uri)
        if node is True:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, Mapping):
            raise UnresolvableRef(ref, "does not point at a schema object", source=str(self.path))
        return node

    def schema_at(self, pointer: str) -> Any:
        return self.resolve(pointer)

    def remember(self, node: Any, uri: str) -> None:
        if isinstance(node, Mapping):
            self._locations[id(node)] = (node, uri)

    def location_of(self, node: Any) -> str | None:
        found = self._locations.get(id(node))
        return found[1] if found is not None and found[0] is node else None

    # -- validation -----------------------------------------------------------------------------

    def validator(self, schema_or_pointer: Any, context: Context = None) -> Validator:
        """A cached validator for a pointer (``#/components/schemas/Pet``) or a schema object.

        ``context`` ``"request"`` lets ``readOnly`` properties be missing, ``"response"`` lets
        ``writeOnly`` ones be missing."""
        if isinstance(schema_or_pointer, str):
            uri = self.absolute(schema_or_pointer)
            self.locate(uri)  # fail now, with the document's name, not mid-validation
            return self._validators.for_uri(uri, context)
        location = self.location_of(schema_or_pointer)
        if location is not None:
            return self._validators.for_uri(location, context)
        return self._validators.for_schema(schema_or_pointer, context, prepare=self._ad_hoc_schema)

    def _ad_hoc_schema(self, schema: Any) -> Any:
        """A caller-built schema: its refs mean the main document unless they point inside it."""

        def rewrite(ref: str) -> str:
            if ref.startswith("#"):
                try:
                    follow_pointer(schema, urldefrag(ref).fragment, ref, "")
                except UnresolvableRef:
                    return self.absolute(ref)
                return ref
            return self.absolute(ref)

        return _map_refs(schema, rewrite)

    # -- operations and routing --------------------------------------------------------------

    def _paths(self) -> Mapping[str, Any]:
        paths = self.raw.get("paths")
        return paths if isinstance(paths, Mapping) else {}

    def path_item(self, template: str) -> tuple[Mapping[str, Any], str]:
        node, uri = self.deref_located(
            self._paths()[template], child_uri(self.uri, "paths", template)
        )
        return (node if isinstance(node, Mapping) else {}), uri

    def route_table(self) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
        """(template, method, path item, operation object) in document order."""
        for template in self._paths():
            item, _ = self.path_item(template)
            for key, op in item.items():
                if key in HTTP_METHODS and isinstance(op, Mapping):
                    yield template, key.upper(), item, op

    def operation(self, path_template: str, method: str) -> Operation:
        key = (path_template, method.upper())
        found = self._operations.get(key)
        if found is None:
            # setdefault: the start-up example check builds operations in its own thread,
            # and every caller must get the same one.
            found = self._operations.setdefault(
                key, build_operation(self, path_template, method.upper(), self._shared_parts)
            )
        return found

    def routes(self) -> list[tuple[str, str]]:
        """(path template, upper-case method) of every operation, without building them."""
        return [(template, method) for template, method, _, _ in self.route_table()]

    def operations(self) -> Iterator[Operation]:
        for template, method, _, _ in self.route_table():
            yield self.operation(template, method)

    @property
    def router(self) -> Router:
        if self._router is None:
            root_servers = self.raw.get("servers")
            entries = [
                RouteEntry(
                    template,
                    method,
                    # Every level's servers mount the operation, not only the nearest level's:
                    # clients use any base path the document shows them.
                    server_base_paths(
                        [
                            *_listed(op.get("servers")),
                            *_listed(item.get("servers")),
                            *_listed(root_servers),
                        ]
                    ),
                )
                for template, method, item, op in self.route_table()
            ]
            self._router = Router(entries)
        return self._router

    def match(
        self, method: str, path: str, query: Mapping[str, Sequence[str]] | None = None
    ) -> MatchedOperation:
        try:
            found = self.router.match(method, path, query)
        except NoRoute as exc:
            if exc.allowed:
                raise MethodNotAllowed(method.upper(), path, exc.allowed) from None
            raise RouteNotFound(method.upper(), path) from None
        return MatchedOperation(self.operation(found.template, found.method), found.path_params)


def _listed(node: Any) -> list[Any]:
    return list(node) if isinstance(node, list) else []


def _map_refs(node: Any, rewrite: Any) -> Any:
    """A copy of ``node`` with every ``$ref`` string (and discriminator mapping) rewritten."""
    if isinstance(node, dict):
        copied: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                copied[key] = rewrite(value)
            elif key == "discriminator" and isinstance(value, Mapping):
                copied[key] = _map_discriminator(value, rewrite)
            else:
                copied[key] = _map_refs(value, rewrite)
        return copied
    if isinstance(node, list):
        return [_map_refs(item, rewrite) for item in node]
    return node


def _map_discriminator(discriminator: Mapping[str, Any], rewrite: Any) -> dict[str, Any]:
    copied = dict(discriminator)
    mapping = discriminator.get("mapping")
    if isinstance(mapping, Mapping):
        copied["mapping"] = {
            name: rewrite(target)
            if isinstance(target, str) and ("#" in target or "/" in target or "." in target)
            else target
            for name, target in mapping.items()
        }
    return copied


def _absolute_refs(contents: Any, file_uri: str) -> Any:
    return _map_refs(contents, lambda ref: urljoin(file_uri, ref))


def _check_document(raw: Any, data: bytes, path: Path) -> str:
    """The OpenAPI minor version ("3.0" or "3.1"), or a ConfigError naming every problem."""
    source = str(path)

    def issue(key: str, message: str, line_key: str | None = None) -> ConfigIssue:
        # Decoded only here: a document without problems was parsed without its text.
        line = line_of_key(decode_text(data, path), line_key) if line_key else None
        return ConfigIssue(key, message, line=line, source=source)

    if not isinstance(raw, Mapping):
        kind = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError([issue("", f"not an OpenAPI document: the file is {kind}")])
    if "swagger" in raw:
        raise ConfigError(
            [
                issue(
                    "swagger",
                    f"Swagger {raw['swagger']} documents are not supported; mockmind reads "
                    "Swagger 2.0 and OpenAPI 3.0.x and 3.1.x",
                    "swagger",
                )
            ]
        )
    if "openapi" not in raw:
        raise ConfigError(
            [issue("openapi", "not an OpenAPI 3.x document: there is no 'openapi' field")]
        )
    declared = str(raw["openapi"])
    version = _VERSION.match(declared)
    issues: list[ConfigIssue] = []
    if version is None:
        issues.append(
            issue(
                "openapi",
                f"unsupported OpenAPI version {declared!r}; mockmind reads 3.0.x and 3.1.x",
                "openapi",
            )
        )
    paths = raw.get("paths")
    if paths is not None and not isinstance(paths, Mapping):
        issues.append(issue("paths", "must be a mapping of path templates", "paths"))
    elif isinstance(paths, Mapping):
        for template, item in paths.items():
            if not template.startswith("/"):
                issues.append(issue(f"paths.{template}", "must start with '/'", template))
            elif not isinstance(item, Mapping):
                issues.append(
                    issue(f"paths.{template}", "must be a path item (a mapping)", template)
                )
    if issues:
        raise ConfigError(issues)
    assert version is not None
    return f"3.{version.group(1)}"


def _join(base: str, ref: str) -> str:
    if ref.startswith("#/"):
        # A JSON-pointer-only reference keeps the base's document (RFC 3986, 5.2.2): no parsing.
        # Nearly every reference is one, from a base that differs per node, which a cache
        # of urljoin's answers cannot help (a third of a big document's start-up).
        return base.partition("#")[0] + ref
    if not ref:
        # The empty reference is the base's document itself (RFC 3986, 5.2.2 drops the base's
        # fragment); urljoin answers the base unchanged, fragment included, which made
        # `$ref: ""` inside a schema point back at that schema instead of at the document.
        return base.partition("#")[0]
    return _urljoin(base, ref)


@lru_cache(maxsize=65_536)
def _urljoin(base: str, ref: str) -> str:
    # urljoin parses both URIs every time; the same few thousand pairs recur on every request.
    return urljoin(base, ref)
