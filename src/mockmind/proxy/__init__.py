"""A recording reverse proxy in front of a real API (``mockmind proxy``), and the upstream a
served mock forwards what it cannot answer to (``serve`` with ``upstream:``).

- ``forwarding``: the reverse proxy on httpx (streamed bodies, hop-by-hop headers dropped,
  Host rewritten, timeouts; 502 and 504 problem answers when the upstream fails);
- ``exchange``: one request and its answer as they went through, bodies kept up to a limit;
- ``masking`` and ``bodies``: what a recording never keeps (credentials, cookies,
  secret-named fields, the names the config adds), and how each kind of body is kept;
- ``recording``: each exchange as a journal event (``domain/journal``), one JSON line each,
  or as a HAR 1.2 entry (``har``);
- ``drift``: a request and its upstream answer checked against an OpenAPI document, every
  mismatch reported (``X-Mockmind-Validation``, a log line, the admin routes' list kept by
  ``mismatches``);
- ``app``, ``state`` and ``admin``: the proxy's ASGI app, what it shares with its routes, and
  those routes under ``/__mockmind/proxy/``;
- ``command``: the ``mockmind proxy`` command.

``serve``'s ``upstream:`` (``app/upstream.py``) uses ``forwarding`` and ``recording``.

The domain never sees any of it: this is an adapter-level piece, wired by the app and the CLI.
"""
