"""Offline generation: realistic, deterministic values for a JSON Schema when no LLM is set up.

Schemas may be OpenAPI 3.0 (``nullable``, boolean ``exclusiveMinimum``, ``example``) or
OpenAPI 3.1 / JSON Schema 2020-12 (type arrays, numeric ``exclusiveMinimum``, ``const``,
``prefixItems``, ``examples``). The same schema, seed and field name give the same value in
every process (``generator`` says how).

Modules, one job each: ``generator`` (the walk: objects, arrays, choices, retries),
``flattening`` and ``flat_memo`` (every keyword on one value merged, memoised by content),
``layouts`` (an object's members, once per flat), ``draws`` (a value's random bits),
``branch_costs`` (the cheapest branch of a union), ``number_planning``, ``strings`` and
``formats``, ``patterns`` (regular expressions), ``faker_pools``, ``hints`` and ``vocabulary``
(what field names mean), ``validation`` (the generator's own check), ``vouching`` (schemas
whose values need no check), ``version`` (what decides the output, for stores of generated
data).
"""

from mockmind.domain.generation.flat_memo import FLAT_MEMO_SIZE, FlatMemo
from mockmind.domain.generation.generator import OfflineGenerator
from mockmind.domain.generation.schemas import Direction, Schema, SchemaResolver
from mockmind.domain.generation.version import GENERATOR_VERSION

__all__ = [
    "FLAT_MEMO_SIZE",
    "GENERATOR_VERSION",
    "Direction",
    "FlatMemo",
    "OfflineGenerator",
    "Schema",
    "SchemaResolver",
]
