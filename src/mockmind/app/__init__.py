"""Wiring only: choose adapters from config (bootstrap) and expose the engine over HTTP (api)."""
