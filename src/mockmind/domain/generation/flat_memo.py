"""The memo of flattened schemas: a generator's, shared by its calls, handed to flattening."""

from __future__ import annotations

import marshal
from typing import Any, Final

from mockmind.domain.generation.flattening import Flat, Reads, RefResolver, flatten
from mockmind.domain.generation.schemas import Schema
from mockmind.domain.memo import BoundedMemo

# Distinct schema contents whose flats a generator keeps; the oldest go first past that.
FLAT_MEMO_SIZE: Final = 4096


class FlatMemo:
    """Flattened schemas, by content: flattening them anew took a fifth of ``generate``.

    The key is the schema's marshal bytes (format 2, which writes no back-references, so the
    bytes depend on content alone): deep, exact about types where ``==`` is not (``True``, ``1``
    and ``1.0`` come out differently) and fast. An edited schema misses. A flat is built from
    private copies of the schema and of the ``$ref`` targets it reads, so no later edit of the
    caller's objects reaches it, and a hit first re-resolves those refs and compares their
    bytes: the resolver or the document may have changed, or a ref falls back to another root.
    That check also makes one memo safe to share between generators with different resolvers.
    oneOf/anyOf and discriminators are applied by editing the flat, so those are never shared.
    Thread-safe: flats are built per call and only stored once complete.
    """

    def __init__(self, size: int = FLAT_MEMO_SIZE) -> None:
        # Per key: the refs read and their targets' bytes, and the flat (None: never shared).
        self._entries: BoundedMemo[bytes, tuple[Reads, Flat | None]] = BoundedMemo(size)

    def __len__(self) -> int:
        return len(self._entries)

    def flatten(self, schema: Schema, resolve: RefResolver) -> Flat:
        """``schema`` flattened, ``$ref``s followed with ``resolve``; a flat that no caller
        edits may be the memo's own, shared with other calls: do not edit it."""
        return self.flatten_shared(schema, resolve)[0]

    def flatten_shared(self, schema: Schema, resolve: RefResolver) -> tuple[Flat, Reads | None]:
        """``flatten``, with the refs read when the flat is the memo's own (None when not).

        A caller that holds a sub-schema of a shared flat (a property's, which is the memo's
        private copy, so its content never changes) may keep its flat with those reads and
        take it again while ``reads_hold``: the content check a hit makes (the schema's
        bytes) is then already done."""
        key = _snapshot(schema) if isinstance(schema, dict) else None
        if key is None:
            return flatten(resolve, schema), None
        entry = self._entries.get(key)
        if entry is not None:
            reads, shared = entry
            if shared is None:
                # Its caller edits it: a fresh one each time.
                return flatten(resolve, schema), None
            if reads_hold(reads, resolve):
                return shared, reads
        read: list[tuple[str, bytes | None]] = []

        def resolve_copy(ref: str) -> Schema:
            target = resolve(ref)
            blob = _snapshot(target)
            read.append((ref, blob))
            # A private copy, so that the memoised flat never shares objects with the caller.
            return target if blob is None else marshal.loads(blob)

        flat = flatten(resolve_copy, marshal.loads(key))
        reads = tuple(read)
        if any(blob is None for _, blob in reads):
            return flat, None  # a target marshal cannot copy: no private copy, so not shared
        editable = bool(flat.choices) or flat.discriminator is not None
        flat.shared = not editable
        self._entries.put(key, (reads, None if editable else flat))
        return flat, None if editable else reads


def reads_hold(reads: Reads, resolve: RefResolver) -> bool:
    """Whether every ref read still names a target of the same bytes."""
    for ref, blob in reads:  # noqa: SIM110 - a loop: all() would cost a generator a call
        if _snapshot(resolve(ref)) != blob:
            return False
    return True


def _snapshot(schema: Any) -> bytes | None:
    """The schema's bytes, or None for what marshal cannot write (subclasses, dates...)."""
    try:
        return marshal.dumps(schema, 2)
    except ValueError:  # also raised for nesting too deep to write
        return None
