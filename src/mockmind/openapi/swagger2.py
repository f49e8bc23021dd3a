"""Swagger 2.0 documents converted to OpenAPI 3.0 when they load, so one code path serves both.

The conversion is pure (the input is never changed) and follows the OpenAPI 3 names for what
2.0 said differently:

- ``host``, ``basePath`` and ``schemes`` become ``servers`` (one per scheme; a relative URL
  when there is no host);
- ``definitions``, ``parameters``, ``responses`` and ``securityDefinitions`` move under
  ``components`` (``schemas``, ``parameters``, ``requestBodies``, ``responses``,
  ``securitySchemes``), and every ``$ref`` into them is rewritten to the new place;
- a ``body`` parameter becomes the ``requestBody``, one content entry per media type the
  operation ``consumes`` (``application/json`` when it names none);
- ``formData`` parameters become one object schema under the form media types the operation
  consumes (``multipart/form-data`` when a parameter is a ``file``, else
  ``application/x-www-form-urlencoded``); a ``file`` is a binary string;
- a response's ``schema`` goes under each media type the operation ``produces``, its
  ``examples`` under theirs (a string example of a JSON media type that holds a JSON object or
  array is that value: 2.0 documents often wrote the example as text);
- ``collectionFormat`` becomes ``style``/``explode`` (``csv`` the form or simple style unexploded,
  ``multi`` form exploded, ``ssv`` and ``pipes`` space- and pipe-delimited; ``tsv``, which
  OpenAPI 3 cannot say, reads as ``csv``);
- ``x-nullable: true`` becomes ``nullable: true``; a ``discriminator`` property name becomes a
  discriminator object; ``type: file`` becomes ``type: string, format: binary``.

References into other files are left as they are: their contents are read as OpenAPI 3.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

OPENAPI_VERSION = "3.0.3"

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_URLENCODED, _MULTIPART = _FORM_TYPES
_JSON = "application/json"
# Where each top-level 2.0 section's references point after the conversion.
_REF_PREFIXES = {
    "#/definitions/": "#/components/schemas/",
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
# The keywords a 2.0 non-body parameter, header or ``items`` object shares with a schema.
_SIMPLE_SCHEMA_KEYS = (
    "type",
    "format",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
)
# Schema keywords whose value is one schema, and those whose value is a list or map of them.
_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_MAPS = ("properties",)


def is_swagger2(raw: Any) -> bool:
    return isinstance(raw, Mapping) and str(raw.get("swagger", "")).startswith("2.")


def convert(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0 document equivalent to the Swagger 2.0 document ``raw``."""
    return _Converter(raw).document()


def rewrite_ref(ref: str) -> str:
    """``#/definitions/Pet`` as ``#/components/schemas/Pet`` (and so on); others unchanged."""
    for old, new in _REF_PREFIXES.items():
        if ref.startswith(old):
            return new + ref[len(old) :]
    return ref


