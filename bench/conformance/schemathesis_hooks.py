"""Serializers schemathesis lacks, for media types corpus documents use (loaded through
``SCHEMATHESIS_HOOKS`` by run.py).

Without one, schemathesis stops on the operation with "Serialization not possible" and the
document's run ends in error before the server is asked anything:

- blockfrost's ``application/cbor`` transaction bodies: CBOR is a binary encoding, so the
  body is sent as the opaque bytes the operation's schema (a binary string) gives, as for
  application/octet-stream;
- directus's ``multipart/data`` (``PATCH /files/{id}``, beside application/json): no such
  media type is registered, it is a misspelt multipart/form-data, and is sent as one.
"""

from __future__ import annotations

import schemathesis

schemathesis.serializer.alias(["application/cbor"], "application/octet-stream")
schemathesis.serializer.alias(["multipart/data"], "multipart/form-data")
