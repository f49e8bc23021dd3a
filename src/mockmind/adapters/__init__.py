"""Implementations of the ports: embedded ones (memory, sqlite, env) and AWS ones."""
