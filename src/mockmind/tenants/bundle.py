"""A tenant's files read from a config on disk, as ``mockmind push`` sends them: the config (as
``mockmind.yaml``) and the files it names, by paths relative to the config's folder.

The files named are the OpenAPI document (the config's ``openapi``, resolved as the config
loader resolves it: relative to the config) and every file that document's ``$ref``s reach,
followed from file to file (``common.yaml#/...``), as the document loader follows them.
A file outside the config's folder cannot be a tenant's: it is refused, named.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

from mockmind.config import load_config
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.openapi.loading import load_file
from mockmind.tenants.catalog import CONFIG_FILE

# A push that large is a mistake (a data folder named by a $ref), not an API.
MAX_FILES = 200


def tenant_files(config: Path, env: Mapping[str, str]) -> dict[str, bytes]:
    """The tenant's files by their paths in its folder; a ConfigError naming the config (or
    the file) when the config does not parse or names a file it cannot be sent with."""
    loaded = load_config(config, env)
    root = config.resolve().parent
    files = {CONFIG_FILE: config.read_bytes()}
    spec = loaded.openapi_path()
    if spec is None:
        return files
    pending = [spec.resolve()]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        relative = _inside(root, path, config)
        if relative == CONFIG_FILE:
            raise ConfigError(
                [
                    ConfigIssue(
                        "openapi", f"{path} would take the config's place", source=str(config)
                    )
                ]
            )
        document = load_file(path)
        files[relative] = path.read_bytes()
        if len(files) > MAX_FILES:
            raise ConfigError(
                [
                    ConfigIssue(
                        "openapi",
                        f"the document reaches more than {MAX_FILES} files",
                        source=str(config),
                    )
                ]
            )
        pending += [(path.parent / target).resolve() for target in _file_refs(document)]
    return files


def _inside(root: Path, path: Path, config: Path) -> str:
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise ConfigError(
            [
                ConfigIssue(
                    "openapi",
                    f"{path} is outside the config's folder {root}: a tenant's files are sent "
                    "with paths relative to its config (copy the file beside it)",
                    source=str(config),
                )
            ]
        ) from None
    return relative.as_posix()


def _file_refs(node: Any) -> Iterator[str]:
    """The files (relative paths) the ``$ref``s in ``node`` point into; not URLs of other
    servers, not pointers into the same file."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                target = urldefrag(ref).url
                parts = urlsplit(target)
                if target and not parts.scheme and not parts.netloc:
                    yield unquote(parts.path).replace("/", os.sep)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
