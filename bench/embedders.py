"""Retrieval quality of the embedders on labelled paraphrase pairs: recall@1, recall@5 and MRR.

Each query of tests/fixtures/paraphrases.jsonl must find its own paraphrase among every
paraphrase and distractor of the file (the distractors share words with some query but mean
something else). Scores are cosine similarities; each embedder's vectors are unit length.
Also given per subset: pairs that share no content word (where surface overlap cannot help) and
pairs that do.

    .venv/bin/python bench/embedders.py            # the hashed embedder, and MiniLM if installed
    .venv/bin/python bench/embedders.py --json     # the same figures as one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.minilm_embedder import MiniLMEmbedder, MiniLMUnavailableError
from mockmind.ports.llm import EmbeddingProvider

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "paraphrases.jsonl"
_WORD = re.compile(r"\w+")
# Words whose sharing says nothing about meaning.
_STOP = frozenset(
    {
        *("a", "an", "the", "to", "of", "in", "on", "at", "for", "by", "with", "as", "from"),
        *("is", "are", "was", "were", "be", "been", "has", "have", "do", "does", "will"),
        *("my", "me", "i", "you", "your", "it", "this", "that", "and", "or", "no", "not"),
        *("how", "what", "who", "where"),
    }
)


@dataclass(frozen=True)
class Pairs:
    queries: list[str]
    # Documents: the matches first (query i's match is document i), then the distractors.
    documents: list[str]
    ids: list[str]

    @property
    def overlapping(self) -> npt.NDArray[np.bool_]:
        """Per query: does it share a content word with its match?"""
        return np.array(
            [
                bool(_content_words(q) & _content_words(m))
                for q, m in zip(self.queries, self.documents, strict=False)
            ]
        )


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def load(path: Path = FIXTURE) -> Pairs:
    queries: list[str] = []
    matches: list[str] = []
    distractors: list[str] = []
    ids: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "distractor" in row:
            distractors.append(row["distractor"])
        else:
            queries.append(row["query"])
            matches.append(row["match"])
            ids.append(row["id"])
    return Pairs(queries, matches + distractors, ids)


def ranks(scores: npt.NDArray[np.float32]) -> list[int]:
    """1-based rank of query i's match (document i) among all documents; ties count against."""
    own = np.diagonal(scores)
    return [int((scores[i] >= own[i]).sum()) for i in range(len(own))]


def summary(rank_list: Sequence[int]) -> dict[str, float]:
    r = np.asarray(rank_list, dtype=np.float64)
    if r.size == 0:
        return {"n": 0, "recall@1": 0.0, "recall@5": 0.0, "mrr": 0.0}
    return {
        "n": int(r.size),
        "recall@1": float((r <= 1).mean()),
        "recall@5": float((r <= 5).mean()),
        "mrr": float((1.0 / r).mean()),
    }


async def _matrix(embedder: EmbeddingProvider, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    return np.asarray(await embedder.embed(texts), dtype=np.float32)


def evaluate(embedder: EmbeddingProvider, pairs: Pairs, threshold: float) -> dict[str, Any]:
    started = time.perf_counter()
    # The first call pays any model load; timed apart from the per-text figure.
    asyncio.run(_matrix(embedder, ["warm up"]))
    loaded = time.perf_counter()
    q = asyncio.run(_matrix(embedder, pairs.queries))
    d = asyncio.run(_matrix(embedder, pairs.documents))
    done = time.perf_counter()
    scores = q @ d.T
    rank_list = ranks(scores)
    own = np.diagonal(scores)
    overlap = pairs.overlapping
    misses = [
        {"id": pairs.ids[i], "query": pairs.queries[i], "rank": r}
        for i, r in enumerate(rank_list)
        if r > 1
    ]
    return {
        "embedder": embedder.name,
        "dimensions": embedder.dimensions,
        "all": summary(rank_list),
        "no_shared_word": summary([r for r, o in zip(rank_list, overlap, strict=True) if not o]),
        "shared_word": summary([r for r, o in zip(rank_list, overlap, strict=True) if o]),
        # Semantic memory drops hits below vector_store.similarity_threshold: how many true
        # matches would survive it.
        "match_cosine_median": float(np.median(own)),
        "matches_at_threshold": int((own >= threshold).sum()),
        "threshold": threshold,
        "first_call_s": loaded - started,
        "ms_per_text": (done - loaded) * 1000 / (len(pairs.queries) + len(pairs.documents)),
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--misses", action="store_true", help="list queries not ranked first")
    parser.add_argument(
        "--threshold", type=float, default=0.7, help="similarity_threshold to count matches at"
    )
    args = parser.parse_args(argv)
    pairs = load(args.fixture)
    embedders: list[EmbeddingProvider] = [LocalHashedEmbedder()]
    skipped = None
    try:
        embedders.append(MiniLMEmbedder())
    except MiniLMUnavailableError as exc:
        skipped = f"minilm skipped: {exc}"
    results = [evaluate(e, pairs, args.threshold) for e in embedders]
    if args.json:
        print(json.dumps({"results": results, "skipped": skipped}, indent=2))
        return 0
    print(
        f"{len(pairs.queries)} queries, {len(pairs.documents)} documents "
        f"({len(pairs.queries)} paraphrases + {len(pairs.documents) - len(pairs.queries)} "
        f"distractors), fixture {args.fixture.name}"
    )
    header = f"{'embedder':<8} {'subset':<15} {'n':>3} {'R@1':>6} {'R@5':>6} {'MRR':>6}"
    print(header)
    print("-" * len(header))
    for res in results:
        for subset in ("all", "no_shared_word", "shared_word"):
            s = res[subset]
            print(
                f"{res['embedder']:<8} {subset:<15} {s['n']:>3} {s['recall@1']:>6.3f} "
                f"{s['recall@5']:>6.3f} {s['mrr']:>6.3f}"
            )
    print()
    for res in results:
        print(
            f"{res['embedder']}: {res['dimensions']} dims, first call {res['first_call_s']:.2f} s, "
            f"{res['ms_per_text']:.2f} ms per text after; match cosine median "
            f"{res['match_cosine_median']:.2f}, {res['matches_at_threshold']}/"
            f"{res['all']['n']} matches at or above {res['threshold']}"
        )
    if skipped:
        print(skipped)
    if args.misses:
        for res in results:
            print(f"\n{res['embedder']} misses:")
            for miss in res["misses"]:
                print(f"  {miss['id']} rank {miss['rank']:>3}  {miss['query']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
