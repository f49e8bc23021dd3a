"""The conformance corpus's manifest (corpus.toml) and where its files live.

The documents come out of packages pinned by version and tarball hash; they are fetched into
``.cache/conformance/`` (outside git) by fetch.py. A few small ones are also vendored under
tests/fixtures/openapi/corpus/, so `make test` runs its sample without the network.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).with_name("corpus.toml")
CACHE = ROOT / ".cache" / "conformance"
PACKAGES = CACHE / "packages"
DOCUMENTS = CACHE / "documents"
RESULTS = CACHE / "results"
VENDORED = ROOT / "tests" / "fixtures" / "openapi" / "corpus"


@dataclass(frozen=True)
class Package:
    key: str
    registry: str
    name: str
    version: str
    sha256: str
    license: str

    @property
    def spec(self) -> str:
        """What the registry's client is asked for: ``name@version``."""
        return f"{self.name}@{self.version}"

    @property
    def tarball(self) -> Path:
        return PACKAGES / f"{self.key}-{self.version}.tgz"


@dataclass(frozen=True)
class Document:
    name: str
    package: Package
    path: str
    styles: tuple[str, ...]
    vendored: bool = False
    sample: bool = False
    max_examples: int | None = None
    timeout: float | None = None
    include_path_regex: str | None = None
    known_failure: str | None = None

    @property
    def suffix(self) -> str:
        return Path(self.path).suffix

    @property
    def cached(self) -> Path:
        """The document as fetch.py extracts it."""
        return DOCUMENTS / f"{self.name}{self.suffix}"

    @property
    def vendored_copy(self) -> Path:
        return VENDORED / f"{self.name}{self.suffix}"

    def location(self) -> Path:
        """The vendored copy when there is one, else the fetched one."""
        return self.vendored_copy if self.vendored else self.cached


@dataclass(frozen=True)
class RunSettings:
    max_examples: int
    timeout: float
    seed: int
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    run: RunSettings
    packages: dict[str, Package]
    documents: list[Document] = field(default_factory=list)

    def named(self, names: list[str]) -> list[Document]:
        by_name = {d.name: d for d in self.documents}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise KeyError(f"not in the corpus: {', '.join(unknown)}")
        return [by_name[n] for n in names]


_DOCUMENT_KEYS = {
    "name",
    "package",
    "path",
    "styles",
    "vendored",
    "sample",
    "max_examples",
    "timeout",
    "include_path_regex",
    "known_failure",
}


def load(manifest: Path = MANIFEST) -> Corpus:
    raw = tomllib.loads(manifest.read_text())
    run = raw["run"]
    settings = RunSettings(
        max_examples=int(run["max_examples"]),
        timeout=float(run["timeout"]),
        seed=int(run["seed"]),
        checks=tuple(run["checks"]),
    )
    packages = {key: Package(key=key, **value) for key, value in raw["packages"].items()}
    documents = [_document(entry, packages) for entry in raw["documents"]]
    names = [d.name for d in documents]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{manifest.name}: documents named twice: {', '.join(duplicated)}")
    return Corpus(settings, packages, documents)


def _document(entry: dict[str, Any], packages: dict[str, Package]) -> Document:
    unknown = set(entry) - _DOCUMENT_KEYS
    if unknown:
        raise ValueError(f"document {entry.get('name')!r}: unknown keys {sorted(unknown)}")
    if entry["package"] not in packages:
        raise ValueError(f"document {entry['name']!r}: no package {entry['package']!r}")
    document = Document(
        name=entry["name"],
        package=packages[entry["package"]],
        path=entry["path"],
        styles=tuple(entry["styles"]),
        vendored=bool(entry.get("vendored", False)),
        sample=bool(entry.get("sample", False)),
        max_examples=entry.get("max_examples"),
        timeout=entry.get("timeout"),
        include_path_regex=entry.get("include_path_regex"),
        known_failure=entry.get("known_failure"),
    )
    if document.sample and not document.vendored:
        raise ValueError(f"document {document.name!r}: a sample document must be vendored")
    return document
