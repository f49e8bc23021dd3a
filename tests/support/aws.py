"""Clients and names for the session's moto server (the ``moto_endpoint`` fixture)."""

from __future__ import annotations

import uuid
from typing import Any

AWS_REGION = "us-east-1"


def aws_client(service: str, endpoint: str, **options: Any) -> Any:
    """A boto3 client for ``service`` at the moto server."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=AWS_REGION, **options)


def unique_name(prefix: str) -> str:
    """A table or bucket name no other test uses (they share one moto server)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
