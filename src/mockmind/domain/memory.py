"""Semantic memory: each session's past interactions, embedded and searched by similarity, so
a later prompt can show the model what this session did that matters to the request at hand.

When embedding fails, recall falls back to the most recent interactions (the seed design's
fallback): the prompt still gets context, only less well chosen.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from mockmind.domain.errors import StoreError
from mockmind.domain.sessions import Interaction
from mockmind.ports.llm import EmbeddingProvider, ProviderError
from mockmind.ports.vector_memory import VectorMemory

logger = logging.getLogger("mockmind.memory")

NAMESPACE = "interactions"


def describe(interaction: Interaction, limit: int = 600) -> str:
    """One line a person (and an embedder) can read: the call and the start of the answer."""
    answer = json.dumps(interaction.response_body, ensure_ascii=False, default=str)
    text = f"{interaction.method} {interaction.target} -> {interaction.status} {answer}"
    if interaction.request_body:
        text += f" (sent {interaction.request_body})"
    return text[:limit]


@dataclass
class SemanticMemory:
    embedder: EmbeddingProvider
    vectors: VectorMemory
    limit: int = 10
    threshold: float = 0.7

    async def remember(self, session_id: str, item_id: str, interaction: Interaction) -> None:
        text = describe(interaction)
        try:
            (vector,) = await self.embedder.embed([text])
        except ProviderError as exc:
            logger.warning("interaction not embedded (%s); recall falls back to history", exc)
            return
        metadata: dict[str, Any] = {"session_id": session_id, "text": text, "at": interaction.at}
        try:
            self.vectors.add(NAMESPACE, item_id, vector, metadata)
        except StoreError as exc:
            # The interaction is in the session's history already; only its recall by
            # similarity is lost, and the answer it came with still goes out.
            logger.warning("interaction not stored for recall (%s)", exc)

    async def recall(
        self, session_id: str, query: str, recent: tuple[Interaction, ...]
    ) -> list[str]:
        try:
            (vector,) = await self.embedder.embed([query])
        except ProviderError as exc:
            logger.warning("recall by similarity failed (%s); using recent history", exc)
            return [describe(i) for i in recent[-self.limit :]]
        try:
            hits = self.vectors.search(
                NAMESPACE, vector, limit=self.limit, threshold=self.threshold, session_id=session_id
            )
        except StoreError as exc:
            # An int8 index on S3 reads float32 rows during a search: S3 can fail here.
            logger.warning("recall by similarity failed (%s); using recent history", exc)
            return [describe(i) for i in recent[-self.limit :]]
        return [str(hit.metadata.get("text", "")) for hit in hits]
