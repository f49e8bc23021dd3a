"""The wire shapes of the operator's tenant routes (``app/tenant_admin.py``).

A push sends a tenant's files as one JSON document: each path (relative to the tenant's
folder, ``mockmind.yaml`` among them) to its text, or to ``{"base64": "..."}`` for a file that
is not UTF-8 text. JSON keeps the request one Lambda event, read and checked whole.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Lambda takes at most 6 MB in a request; its base64 encoding of a body takes a third more.
MAX_PUSH_BYTES = 4 * 1024 * 1024
MAX_PUSH_FILES = 200


class EncodedFile(BaseModel):
    """A file that is not text, in base64."""

    model_config = ConfigDict(extra="forbid")

    base64: str

    @field_validator("base64")
    @classmethod
    def _decodes(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"not base64: {exc}") from None
        return value

    def decoded(self) -> bytes:
        return base64.b64decode(self.base64, validate=True)


class TenantPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, str | EncodedFile] = Field(
        min_length=1,
        max_length=MAX_PUSH_FILES,
        description="Each file by its path in the tenant's folder: its text, or "
        '{"base64": ...}; mockmind.yaml among them, and every document it names.',
    )

    def as_bytes(self) -> dict[str, bytes]:
        return {
            path: body.encode() if isinstance(body, str) else body.decoded()
            for path, body in self.files.items()
        }


class TenantStored(BaseModel):
    tenant: str
    version: str = Field(description="The version stored: what GET /tenants lists for it.")
    created: bool = Field(description="false: an existing tenant was replaced.")
    files: list[str]


class TenantRow(BaseModel):
    name: str
    version: str | None = Field(description="The catalog's version; null while it is deleted.")
    built: bool = Field(description="Whether the instance that answers has its world built.")
    built_version: str | None = Field(
        description="The version of that world (older than `version` until its next refresh)."
    )


class TenantList(BaseModel):
    tenants: list[TenantRow]


class TenantDeleted(BaseModel):
    tenant: str
    deleted: bool


class ConfigProblem(BaseModel):
    """One problem of a refused config: the file, its line and column, the key, the words."""

    file: str | None
    line: int | None
    column: int | None
    path: str
    message: str


class FrontHealth(BaseModel):
    status: str
    tenants: int = Field(description="The tenants whose worlds this instance has built.")
