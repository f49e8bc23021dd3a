"""Requests the mock sends: an operation's callbacks and the document's webhooks.

``runtime_expressions`` (the URLs), ``planning`` (what to send after an answer, or when a
webhook is fired), ``deliveries`` (the batch, as plain data), ``courier`` (sending with
retries, and the session's history).
"""
