"""A value's random draws: the bits of a BLAKE2b digest of the call's seed and the value's
path, handed out in turn, with ``random.Random``'s methods the generator uses.

A ``random.Random`` seeded per value cost more than most values: setting its Mersenne Twister
state from a seed runs two loops over 624 words (about 27k instructions, then about 8k more for
the first draw), while a value draws a few dozen bits. The digest that named the value's
seed already holds 512 of them; further blocks, when a value asks for more (a long text),
come from hashing the last block again. The same call seed and path give the same draws in
every process and on every platform (integer arithmetic on hash bytes, nothing of Python's
hash seed), and any other seed or path gives unrelated ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableSequence, Sequence
from typing import Final, Protocol

# BLAKE2b's largest digest: what one hash gives.
DRAW_BLOCK_BYTES: Final = 64
_BLOCK_BITS: Final = DRAW_BLOCK_BYTES * 8
# Bound once: ``int.from_bytes`` looked up on every draws made a bound method each time, a
# third of the conversion's cost (1,000 of 2,700 instructions, callgrind).
_from_bytes: Final = int.from_bytes


class Rng(Protocol):
    """What values are drawn with: a ``Draws``, or a ``random.Random`` (which has the same
    methods; the parts of the generator that take one accept either)."""

    def random(self) -> float: ...

    def getrandbits(self, k: int, /) -> int: ...

    def randrange(self, start: int, stop: int | None = ..., step: int = ...) -> int: ...

    def randint(self, a: int, b: int) -> int: ...

    def choice[T](self, seq: Sequence[T]) -> T: ...

    def shuffle[T](self, x: MutableSequence[T]) -> None: ...


class Draws:
    """Random bits from a digest (``block``, ``DRAW_BLOCK_BYTES`` long), low bits first."""

    __slots__ = ("_bits", "_block", "_pool")

    def __init__(self, block: bytes) -> None:
        self._block = block
        self._pool = _from_bytes(block, "little")
        self._bits = _BLOCK_BITS

    def getrandbits(self, k: int, /) -> int:
        """``k`` random bits, as ``random.Random.getrandbits``."""
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        if k > self._bits:
            self._refill(k)
        pool = self._pool
        self._pool = pool >> k
        self._bits -= k
        return pool & ((1 << k) - 1)

    def _refill(self, k: int) -> None:
        # Whole blocks above what is left, until there are k bits.
        pool, bits, block = self._pool, self._bits, self._block
        while bits < k:
            block = hashlib.blake2b(block, digest_size=DRAW_BLOCK_BYTES).digest()
            pool |= _from_bytes(block, "little") << bits
            bits += _BLOCK_BITS
        self._pool, self._bits, self._block = pool, bits, block

    def below(self, n: int) -> int:
        """A number in ``range(n)``, each equally likely (``n`` > 0): drawn with as many bits
        as ``n`` needs, again while it is not below ``n`` (``getrandbits``, inline: most
        values draw once, and this is that draw)."""
        k = n.bit_length()
        mask = (1 << k) - 1
        while True:
            if k > self._bits:
                self._refill(k)
            pool = self._pool
            self._pool = pool >> k
            self._bits -= k
            drawn = pool & mask
            if drawn < n:
                return drawn

    def random(self) -> float:
        """A float in [0, 1), as ``random.Random.random`` (53 bits)."""
        return self.getrandbits(53) * 1.1102230246251565e-16  # 2 ** -53

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """As ``random.Random.randrange``, for ints."""
        if stop is None:
            if start > 0:
                return self.below(start)
            raise ValueError("empty range for randrange()")
        width = stop - start
        if step == 1:
            if width > 0:
                return start + self.below(width)
            raise ValueError(f"empty range in randrange({start}, {stop})")
        if step > 0:
            count = (width + step - 1) // step
        elif step < 0:
            count = (width + step + 1) // step
        else:
            raise ValueError("zero step for randrange()")
        if count <= 0:
            raise ValueError(f"empty range in randrange({start}, {stop}, {step})")
        return start + step * self.below(count)

    def randint(self, a: int, b: int) -> int:
        """A number from ``a`` to ``b``, both included."""
        return self.randrange(a, b + 1)

    def choice[T](self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[self.below(len(seq))]

    def shuffle[T](self, x: MutableSequence[T]) -> None:
        """``x`` in a random order, in place (Fisher-Yates, as ``random.Random.shuffle``)."""
        for i in reversed(range(1, len(x))):
            j = self.below(i + 1)
            x[i], x[j] = x[j], x[i]
