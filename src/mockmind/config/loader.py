"""Load a config file: YAML with line numbers, ``${VAR}`` substitution, pydantic validation.

Every problem is reported at once with its key path and line, so a user fixes a file in one
pass instead of one error per start-up. The lines come from ruamel, which is imported and run
only when they are needed (a YAML error, a validation error, ``LoadedConfig.issue``) or when
libyaml's reading might differ from it (``plain_yaml``): a file that loads is read by libyaml.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mockmind.config.models import MockmindConfig
from mockmind.config.plain_yaml import UNSURE, load_plain
from mockmind.config.substitution import references, substitute
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.lean_dataclass import dataclass

DEFAULT_FILE = "mockmind.yaml"


@dataclass(frozen=True)
class LoadedConfig:
    config: MockmindConfig
    source: Path | None = None
    unset_variables: tuple[str, ...] = field(default=())
    tree: Any = field(default=None, repr=False, compare=False)
    # The file's text, for ruamel to read into ``tree`` when a problem needs its lines.
    text: str | None = field(default=None, repr=False, compare=False)

    def issue(self, loc: Sequence[Any], message: str) -> ConfigIssue:
        """A problem found after validation (a rule that does not parse), with its line."""
        if self.tree is None and self.text is not None:
            # Parsed once, on the first problem; frozen otherwise, so set past __setattr__.
            object.__setattr__(self, "tree", _ruamel_tree(self.text, self._name))
        key_path, line, column = _locate(self.tree, loc, is_key=False)
        return ConfigIssue(
            key_path or ".".join(map(str, loc)),
            message,
            line,
            column,
            str(self.source) if self.source else None,
        )

    @property
    def _name(self) -> str:
        return str(self.source) if self.source else "<config>"

    @property
    def base_dir(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def openapi_path(self) -> Path | None:
        if not self.config.openapi:
            return None
        path = Path(self.config.openapi)
        return path if path.is_absolute() else self.base_dir / path


def find_config_file(
    explicit: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> Path | None:
    """``--config``, then ``MOCKMIND_CONFIG``, then ``./mockmind.yaml``; None when none is set."""
    if explicit:
        return Path(explicit)
    if env.get("MOCKMIND_CONFIG"):
        return Path(env["MOCKMIND_CONFIG"])
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def load_config(path: Path, env: Mapping[str, str]) -> LoadedConfig:
    """The config in ``path``; ``env`` holds the variables its ``${VAR}`` references name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read config file: {exc.strerror}", source=str(path))]
        ) from exc
    return parse_config(text, source=path, env=env)


def parse_config(text: str, *, source: Path | None = None, env: Mapping[str, str]) -> LoadedConfig:
    unset: list[str] = []
    loaded = parse_yaml_model(
        text, MockmindConfig, source=source, convert=lambda values: _to_plain(values, env, unset)
    )
    return LoadedConfig(loaded.value, source, tuple(dict.fromkeys(unset)), loaded.tree, text)


@dataclass(frozen=True)
class LoadedYaml[ModelT: BaseModel]:
    """A YAML file validated as a pydantic model, and what places later problems in it."""

    value: ModelT
    tree: Any
    text: str
    source: Path | None = None

    def issue(self, loc: Sequence[Any], message: str) -> ConfigIssue:
        name = str(self.source) if self.source else "<config>"
        tree = self.tree if self.tree is not None else _ruamel_tree(self.text, name)
        key_path, line, column = _locate(tree, loc, is_key=False)
        source = str(self.source) if self.source else None
        return ConfigIssue(key_path or ".".join(map(str, loc)), message, line, column, source)


def parse_yaml_model[ModelT: BaseModel](
    text: str,
    model: type[ModelT],
    *,
    source: Path | None = None,
    convert: Callable[[Any], Any] | None = None,
) -> LoadedYaml[ModelT]:
    """``text`` as ``model``; a ConfigError with the line and key path of every problem.

    ``convert`` turns the parsed values into what the model validates (the config substitutes
    ``${VAR}`` there); by default, plain Python values. ``tree`` is ruamel's, when a problem
    or libyaml's doubt made it be read (None otherwise: ``issue`` reads it then).
    """
    name = str(source) if source else "<config>"
    tree: Any = None
    values = load_plain(text)
    if values is UNSURE:
        values = tree = _ruamel_tree(text, name)
    elif values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ConfigError([ConfigIssue("", "the file must be a mapping of keys", 1, source=name)])
    plain = convert(values) if convert is not None else _to_plain(values, {}, [])
    try:
        value = model.model_validate(plain)
    except ValidationError as exc:
        if tree is None:
            tree = _ruamel_tree(text, name)
        issues = [_issue(err, tree, name, model) for err in exc.errors()]
        issues.sort(key=lambda issue: (issue.line or 0, issue.column or 0))
        raise ConfigError(issues) from exc
    return LoadedYaml(value, tree, text, source)


