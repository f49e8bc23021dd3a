"""Lambda SnapStart: what an instance restored from the snapshot redoes.

With SnapStart on (the template's ``SnapStart`` parameter), Lambda runs the cold start once per
published version, snapshots the execution environment (the app built, the config loaded, the
shared entities seeded) and starts later instances from copies of it. What was unique to the
instance that made the snapshot, or tied to its network, is redone on restore:

- random numbers: the ``random`` module's generator (fault injection), each rule's delay
  ``Random`` and each LLM connection's retry jitter were seeded before the snapshot, so every
  restored instance would draw the same sequence. They are reseeded from ``os.urandom``.
- network clients: the boto3 clients (DynamoDB, S3, Secrets Manager) and the LLM providers'
  httpx clients hold pooled connections that did not survive the snapshot. They are rebuilt;
  boto3's credentials come from Lambda's credentials endpoint and refresh by themselves.

Nothing else needs it: session ids and ``uuid4`` come from ``os.urandom``, which Lambda makes
unique per restored instance, and the offline generator and its Faker pools are seeded from the
request on purpose, so that every instance gives the same answer to the same request.

Before the snapshot, the heap is collected once: the cold start skips that collection to save
time (handler.py), and a snapshot taken at publication is the place to pay for it.

``snapshot_restore_py`` is the Python runtime's module for the hooks; it exists in Lambda only,
so elsewhere ``register_restore_hooks`` does nothing.
"""

from __future__ import annotations

import gc
import importlib
import logging
import random
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from mockmind.domain.rules.actions import Delay

if TYPE_CHECKING:
    from mockmind.app.bootstrap import Container

logger = logging.getLogger("mockmind")


def register_restore_hooks(
    container: Container | None, prepare: Callable[[], object] | None = None
) -> bool:
    """Register the hooks with the runtime; False outside Lambda (no runtime module).

    ``container`` None: a function serving tenants, whose worlds are built after the restore
    (on their first requests); only what the snapshot holds is redone (random, AWS clients).

    ``prepare`` runs before the snapshot: what the handler otherwise builds on its first
    invocation (its logger and metrics), built once into the snapshot instead of on every
    restored instance's first request.
    """
    try:
        runtime = importlib.import_module("snapshot_restore_py")
    except ImportError:
        return False
    if prepare is None:
        runtime.register_before_snapshot(before_snapshot)
    else:
        runtime.register_before_snapshot(lambda: _prepared(prepare))
    runtime.register_after_restore(lambda: after_restore(container))
    return True


def _prepared(prepare: Callable[[], object]) -> None:
    prepare()
    before_snapshot()


def before_snapshot() -> None:
    """Free the cold start's cyclic garbage, then freeze the rest: it lives as long as the
    instance, and later collections need not scan it."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def after_restore(container: Container | None) -> None:
    """Reseed what is random and rebuild the network clients (see the module's docstring)."""
    random.seed()
    https = container.llm.https if container is not None else ()
    if container is not None:
        for rule in container.engine.world.rules.rules:
            if isinstance(rule.action, Delay):
                rule.action.rng.seed()
    for http in https:
        http.reconnect()
    clients = 0
    # Only if an AWS client was ever made: importing the module would load boto3.
    aws = sys.modules.get("mockmind.app.aws")
    if aws is not None:
        clients = aws.reconnect_clients()
    logger.info(
        "restored from a snapshot: reseeded, %d LLM and %d AWS clients rebuilt",
        len(https),
        clients,
    )
