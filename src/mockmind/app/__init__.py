"""Wiring only: choose adapters from config and environment (adapter_choice), build them and the
engine (adapter_builder, providers, bootstrap), and expose the engine over HTTP (api)."""
