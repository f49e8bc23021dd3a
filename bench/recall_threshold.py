"""Where each local embedder's similarity threshold should sit, on texts shaped as the
semantic memory sees them.

The memory stores one line per interaction (``domain.memory.describe``: ``POST /orders ->
201 {...}``) and recalls with a query made of the request (``GET /orders/o-17 ...``). A
recalled line is a true match when it is about the same entity as the query (its id appears
in both); the other lines of the session are not. Interactions are made for a shop-like API
(orders, products, cart items, users, reviews) with Faker, seeded, so every run is the same.

For each embedder: the cosine of true matches and of the rest, how many true matches a
threshold keeps and how many others it lets through, and the threshold that gives the best
F1. ``vector_store.similarity_threshold`` defaults to that value per embedder
(``mockmind.adapters.llm``: each embedder's ``default_threshold``).

    .venv/bin/python bench/recall_threshold.py
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faker import Faker

sys.path[:1] = [str(Path(__file__).resolve().parent.parent)]

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder  # noqa: E402
from mockmind.adapters.llm.minilm_embedder import (  # noqa: E402
    MiniLMEmbedder,
    MiniLMUnavailableError,
)
from mockmind.domain.memory import describe  # noqa: E402
from mockmind.domain.sessions import Interaction  # noqa: E402
from mockmind.ports.llm import EmbeddingProvider  # noqa: E402

SEED = 20261203
ENTITIES_PER_KIND = 12
THRESHOLDS = [round(0.05 * n, 2) for n in range(2, 18)]


@dataclass(frozen=True)
class Labelled:
    queries: list[str]
    lines: list[str]
    # Per query, the indices of the lines about the same entity.
    matches: list[set[int]]


def _entity(fake: Faker, kind: str, entity_id: str) -> dict[str, object]:
    if kind == "orders":
        return {
            "id": entity_id,
            "status": random.choice(["pending", "paid", "shipped"]),
            "total": round(random.uniform(5, 500), 2),
            "customer": fake.name(),
        }
    if kind == "products":
        return {
            "id": entity_id,
            "name": fake.catch_phrase(),
            "price": round(random.uniform(1, 90), 2),
            "category": fake.word(),
        }
    if kind == "users":
        return {"id": entity_id, "name": fake.name(), "email": fake.email()}
    if kind == "reviews":
        return {"id": entity_id, "stars": random.randint(1, 5), "text": fake.sentence()}
    return {
        "id": entity_id,
        "product_id": f"p-{random.randint(1, 99)}",
        "quantity": random.randint(1, 4),
    }


def labelled() -> Labelled:
    random.seed(SEED)
    fake = Faker()
    Faker.seed(SEED)
    prefixes = {"orders": "o", "products": "p", "users": "u", "reviews": "r", "cart/items": "ci"}
    lines: list[str] = []
    about: list[str] = []
    queries: list[str] = []
    query_about: list[str] = []
    for kind, prefix in prefixes.items():
        for _ in range(ENTITIES_PER_KIND):
            entity_id = f"{prefix}-{random.randint(100, 9999)}"
            body = _entity(fake, kind, entity_id)
            steps = [
                Interaction(
                    0.0,
                    "POST",
                    f"/{kind}",
                    201,
                    request_body={"note": fake.word()},
                    response_body=body,
                ),
                Interaction(0.0, "GET", f"/{kind}/{entity_id}", 200, response_body=body),
            ]
            if kind == "orders":
                steps.append(
                    Interaction(
                        0.0,
                        "POST",
                        f"/orders/{entity_id}/pay",
                        200,
                        response_body={**body, "status": "paid"},
                    )
                )
            for step in steps:
                lines.append(describe(step))
                about.append(entity_id)
            method = random.choice(["GET", "PATCH", "DELETE"])
            queries.append(f"{method} /{kind}/{entity_id} ")
            query_about.append(entity_id)
    matches = [{i for i, a in enumerate(about) if a == q} for q in query_about]
    return Labelled(queries, lines, matches)


async def _unit(embedder: EmbeddingProvider, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(await embedder.embed(texts), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def measure(embedder: EmbeddingProvider, data: Labelled) -> dict[str, object]:
    q = asyncio.run(_unit(embedder, data.queries))
    d = asyncio.run(_unit(embedder, data.lines))
    scores = q @ d.T
    truth = np.zeros_like(scores, dtype=bool)
    for i, found in enumerate(data.matches):
        truth[i, list(found)] = True
    true_scores, other_scores = scores[truth], scores[~truth]
    rows = []
    best: tuple[float, float] = (-1.0, 0.0)
    for threshold in THRESHOLDS:
        kept = int((true_scores >= threshold).sum())
        through = int((other_scores >= threshold).sum())
        f1 = 2 * kept / (2 * kept + through + (true_scores.size - kept))
        rows.append(
            {
                "threshold": threshold,
                "true_kept": kept,
                "others_through": through,
                "f1": round(f1, 3),
            }
        )
        if f1 > best[0]:
            best = (f1, threshold)
    return {
        "embedder": embedder.name,
        "true_matches": int(true_scores.size),
        "others": int(other_scores.size),
        "true_cosine_p10_p50_p90": [
            round(float(v), 3) for v in np.percentile(true_scores, [10, 50, 90])
        ],
        "other_cosine_p50_p99": [round(float(v), 3) for v in np.percentile(other_scores, [50, 99])],
        "at_0.7": next(r for r in rows if r["threshold"] == 0.7),
        "best_f1": round(best[0], 3),
        "best_threshold": best[1],
        "rows": rows,
    }


def main() -> int:
    data = labelled()
    embedders: list[EmbeddingProvider] = [LocalHashedEmbedder()]
    try:
        embedders.append(MiniLMEmbedder())
    except MiniLMUnavailableError as exc:
        print(f"minilm skipped: {exc}", file=sys.stderr)
    print(f"{len(data.queries)} queries over {len(data.lines)} interaction lines")
    for embedder in embedders:
        print(json.dumps(measure(embedder, data), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
