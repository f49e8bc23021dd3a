"""mockmind: an intelligent, stateful mock API server.

The package is layered so the folder tree shows the architecture:

- ``domain``   pure request-handling logic (no boto3, httpx, FastAPI or sqlite3)
- ``ports``    the small interfaces the domain talks to
- ``adapters`` the embedded and AWS implementations of those ports
- ``config``   pydantic models and YAML loading with line numbers
- ``openapi``  OpenAPI document loading, lazy ``$ref`` resolution and validation
- ``app``      wiring: the FastAPI app and the one place adapters are chosen
"""

__version__ = "0.1.0"
