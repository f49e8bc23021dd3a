"""Many APIs on one stack: tenant names, the catalog of their configs (over a ``BlobStore``),
and the worlds built from them on demand (bounded, refreshed when the catalog changes).

The ASGI front that picks a tenant for each request is wiring: ``app/tenant_front.py``.
"""
