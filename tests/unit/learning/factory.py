"""Exchanges for the learning tests, in the order they are made."""

from __future__ import annotations

import itertools
from typing import Any

from mockmind.learning.exchanges import Exchange, masked_exchange

_ORDER = itertools.count()


def exchange(
    method: str,
    path: str,
    status: int = 200,
    answer: Any = None,
    *,
    body: Any = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    session: str = "s1",
) -> Exchange:
    return masked_exchange(
        session=session,
        order=next(_ORDER),
        method=method,
        path=path,
        query=query or {},
        request_headers=headers or {},
        request_body=body,
        status=status,
        response_headers={"content-type": "application/json"} if answer is not None else {},
        response_body=answer,
    )
