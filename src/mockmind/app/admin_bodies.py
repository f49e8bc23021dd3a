"""Reading an admin request's body: capped as it streams, and checked against its wire model
(the session routes and the tenant front's operator routes)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from mockmind.domain.errors import PayloadTooLarge, RequestError


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def validated[M: BaseModel](model: type[M], value: Any, where: str) -> M:
    """``value`` as ``model``, strictly: JSON's types as the schema names them (``false`` is
    no step, ``"1"`` no count)."""
    try:
        return model.model_validate(value, strict=True)
    except ValidationError as exc:
        errors: list[dict[str, object]] = [
            {
                "location": ".".join(map(str, (where, *e.get("loc", ())))),
                "message": str(e.get("msg", "")),
            }
            for e in exc.errors()
        ]
        first = errors[0]
        raise RequestError(
            400,
            "Bad Request",
            f"{first['location']}: {first['message']}",
            errors,
        ) from None
