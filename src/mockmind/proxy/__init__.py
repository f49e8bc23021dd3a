"""A recording reverse proxy in front of a real API (``mockmind proxy``), and the upstream a
served mock forwards what it cannot answer to (``serve`` with ``upstream:``).

- ``forwarding``: the reverse proxy on httpx (streamed bodies, hop-by-hop headers dropped,
  Host rewritten, timeouts; 502 and 504 problem answers when the upstream fails);
- ``masking``: what a recording never keeps (credentials, cookies, secret-named fields, the
  names the config adds);
- ``recording``: each exchange as a journal event (``domain/journal``), one JSON line each,
  or as a HAR 1.2 entry (``har``);
- ``drift``: a request and its upstream answer checked against an OpenAPI document, every
  mismatch reported (``X-Mockmind-Validation``, a log line, the admin routes' list);
- ``app`` and ``admin``: the proxy's ASGI app and its routes under ``/__mockmind/proxy/``;
- ``command``: the ``mockmind proxy`` command.

The domain never sees any of it: this is an adapter-level piece, wired by the app and the CLI.
"""