def _ruamel_tree(text: str, name: str) -> Any:
    """The file as ruamel's commented mapping, which knows every key's line (an empty file:
    an empty one); a YAML error is a ConfigError with its line."""
    from ruamel.yaml import YAML  # noqa: PLC0415 (only for lines: see the module's doc)
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415
    from ruamel.yaml.error import MarkedYAMLError  # noqa: PLC0415

    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            [
                ConfigIssue(
                    "",
                    f"invalid YAML: {exc.problem or exc.context}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    source=name,
                )
            ]
        ) from exc
    return CommentedMap() if tree is None else tree


def _to_plain(node: Any, env: Mapping[str, str], unset: list[str]) -> Any:
    """ruamel's commented types to plain Python, substituting variables in strings."""
    if isinstance(node, Mapping):
        return {_plain_key(k, env, unset): _to_plain(v, env, unset) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_plain(v, env, unset) for v in node]
    if isinstance(node, str):
        unset.extend(name for name in references(node) if not env.get(name))
        return substitute(str(node), env)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _plain_key(key: Any, env: Mapping[str, str], unset: list[str]) -> str:
    # A key is substituted too, as a secret may be one (``tenants.api_keys``: key -> tenant);
    # only where it names a variable, so that an error's key path still finds its line.
    text = str(key)
    if "${" not in text:
        return text
    unset.extend(name for name in references(text) if not env.get(name))
    return substitute(text, env)


def _issue(error: Any, tree: Any, source: str, root: type[BaseModel]) -> ConfigIssue:
    loc: tuple[Any, ...] = tuple(error["loc"])
    key_path, line, column = _locate(tree, loc, is_key=error["type"] == "extra_forbidden")
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        known = _expected_keys(loc[:-1], root)
        message = f"unknown key {loc[-1]!r}"
        import difflib  # noqa: PLC0415 (for a bad file only)

        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif known:
            message += f"; expected one of: {', '.join(sorted(known))}"
    elif error["type"] == "missing":
        message = "this key is required"
    elif "input" in error and not isinstance(error["input"], dict | list):
        message += f" (got {error['input']!r})"
    return ConfigIssue(key_path, message, line, column, source)


def _locate(tree: Any, loc: Sequence[Any], *, is_key: bool) -> tuple[str, int | None, int | None]:
    """Follow a pydantic error location through the YAML tree to a dotted path and a line.

    Location parts that are not in the tree (a union's tag name, for instance) are skipped.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # noqa: PLC0415 (as above)

    node = tree
    parts: list[str] = []
    line: int | None = None
    column: int | None = None
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            pos = node.lc.key(part) if (last and is_key) else node.lc.value(part)
            line, column = pos[0] + 1, pos[1] + 1
            parts.append(str(part))
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            pos = node.lc.item(part)
            line, column = pos[0] + 1, pos[1] + 1
            parts.append(f"[{part}]")
            node = node[part]
        elif last and isinstance(node, CommentedMap):
            # A missing key: point at the mapping that should hold it.
            parts.append(str(part))
            line = node.lc.line + 1
            column = node.lc.col + 1
    return ".".join(parts).replace(".[", "["), line, column


def _expected_keys(loc: Sequence[Any], root: type[BaseModel]) -> list[str]:
    """The field names the model at ``loc`` accepts (for "did you mean" hints)."""
    current: Any = root
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    model = _as_model(current, None)
    return [field.alias or name for name, field in model.model_fields.items()] if model else []


def _unwrap(annotation: Any, part: Any) -> Any:
    model = _as_model(annotation, part)
    if model is not None and isinstance(part, str) and part in model.model_fields:
        return model.model_fields[part].annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, Sequence) and isinstance(part, int):
        return args[0] if args else None
    if origin in (dict, Mapping) and isinstance(part, str):
        return args[1] if len(args) == 2 else None
    if origin is typing.Annotated:
        return _unwrap(args[0], part)
    if model is not None and isinstance(part, str):
        # A union member named by its tag in the location: stay on that member.
        return model
    return None


def _as_model(annotation: Any, tag: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _as_model(args[0], tag)
    if origin in (typing.Union, types.UnionType):
        models = [m for a in args if (m := _as_model(a, None)) is not None]
        for model in models:
            type_field = model.model_fields.get("type")
            if type_field is not None and tag in typing.get_args(type_field.annotation):
                return model
        return models[0] if len(models) == 1 else None
    return None
