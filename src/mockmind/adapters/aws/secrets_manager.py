"""API keys from one Secrets Manager secret holding a JSON object of environment-style names.

``{"OPENAI_API_KEY": "sk-...", "ANTHROPIC_API_KEY": ""}``: an empty value counts as absent.
Reads go through Powertools parameters, which keep the secret for ``max_age`` seconds, so a
warm Lambda instance does not call Secrets Manager per request. A name the cached secret lacks
is looked up again at the source before the answer is "absent": someone may have filled the
secret in since, and an absence is never cached.

No value ever reaches a message: errors name the secret and the AWS error code only, and are
raised without chaining the SDK's exception (whose text could quote the response).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)
from botocore.exceptions import BotoCoreError, ClientError

from mockmind.domain.errors import StoreError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

DEFAULT_MAX_AGE_SECONDS = 300


class SecretsManagerSecretProvider:
    def __init__(
        self,
        client: SecretsManagerClient,
        secret_id: str,
        *,
        max_age: int = DEFAULT_MAX_AGE_SECONDS,
    ) -> None:
        self._provider = SecretsProvider(boto3_client=client)
        self._secret_id = secret_id
        self._max_age = max_age

    def __repr__(self) -> str:
        return f"SecretsManagerSecretProvider({self._secret_id!r})"

    def get(self, name: str) -> str | None:
        value = _value(self._document(force=False), name)
        if value is None:
            value = _value(self._document(force=True), name)
        return value

    def _document(self, *, force: bool) -> Mapping[str, Any] | None:
        try:
            document = self._provider.get(
                self._secret_id, max_age=self._max_age, transform="json", force_fetch=force
            )
        except TransformParameterError:
            raise StoreError(f"secret {self._secret_id} does not hold a JSON object") from None
        except GetParameterError as exc:
            code = _code(exc.__context__)
            if code == "ResourceNotFoundException":
                return None
            raise StoreError(
                f"Secrets Manager GetSecretValue of {self._secret_id} failed: {code}"
            ) from None
        if not isinstance(document, dict):
            raise StoreError(f"secret {self._secret_id} does not hold a JSON object")
        return document


def _value(document: Mapping[str, Any] | None, name: str) -> str | None:
    value = None if document is None else document.get(name)
    return value if isinstance(value, str) and value else None


def _code(cause: BaseException | None) -> str:
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "Unknown"))
    if isinstance(cause, BotoCoreError):
        return type(cause).__name__
    return "Unknown"
