"""What one ``generate`` call carries down the schema: its seed, its direction, its root, and
what it learns on the way (the costs of named schemas, whose fields are being filled).

The memo of flattened schemas is not here: it outlives calls, and the generator hands it to
flattening itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mockmind.domain.generation.draws import DRAW_BLOCK_BYTES, Draws
from mockmind.domain.generation.flattening import Reads
from mockmind.domain.generation.schemas import Direction, Schema, SchemaResolver


class GenerationContext:
    """What one ``generate`` call needs: the ref resolver, the seed hash and memoised costs."""

    __slots__ = ("_base", "_resolver", "_root", "costs", "direction", "held", "owners", "unchecked")

    def __init__(
        self,
        resolver: SchemaResolver | None,
        root: Schema,
        direction: Direction,
        seed: str,
    ) -> None:
        self._resolver = resolver
        self._root = root
        self.direction = direction
        # A seed may hold a client's string; one with a lone surrogate (which strict UTF-8
        # refuses) seeds as its code points, and every other seed as its UTF-8 bytes.
        raw = seed.encode("utf-8", "surrogatepass")
        # Length-prefixed so that no (seed, path) pair can spell another one.
        self._base = hashlib.blake2b(b"%d:" % len(raw) + raw, digest_size=DRAW_BLOCK_BYTES)
        self.costs: dict[str, float] = {}
        # Names of the named schemas being filled, innermost last ("product" inside "order").
        self.owners: list[str] = []
        # The refs read by kept flats whose targets this call found unchanged, by id (the
        # tuple held, so the id stays its own): checked once per call, not per value.
        self.held: dict[int, Reads] = {}
        # Set when a part of the value was made by a fallback that nothing vouches for (a
        # number no draw fitted): the value is then not valid by construction (``vouched``).
        self.unchecked = False

    def draws(self, path: str) -> Draws:
        """The random draws of the value at ``path``: the same for the same call seed and path
        (its first block is the digest of both)."""
        digest = self._base.copy()
        digest.update(path.encode())
        return Draws(digest.digest())

    def resolve(self, ref: str) -> Schema:
        """The schema ``ref`` names: the resolver's answer, else a pointer into the root."""
        if self._resolver is not None:
            try:
                return self._resolver(ref)
            except Exception:  # any resolver failure falls back to a local lookup
                pass
        if ref.startswith("#"):
            return _pointer(self._root, ref[1:])
        # An unresolvable reference constrains nothing we can honour.
        return True


def _pointer(root: Schema, pointer: str) -> Schema:
    node: Any = root
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return True
    return node if isinstance(node, Mapping | bool) else True
