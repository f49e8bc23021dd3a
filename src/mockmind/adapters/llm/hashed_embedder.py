"""A local, deterministic embedder: semantic memory with no key, no network and no model file.

Features are hashed into a fixed number of dimensions (the "hashing trick"): word unigrams and
bigrams for meaning and word order, character 3-5-grams of each word for spelling variants
("order"/"orders", "colour"/"color"). Each feature lands on one dimension with a sign from a
second hash, so collisions cancel out on average instead of piling up. Term frequencies are
sublinear (1 + log tf) so a repeated word does not dominate. Each feature family is normalised
on its own before they are mixed, so long words cannot drown the word-level signal; the result
is L2-normalised, and cosine similarity is a dot product.

It measures surface overlap, not meaning: paraphrases with no shared words score low. That is
the trade for being exact, fast and dependency-free.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_WORD = re.compile(r"\w+", re.UNICODE)
_FAMILY_WEIGHTS = {"w": 1.0, "b": 0.6, "c": 0.8}


@lru_cache(maxsize=65_536)
def _slot(feature: str, dims: int) -> tuple[int, float]:
    # blake2b, not hash(): Python salts str hashes per process, and vectors must stay comparable
    # across processes and Lambda instances.
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dims, 1.0 if (value >> 63) & 1 else -1.0


def _features(text: str) -> dict[str, Counter[str]]:
    words = _WORD.findall(text.lower())
    families: dict[str, Counter[str]] = {"w": Counter(), "b": Counter(), "c": Counter()}
    families["w"].update(words)
    families["b"].update(f"{a} {b}" for a, b in pairwise(words))
    families["c"].update(_char_grams(words))
    return families


def _char_grams(words: Iterable[str]) -> Iterable[str]:
    for word in words:
        padded = f"<{word}>"
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                yield padded[i : i + n]


class LocalHashedEmbedder:
    def __init__(self, dimensions: int = 512) -> None:
        if dimensions < 8:
            raise ValueError("dimensions must be at least 8")
        self._dims = dimensions

    def __repr__(self) -> str:
        return f"LocalHashedEmbedder({self._dims})"

    @property
    def name(self) -> str:
        return "local"

    @property
    def model(self) -> str:
        return f"hashed-{self._dims}"

    @property
    def dimensions(self) -> int:
        return self._dims

    def vector(self, text: str) -> npt.NDArray[np.float32]:
        # Imported here: every start builds this embedder, and one without a vector store
        # never embeds, so it need not load numpy.
        import numpy as np  # noqa: PLC0415

        total = np.zeros(self._dims, dtype=np.float64)
        for family, counts in _features(text).items():
            if not counts:
                continue
            part = np.zeros(self._dims, dtype=np.float64)
            for feature, tf in counts.items():
                index, sign = _slot(f"{family}:{feature}", self._dims)
                part[index] += sign * (1.0 + np.log(tf))
            norm = np.linalg.norm(part)
            if norm > 0:
                total += _FAMILY_WEIGHTS[family] * part / norm
        norm = np.linalg.norm(total)
        if norm > 0:
            total /= norm
        return total.astype(np.float32)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(text).tolist() for text in texts]

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        # Microseconds per text: no point handing it to a thread, nor a deadline to check.
        return self.embed_sync(texts)
