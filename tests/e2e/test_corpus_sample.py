"""A bounded sample of the conformance corpus (bench/conformance/corpus.toml, `sample = true`).

Each sample document is served by `mockmind serve --openapi` and run through schemathesis as
`make conformance` runs the whole corpus, from the copy vendored in tests/fixtures/openapi/corpus/
(no network). A document without a `known_failure` must stay conformant; a document with one must
still fail, in the class its reason names, until the fix lands and the line is deleted.
"""

from __future__ import annotations

import os

import pytest
from bench.conformance.corpus import Document, load
from bench.conformance.run import Outcome, run_document

CORPUS = load()
SAMPLE = [d for d in CORPUS.documents if d.sample]


def _explain(outcome: Outcome) -> str:
    lines = [f"{outcome.document}: {outcome.verdict} {outcome.note}".rstrip()]
    for key, kept in outcome.reproductions.items():
        klass, reason = key.split("\t")
        lines.append(f"  class {klass}: {reason}")
        lines += [f"    {r.request.splitlines()[0]} -> {r.status}" for r in kept[:1]]
    return "\n".join(lines)


def test_the_sample_is_small() -> None:
    assert 3 <= len(SAMPLE) <= 5


@pytest.mark.slow
@pytest.mark.parametrize("document", SAMPLE, ids=[d.name for d in SAMPLE])
def test_a_sample_document_keeps_its_verdict(document: Document) -> None:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("the corpus sample runs against local servers only")
    outcome = run_document(document, "mockmind", CORPUS.run, location=document.vendored_copy)
    if document.known_failure is None:
        assert outcome.conformant, "no longer conformant:\n" + _explain(outcome)
        return
    expected = document.known_failure.split(":", 1)[0].strip()
    assert not outcome.conformant, (
        f"{document.name} is conformant now: delete its known_failure line in "
        f"bench/conformance/corpus.toml ({document.known_failure!r})"
    )
    assert expected in outcome.classes, (
        f"{document.name} fails in other classes than its known_failure ({expected}) says: "
        "update the line in bench/conformance/corpus.toml\n" + _explain(outcome)
    )
