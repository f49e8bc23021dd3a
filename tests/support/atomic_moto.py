"""moto's DynamoDB one request at a time, as DynamoDB makes each request atomic.

moto checks a write's condition, then writes, and its server threads interleave: two
conditional writes of one item could both pass (and two ADDs return one value), which DynamoDB
never allows. Tests and benchmarks of racing writers would then see moto's race, not ours.

``atomic_call_action`` is the patch (tests/conftest.py puts it on the session's moto server);
``python -m tests.support.atomic_moto -p PORT`` runs a moto server with it in a process of its
own (bench/many_writers.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def atomic_call_action(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``DynamoHandler.call_action`` made to run one request at a time."""
    lock = threading.Lock()

    def one_at_a_time(handler: Any) -> Any:
        with lock:
            return call_action(handler)

    return one_at_a_time


def main() -> None:
    """moto's own server (its command-line options), DynamoDB made atomic first."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.server import main as moto_server

    DynamoHandler.call_action = atomic_call_action(DynamoHandler.call_action)  # type: ignore[method-assign]
    moto_server()


if __name__ == "__main__":
    main()
