"""What ``mockmind serve`` and ``mockmind proxy`` tell uvicorn beyond its defaults."""

from __future__ import annotations

# uvicorn closes a connection idle for 5 s by default: as long as httpx's pool (and Node's
# agent) keeps one for reuse. A client that sends after about 5 s of quiet (a think time, a
# busy event loop) writes into a connection the server is closing, and gets a ReadError or
# "Server disconnected without sending a response" for a request the server never read:
# `mockmind simulate` with 5 s think times lost 12 of 590 requests so (bench/RESULTS.md, row
# 18). Kept open longer than clients keep them (nginx's 75 s, above a load balancer's 60 s),
# the client is always the side that closes, and nothing races.
KEEP_ALIVE_SECONDS = 75
