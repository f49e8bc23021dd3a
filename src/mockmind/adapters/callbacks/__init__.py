"""Sending the requests the mock makes (callbacks, webhooks): ``http_sender``."""
