"""Carrying out a batch of deliveries: wait, send with retries, write each one into the
session's history.

An attempt that gets no answer, or a 408, 429 or 5xx, is tried again after an exponential
backoff, up to the policy's retries; any other status is the receiver's final word. A
``Retry-After`` the receiver sends is waited instead when it is longer; one longer than the
policy's longest backoff ends the retries (asking again sooner would only be refused again,
and a Lambda delivery has the function's timeout to live). Every
delivery, refused ones included, becomes an interaction in the history of the session whose
request triggered it (source ``callback`` or ``webhook``, the path being the URL), with a
``delivery`` record: name, target, attempts, final status or error, and when it was
scheduled and finished. A session that ended meanwhile records nothing (logged).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mockmind.domain.callbacks.deliveries import (
    Delivery,
    DeliveryBatch,
    DeliveryFailed,
    DeliveryPolicy,
    Refusal,
    target_refusal,
)
from mockmind.domain.engine.answers import trimmed
from mockmind.domain.engine.session_keeping import save_with_retry
from mockmind.domain.errors import VersionConflict
from mockmind.domain.resources.races import RaceTally
from mockmind.domain.sessions import Interaction, Session
from mockmind.lean_dataclass import dataclass
from mockmind.ports.callbacks import CallbackSender, SentAnswer
from mockmind.ports.clock import Clock
from mockmind.ports.session_store import SessionStore

logger = logging.getLogger("mockmind.callbacks")

_RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class DeliveryRecord:
    """How one delivery went: ``status`` is the last answer's (None if none came)."""

    kind: str
    name: str
    method: str
    url: str
    attempts: int
    status: int | None
    delivered: bool
    scheduled_at: float
    finished_at: float
    trigger: str = ""
    error: str | None = None
    request_body: str = ""
    response_body: bytes = b""
    response_media_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "method": self.method,
            "url": self.url,
            "trigger": self.trigger,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
            "error": self.error,
            "scheduled_at": self.scheduled_at,
            "finished_at": self.finished_at,
        }


class Courier:
    def __init__(
        self,
        sender: CallbackSender,
        sessions: SessionStore,
        clock: Clock,
        policy: DeliveryPolicy,
        *,
        max_history: int,
        races: RaceTally | None = None,
    ) -> None:
        self._sender = sender
        self._sessions = sessions
        self._clock = clock
        self.policy = policy
        self._max_history = max_history
        self._races = races or RaceTally()

    async def deliver(self, batch: DeliveryBatch, *, delay: bool = True) -> list[DeliveryRecord]:
        """Send the batch (after the policy's delay from when it was scheduled) and record it."""
        records = [self._refused(refusal, batch) for refusal in batch.refusals]
        if batch.deliveries and delay:
            wait = batch.scheduled_at + self.policy.delay_seconds - self._clock.now()
            if wait > 0:
                await self._clock.sleep(wait)
        for delivery in batch.deliveries:
            # Checked again here: in Lambda the batch arrives as an event, from whoever may
            # invoke the function.
            reason = target_refusal(delivery.url, self.policy.allowed_hosts)
            if reason is not None:
                refusal = Refusal(
                    delivery.kind,
                    delivery.name,
                    delivery.method,
                    delivery.url,
                    reason,
                    delivery.trigger,
                )
                records.append(self._refused(refusal, batch))
            else:
                records.append(await self._send(delivery, batch.scheduled_at))
        for record in records:
            self._log(record)
        if batch.session_id is not None and records:
            self._record(batch.session_id, records)
        return records

    async def _send(self, delivery: Delivery, scheduled_at: float) -> DeliveryRecord:
        policy = self.policy
        attempts = 0
        answer: SentAnswer | None = None
        error: str | None = None
        too_long: float | None = None
        while True:
            attempts += 1
            try:
                answer = await self._sender.send(
                    delivery.method,
                    delivery.url,
                    delivery.headers,
                    delivery.body.encode(),
                    timeout=policy.timeout_seconds,
                )
                error = None
            except DeliveryFailed as exc:
                answer, error = None, str(exc)
            if not _worth_retrying(answer) or attempts > policy.retries:
                break
            wait = policy.backoff(attempts)
            asked = answer.retry_after if answer is not None else None
            if asked is not None:
                if asked > policy.max_backoff_seconds:
                    too_long = asked
                    break
                wait = max(wait, asked)
            await self._clock.sleep(wait)
        status = answer.status if answer is not None else None
        delivered = status is not None and 200 <= status < 300
        if answer is not None and not delivered:
            error = f"the receiver answered {status}"
            if too_long is not None:
                error += (
                    f" and asked for {too_long:g} s before another attempt (Retry-After), "
                    f"more than callbacks.max_backoff_seconds ({policy.max_backoff_seconds:g} s)"
                )
        return DeliveryRecord(
            kind=delivery.kind,
            name=delivery.name,
            method=delivery.method,
            url=delivery.url,
            attempts=attempts,
            status=status,
            delivered=delivered,
            scheduled_at=scheduled_at,
            finished_at=self._clock.now(),
            trigger=delivery.trigger,
            error=error,
            request_body=delivery.body,
            response_body=answer.body if answer is not None else b"",
            response_media_type=answer.media_type if answer is not None else None,
        )

    def _refused(self, refusal: Refusal, batch: DeliveryBatch) -> DeliveryRecord:
        return DeliveryRecord(
            kind=refusal.kind,
            name=refusal.name,
            method=refusal.method,
            url=refusal.target,
            attempts=0,
            status=None,
            delivered=False,
            scheduled_at=batch.scheduled_at,
            finished_at=self._clock.now(),
            trigger=refusal.trigger,
            error=f"refused: {refusal.reason}",
        )

    def _log(self, record: DeliveryRecord) -> None:
        if record.delivered:
            logger.info(
                "%s %s: %s %s answered %s after %d attempt(s)",
                record.kind,
                record.name,
                record.method,
                record.url,
                record.status,
                record.attempts,
            )
        else:
            logger.warning(
                "%s %s: %s %s not delivered after %d attempt(s): %s",
                record.kind,
                record.name,
                record.method,
                record.url,
                record.attempts,
                record.error,
            )

    def _record(self, session_id: str, records: list[DeliveryRecord]) -> None:
        now = self._clock.now()
        session = self._sessions.get(session_id, now=now)
        if session is None:
            logger.warning(
                "session %s ended before its %d delivery record(s) were written",
                session_id,
                len(records),
            )
            return
        interactions = [_interaction(record) for record in records]

        def update(current: Session) -> Session:
            for interaction in interactions:
                current = current.with_interaction(interaction, self._max_history)
            return current

        try:
            save_with_retry(self._sessions, session, False, update, now, self._races)
        except VersionConflict:
            logger.warning(
                "session %s kept changing: its delivery records were not written", session_id
            )


def _worth_retrying(answer: SentAnswer | None) -> bool:
    if answer is None:
        return True
    return answer.status >= 500 or answer.status in _RETRIED_STATUSES


def _interaction(record: DeliveryRecord) -> Interaction:
    return Interaction(
        at=record.finished_at,
        method=record.method,
        path=record.url,
        status=record.status or 0,
        request_body=trimmed(record.request_body.encode()),
        response_body=_parsed(record.response_body, record.response_media_type),
        source=record.kind,
        delivery=record.as_dict(),
    )


def _parsed(body: bytes, media_type: str | None) -> Any:
    if not body:
        return None
    if media_type and "json" in media_type:
        try:
            return json.loads(body[:4096])
        except ValueError:
            pass
    return trimmed(body)
