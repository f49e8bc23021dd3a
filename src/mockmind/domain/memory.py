"""Semantic memory: each session's past interactions, embedded and searched by similarity, so
a later prompt can show the model what this session did that matters to the request at hand.

Remembering never delays an answer. ``note`` only queues the interaction; ``write_behind``,
called once the response is sent, starts one writer that lets a burst gather for
``linger_seconds``, then embeds everything queued in one call per batch and stores the vectors
(from a thread). Under uvicorn the writer runs while the server waits for the
next request. In Lambda the event loop only runs during invocations: the writer started by one
invocation goes on during the next ones, concurrently with them, and each embedding call is
bounded by ``embedding_timeout_seconds`` (a call cut by a frozen instance fails and its texts
are not recalled by similarity). The queue is capped, so a provider that is down cannot make
it grow without end: the oldest are dropped first, and counted.

Recall embeds the request only when the model is about to be called (the caller decides), and
that call is bounded by the same timeout and by the request's own deadline. When embedding
fails, recall falls back to the most recent interactions (the seed design's fallback): the
prompt still gets context, only less well chosen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import field

from mockmind.domain.costs import CostTracker
from mockmind.domain.errors import StoreError
from mockmind.domain.sessions import Interaction
from mockmind.domain.tokens import estimate_tokens
from mockmind.lean_dataclass import dataclass
from mockmind.ports.llm import EmbeddingProvider, Embeddings, ProviderError
from mockmind.ports.vector_memory import VectorItem, VectorMemory

logger = logging.getLogger("mockmind.memory")

NAMESPACE = "interactions"
# Texts per embedding call of the writer: one call for a burst, small enough to stay fast.
WRITE_BATCH = 64
# Interactions waiting for their embedding; past this the oldest are dropped.
MAX_PENDING = 4096
# How much sooner than the bound the embedder is told to give up.
_OWN_TIMEOUT_LEAD = 0.01


def describe(interaction: Interaction, limit: int = 600) -> str:
    """One line a person (and an embedder) can read: the call and the start of the answer."""
    answer = json.dumps(interaction.response_body, ensure_ascii=False, default=str)
    text = f"{interaction.method} {interaction.target} -> {interaction.status} {answer}"
    if interaction.request_body:
        text += f" (sent {interaction.request_body})"
    return text[:limit]


@dataclass(frozen=True)
class _Pending:
    session_id: str
    item_id: str
    text: str
    at: float


@dataclass
class MemoryCounters:
    """What health shows of the writer: how many were embedded, lost, dropped, queued."""

    written: int = 0
    batches: int = 0
    not_embedded: int = 0
    not_stored: int = 0
    dropped: int = 0


@dataclass
class SemanticMemory:
    embedder: EmbeddingProvider
    vectors: VectorMemory
    limit: int = 10
    threshold: float = 0.7
    # Bounds every embedding call, with the request's deadline when it has one.
    timeout_seconds: float = 2.0
    costs: CostTracker | None = None
    monotonic: Callable[[], float] = time.monotonic
    max_pending: int = MAX_PENDING
    # How long the writer lets interactions gather before it embeds them.
    linger_seconds: float = 0.1
    counters: MemoryCounters = field(default_factory=MemoryCounters)
    _pending: deque[_Pending] = field(default_factory=deque, init=False, repr=False)
    _writer: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def note(self, session_id: str, item_id: str, interaction: Interaction) -> None:
        """Queue ``interaction`` to be embedded later; takes no time worth measuring."""
        if len(self._pending) >= self.max_pending:
            self._pending.popleft()
            self.counters.dropped += 1
        self._pending.append(_Pending(session_id, item_id, describe(interaction), interaction.at))

    def write_behind(self) -> None:
        """Start the writer for what is queued, unless one is running on this loop already.

        Called once the response is sent; a writer left by a loop that has since closed
        (tests, a recycled worker) is replaced.
        """
        if not self._pending:
            return
        loop = asyncio.get_running_loop()
        writer = self._writer
        if writer is not None and not writer.done() and writer.get_loop() is loop:
            return
        self._writer = loop.create_task(self._write_behind())

    async def _write_behind(self) -> None:
        # A short wait first, so that a burst of requests is embedded in one call, not one
        # call per answer (each call costs CPU on the loop serving requests).
        while self._pending:
            if len(self._pending) < WRITE_BATCH:
                await asyncio.sleep(self.linger_seconds)
            await self.flush()

    async def settle(self) -> None:
        """Wait for the writer started on this loop, if any, to finish (tests, shutdown)."""
        writer = self._writer
        if writer is not None and writer.get_loop() is asyncio.get_running_loop():
            await writer

    async def flush(self) -> None:
        """Embed and store everything queued, one embedding call per batch."""
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(WRITE_BATCH, len(self._pending)))]
            await self._write(batch)

    async def remember(self, session_id: str, item_id: str, interaction: Interaction) -> None:
        """Queue and write now: for callers with no response to send first (tools, tests)."""
        self.note(session_id, item_id, interaction)
        await self.flush()

    async def _write(self, batch: list[_Pending]) -> None:
        texts = [item.text for item in batch]
        try:
            vectors = await self._embed(texts, None, session_id=None)
        except ProviderError as exc:
            self.counters.not_embedded += len(batch)
            logger.warning(
                "%d interaction(s) not embedded (%s); recall falls back to history",
                len(batch),
                exc,
            )
            return
        self.counters.batches += 1
        # In a thread: indexing costs about a millisecond of CPU per row (numpy, which lets
        # go of the GIL), and a store over S3 waits on the network; the event loop serving
        # requests should do neither. The stores lock their own state.
        await asyncio.to_thread(self._store, batch, vectors)

    def _store(self, batch: list[_Pending], vectors: list[list[float]]) -> None:
        items = [
            VectorItem(
                item.item_id,
                vector,
                {"session_id": item.session_id, "text": item.text, "at": item.at},
            )
            for item, vector in zip(batch, vectors, strict=True)
        ]
        try:
            self.vectors.add_many(NAMESPACE, items)
        except StoreError as exc:
            # The interactions are in their sessions' history already; only their recall by
            # similarity is lost (a store that failed part-way counts the batch as lost).
            self.counters.not_stored += len(items)
            logger.warning("%d interaction(s) not stored for recall (%s)", len(items), exc)
        else:
            self.counters.written += len(items)

    async def recall(
        self,
        session_id: str,
        query: str,
        recent: tuple[Interaction, ...],
        *,
        deadline: float | None = None,
    ) -> list[str]:
        try:
            (vector,) = await self._embed([query], deadline, session_id=session_id)
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

    async def _embed(
        self, texts: list[str], deadline: float | None, *, session_id: str | None
    ) -> list[list[float]]:
        """One embedding call, bounded by the timeout and ``deadline``; counted in costs."""
        bound = self.monotonic() + self.timeout_seconds
        if deadline is not None:
            bound = min(bound, deadline)
        try:
            # The provider's own deadline ends the call a little early, so that it times out
            # itself and its circuit breaker counts the failure; this bound stops an embedder
            # that does not look at the deadline.
            async with asyncio.timeout(max(0.0, bound - self.monotonic())):
                vectors = await self.embedder.embed(texts, deadline=bound - _OWN_TIMEOUT_LEAD)
        except TimeoutError:
            raise ProviderError(
                self.embedder.name, f"no embedding within {self.timeout_seconds:g}s"
            ) from None
        if len(vectors) != len(texts):
            raise ProviderError(
                self.embedder.name, f"asked for {len(texts)} embeddings, got {len(vectors)}"
            )
        if self.costs is not None:
            counted = vectors.tokens if isinstance(vectors, Embeddings) else None
            self.costs.record_embedding(
                provider=self.embedder.name,
                model=self.embedder.model,
                tokens=counted if counted is not None else sum(map(estimate_tokens, texts)),
                session_id=session_id,
                estimated=counted is None,
            )
        return vectors
