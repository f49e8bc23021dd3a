"""Serializers schemathesis lacks, for media types corpus documents use (loaded through
``SCHEMATHESIS_HOOKS`` by run.py).

Without one, schemathesis stops on the operation with "Serialization not possible" and the
document's run ends in error before the server is asked anything:

- blockfrost's ``application/cbor`` transaction bodies: CBOR is a binary encoding, so the
  body is sent as the opaque bytes the operation's schema (a binary string) gives, as for
  application/octet-stream;
- directus's ``multipart/data`` (``PATCH /files/{id}``, beside application/json), a subtype
  no registry knows: the parts are encoded as multipart/form-data's are and the body keeps
  the declared label, as schemathesis does itself for multipart/mixed.
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis
from schemathesis.core import media_types
from schemathesis.transport import SerializationContext, register_serializer
from schemathesis.transport.requests import multipart_serializer

schemathesis.serializer.alias(["application/cbor"], "application/octet-stream")


def declared_multipart(ctx: SerializationContext, value: Any) -> dict[str, Any]:
    """A multipart body labelled with the operation's own multipart subtype."""
    declared = ctx.case.media_type or "multipart/form-data"
    extra = multipart_serializer(ctx, value)
    if "headers" not in extra:
        if extra.get("files") is None and isinstance(extra.get("data"), bytes):
            # Already a body (a binary schema): sent as it is, under the declared type.
            return {**extra, "headers": {"Content-Type": declared}}
        prepared = requests.PreparedRequest()
        prepared.prepare_headers(None)
        prepared.prepare_body(extra.get("data"), extra.get("files"))
        encoded = prepared.headers["Content-Type"]
        extra = {"data": prepared.body, "headers": {"Content-Type": encoded}}
    main, sub = media_types.parse(declared)
    label = extra["headers"]["Content-Type"].replace("multipart/form-data", f"{main}/{sub}", 1)
    return {**extra, "headers": {**extra["headers"], "Content-Type": label}}


register_serializer(declared_multipart, "multipart/data")
