"""Language-model and embedding providers over httpx.

``http`` is the shared resilient layer (timeouts, retries, deadline, circuit breaker); each
vendor module speaks one wire protocol on top of it. ``mockmind.app.adapter_choice`` chooses
them and ``mockmind.app.providers`` builds them; nothing else should construct them. The package
re-exports nothing, so that importing one module (the local embedder, offline) does not load
httpx for the others.
"""