def convert_schema(schema: Any) -> Any:
    """A 2.0 schema object as an OpenAPI 3.0 one (refs, ``x-nullable``, ``file``, discriminator)."""
    if isinstance(schema, list):
        return [convert_schema(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            converted[key] = rewrite_ref(value)
        elif key in _SUBSCHEMA or key in _SUBSCHEMA_LISTS:
            converted[key] = convert_schema(value)
        elif key in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            converted[key] = {name: convert_schema(sub) for name, sub in value.items()}
        elif key == "x-nullable":
            if value is True:
                converted["nullable"] = True
        elif key == "discriminator" and isinstance(value, str):
            converted[key] = {"propertyName": value}
        elif key == "type" and value == "file":
            converted["type"] = "string"
            converted["format"] = "binary"
        else:
            converted[key] = value
    return converted


def style_of(location: str, collection_format: Any) -> dict[str, Any]:
    """The ``style``/``explode`` of a 2.0 array parameter in ``location`` (``{}``: the default)."""
    if location in ("query", "formData"):
        if collection_format == "multi":
            return {"style": "form", "explode": True}
        if collection_format == "ssv":
            return {"style": "spaceDelimited", "explode": False}
        if collection_format == "pipes":
            return {"style": "pipeDelimited", "explode": False}
        return {"style": "form", "explode": False}
    # Path and header arrays are comma-separated in both versions (simple, not exploded).
    return {}


def simple_schema(node: Mapping[str, Any]) -> dict[str, Any]:
    """The schema of a 2.0 non-body parameter, header or ``items`` object."""
    schema: dict[str, Any] = {key: node[key] for key in _SIMPLE_SCHEMA_KEYS if key in node}
    if isinstance(node.get("items"), Mapping):
        schema["items"] = simple_schema(node["items"])
    if node.get("x-nullable") is True:
        schema["nullable"] = True
    return convert_schema(schema)  # type: ignore[no-any-return]


def convert_security_scheme(scheme: Mapping[str, Any]) -> dict[str, Any]:
    kind = scheme.get("type")
    converted: dict[str, Any] = {k: v for k, v in scheme.items() if k.startswith("x-")}
    if "description" in scheme:
        converted["description"] = scheme["description"]
    if kind == "basic":
        converted.update(type="http", scheme="basic")
    elif kind == "apiKey":
        converted.update(type="apiKey", name=scheme.get("name"), **{"in": scheme.get("in")})
    elif kind == "oauth2":
        flow = scheme.get("flow")
        name = {
            "implicit": "implicit",
            "password": "password",
            "application": "clientCredentials",
            "accessCode": "authorizationCode",
        }.get(flow if isinstance(flow, str) else "", "implicit")
        details: dict[str, Any] = {"scopes": dict(scheme.get("scopes") or {})}
        if name in ("implicit", "authorizationCode"):
            details["authorizationUrl"] = scheme.get("authorizationUrl", "")
        if name != "implicit":
            details["tokenUrl"] = scheme.get("tokenUrl", "")
        converted.update(type="oauth2", flows={name: details})
    else:
        converted.update({k: v for k, v in scheme.items() if k != "description"})
    return converted


def servers_of(raw: Mapping[str, Any]) -> list[dict[str, str]]:
    host = raw.get("host")
    base_path = raw.get("basePath")
    base = base_path if isinstance(base_path, str) and base_path.startswith("/") else ""
    base = base.rstrip("/")
    if not isinstance(host, str) or not host:
        return [{"url": base or "/"}]
    schemes = [s for s in raw.get("schemes") or [] if isinstance(s, str)] or ["https"]
    return [{"url": f"{scheme}://{host}{base}"} for scheme in schemes]


def example_value(media_type: str, value: Any) -> Any:
    if isinstance(value, str) and _is_json(media_type) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == _JSON or essence.endswith("+json")


def _extensions(node: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if isinstance(k, str) and k.startswith("x-")}


def _media_types(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return None


class _Converter:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.consumes = _media_types(raw.get("consumes")) or []
        self.produces = _media_types(raw.get("produces")) or []
        params = raw.get("parameters")
        self.parameters: Mapping[str, Any] = params if isinstance(params, Mapping) else {}

    def document(self) -> dict[str, Any]:
        raw = self.raw
        out: dict[str, Any] = {"openapi": OPENAPI_VERSION}
        for key in ("info", "tags", "externalDocs", "security"):
            if key in raw:
                out[key] = raw[key]
        out["servers"] = servers_of(raw)
        paths = raw.get("paths")
        out["paths"] = (
            {template: self.path_item(item) for template, item in paths.items()}
            if isinstance(paths, Mapping)
            else paths
        )
        components = self.components()
        if components:
            out["components"] = components
        out.update(_extensions(raw))
        return out

    def components(self) -> dict[str, Any]:
        raw = self.raw
        components: dict[str, Any] = {}
        definitions = raw.get("definitions")
        if isinstance(definitions, Mapping):
            components["schemas"] = {n: convert_schema(s) for n, s in definitions.items()}
        parameters: dict[str, Any] = {}
        bodies: dict[str, Any] = {}
        for name, param in self.parameters.items():
            if not isinstance(param, Mapping):
                continue
            if param.get("in") == "body":
                bodies[name] = self.request_body(param, self.consumes)
            elif param.get("in") != "formData":
                # formData parameters are merged into each operation's form body instead.
                parameters[name] = self.parameter(param)
        if parameters:
            components["parameters"] = parameters
        if bodies:
            components["requestBodies"] = bodies
        responses = raw.get("responses")
        if isinstance(responses, Mapping):
            components["responses"] = {
                name: self.response(response, self.produces) for name, response in responses.items()
            }
        schemes = raw.get("securityDefinitions")
        if isinstance(schemes, Mapping):
            components["securitySchemes"] = {
                name: convert_security_scheme(scheme)
                for name, scheme in schemes.items()
                if isinstance(scheme, Mapping)
            }
        return components

    # -- paths and operations -------------------------------------------------------------------

    def path_item(self, item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        shared = self.resolved_parameters(item.get("parameters"))
        out: dict[str, Any] = {}
        for key, value in item.items():
            if key in _METHODS and isinstance(value, Mapping):
                out[key] = self.operation(value, shared)
            elif key == "parameters":
                kept = [self.parameter_or_ref(p) for p in shared if not _in_body(p[1])]
                if kept:
                    out[key] = kept
            else:
                out[key] = value
        return out

    def resolved_parameters(self, params: Any) -> list[tuple[Any, Mapping[str, Any]]]:
        """Each parameter as (as written, the object it is or its ``#/parameters/…`` target)."""
        found: list[tuple[Any, Mapping[str, Any]]] = []
        for param in params if isinstance(params, list) else []:
            target = param
            if isinstance(param, Mapping) and isinstance(param.get("$ref"), str):
                ref = param["$ref"]
                if ref.startswith("#/parameters/"):
                    target = self.parameters.get(_unescape(ref[len("#/parameters/") :]), {})
            if isinstance(target, Mapping):
                found.append((param, target))
        return found

    def operation(
        self, op: Mapping[str, Any], shared: list[tuple[Any, Mapping[str, Any]]]
    ) -> dict[str, Any]:
        consumes = _media_types(op.get("consumes"))
        produces = _media_types(op.get("produces"))
        consumes = self.consumes if consumes is None else consumes
        produces = self.produces if produces is None else produces
        own = self.resolved_parameters(op.get("parameters"))
        # An operation's parameter overrides the path's of the same name and location.
        names = {(p.get("name"), p.get("in")) for _, p in own}
        merged = [p for p in shared if (p[1].get("name"), p[1].get("in")) not in names] + own
        out: dict[str, Any] = {}
        for key, value in op.items():
            if key in ("consumes", "produces", "schemes"):
                continue
            if key == "parameters":
                kept = [self.parameter_or_ref(p) for p in own if not _in_body(p[1])]
                if kept:
                    out[key] = kept
            elif key == "responses" and isinstance(value, Mapping):
                out[key] = {
                    status: self.response(response, produces) for status, response in value.items()
                }
            else:
                out[key] = value
        body = [p for _, p in merged if p.get("in") == "body"]
        form = [p for _, p in merged if p.get("in") == "formData"]
        if body:
            out["requestBody"] = self.request_body(body[0], consumes)
        elif form:
            out["requestBody"] = self.form_body(form, consumes)
        return out

    # -- parameters and bodies ------------------------------------------------------------------

    def parameter_or_ref(self, written_and_target: tuple[Any, Mapping[str, Any]]) -> Any:
        written, target = written_and_target
        if isinstance(written, Mapping) and isinstance(written.get("$ref"), str):
            return {"$ref": rewrite_ref(written["$ref"])}
        return self.parameter(target)

    def parameter(self, param: Mapping[str, Any]) -> dict[str, Any]:
        location = param.get("in")
        out: dict[str, Any] = {"name": param.get("name"), "in": location}
        for key in ("description", "required", "allowEmptyValue", "deprecated", "example"):
            if key in param:
                out[key] = param[key]
        if location == "path":
            out["required"] = True
        if "schema" in param:  # not 2.0, but written by hand-converted documents: keep it
            out["schema"] = convert_schema(param["schema"])
        else:
            out["schema"] = simple_schema(param)
        if param.get("type") == "array":
            out.update(style_of(str(location), param.get("collectionFormat")))
        out.update(_extensions(param))
        out.pop("x-nullable", None)
        return out

    def request_body(self, param: Mapping[str, Any], consumes: list[str]) -> dict[str, Any]:
        schema = convert_schema(param.get("schema", {}))
        types = [t for t in consumes if t not in _FORM_TYPES] or consumes or [_JSON]
        out: dict[str, Any] = {"content": {t: {"schema": schema} for t in types}}
        if "description" in param:
            out["description"] = param["description"]
        if param.get("required") is True:
            out["required"] = True
        if "x-examples" in param and isinstance(param["x-examples"], Mapping):
            for media_type, example in param["x-examples"].items():
                if media_type in out["content"]:
                    out["content"][media_type]["example"] = example_value(media_type, example)
        out.update({k: v for k, v in _extensions(param).items() if k != "x-examples"})
        return out

    def form_body(self, form: Sequence[Mapping[str, Any]], consumes: list[str]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        for param in form:
            name = str(param.get("name"))
            schema = simple_schema(param)
            if "description" in param:
                schema["description"] = param["description"]
            properties[name] = schema
            if param.get("required") is True:
                required.append(name)
            if param.get("type") == "array":
                encoding[name] = style_of("formData", param.get("collectionFormat"))
        form_schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            form_schema["required"] = required
        has_file = any(p.get("type") == "file" for p in form)
        types = [t for t in consumes if t in _FORM_TYPES] or [
            _MULTIPART if has_file else _URLENCODED
        ]
        content: dict[str, Any] = {}
        for media_type in types:
            entry: dict[str, Any] = {"schema": form_schema}
            if encoding and media_type == _URLENCODED:
                entry["encoding"] = encoding
            content[media_type] = entry
        out: dict[str, Any] = {"content": content}
        if required:
            out["required"] = True
        return out

    # -- responses ------------------------------------------------------------------------------

    def response(self, response: Any, produces: list[str]) -> Any:
        if not isinstance(response, Mapping):
            return response
        if isinstance(response.get("$ref"), str):
            return {"$ref": rewrite_ref(response["$ref"])}
        out: dict[str, Any] = {"description": response.get("description", "")}
        examples = response.get("examples")
        examples = examples if isinstance(examples, Mapping) else {}
        content: dict[str, Any] = {}
        if "schema" in response:
            schema = convert_schema(response["schema"])
            for media_type in produces or [_JSON]:
                content[media_type] = {"schema": schema}
        for media_type, example in examples.items():
            entry = content.setdefault(media_type, {})
            if "schema" not in entry and "schema" in response:
                entry["schema"] = convert_schema(response["schema"])
            entry["example"] = example_value(media_type, example)
        if content:
            out["content"] = content
        headers = response.get("headers")
        if isinstance(headers, Mapping):
            out["headers"] = {
                name: self.header(header)
                for name, header in headers.items()
                if isinstance(header, Mapping)
            }
        out.update(_extensions(response))
        return out

    def header(self, header: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": simple_schema(header)}
        if "description" in header:
            out["description"] = header["description"]
        out.update(_extensions(header))
        out.pop("x-nullable", None)
        return out


def _in_body(param: Mapping[str, Any]) -> bool:
    return param.get("in") in ("body", "formData")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")
