"""Resources: REST semantics over an entity store (``store``), inferred from the API's
operations (``inference``), classified per method and template (``classification``): a
session's records copy-on-write over the shared seed set (``scoped_records``), found by the
read path (``reading``), listed a page at a time (``pages``), fitted to their item schema
(``fitting``), with per-scope ids (``ids``) and a shared seed set (``seeding``)."""

from mockmind.domain.resources.classification import ResourceRoute, classify, sub_path_route
from mockmind.domain.resources.context import ResourceContext
from mockmind.domain.resources.inference import creates_on_put, infer_resources
from mockmind.domain.resources.querying import merge_patch
from mockmind.domain.resources.specs import (
    ResourceAction,
    ResourceSpec,
    path_segments,
)
from mockmind.domain.resources.store import ResourceService, WriteHook
from mockmind.domain.sessions import SHARED_SCOPE

__all__ = [
    "SHARED_SCOPE",
    "ResourceAction",
    "ResourceContext",
    "ResourceRoute",
    "ResourceService",
    "ResourceSpec",
    "WriteHook",
    "classify",
    "creates_on_put",
    "infer_resources",
    "merge_patch",
    "path_segments",
    "sub_path_route",
]
