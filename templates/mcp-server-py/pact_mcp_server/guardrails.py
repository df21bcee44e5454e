"""The guardrails of @pact/mcp-server, in Python: consent gate, cost injection, sliding window.

Pure Python (no dependency), so it is tested on its own (tests/test_guardrails.py).
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import time
from collections import deque
from typing import Any, Awaitable, Callable, Mapping, Protocol

#: Consent statuses as Pact records them; `unknown` (no record) does not block.
BLOCKING_STATUSES = ("withdrawn", "suppressed", "erased")
STATUSES = ("granted", "unknown", *BLOCKING_STATUSES)

#: The `_meta` key under which each tool publishes its governance (read by Pact's gateway).
GOVERNANCE_META_KEY = "dev.pact/governance"


class ConsentStore(Protocol):
    def check(self, subject: str) -> str | Awaitable[str]: ...


def _normalise(subject: str) -> str:
    return subject.strip().lower()


class InMemoryConsentStore:
    """Consent in memory, for examples and tests: every subject is `unknown` (allowed) until set."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._statuses: dict[str, str] = {}
        for subject, status in (initial or {}).items():
            self.set(subject, status)

    def check(self, subject: str) -> str:
        return self._statuses.get(_normalise(subject), "unknown")

    def set(self, subject: str, status: str) -> "InMemoryConsentStore":
        if status not in STATUSES:
            raise ValueError(f"unknown consent status {status!r} (one of {', '.join(STATUSES)})")
        if status == "unknown":
            self._statuses.pop(_normalise(subject), None)
        else:
            self._statuses[_normalise(subject)] = status
        return self

    def withdraw(self, subject: str) -> "InMemoryConsentStore":
        return self.set(subject, "withdrawn")

    def grant(self, subject: str) -> "InMemoryConsentStore":
        return self.set(subject, "granted")


class RateLimited(Exception):
    """Over a tool's per-minute limit: the same fields as Pact's RATE_LIMITED error."""

    def __init__(self, tool: str, limit: int, retry_after_s: int, window_s: int = 60) -> None:
        self.tool = tool
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.window_s = window_s
        super().__init__(json.dumps(self.data()))

    def data(self) -> dict[str, Any]:
        return {
            "code": "RATE_LIMITED",
            "message": f"Rate limit exceeded for tool {self.tool}: {self.limit} calls per {self.window_s} s. Retry after {self.retry_after_s} s.",
            "retry_after_s": self.retry_after_s,
            "limit": self.limit,
            "window_s": self.window_s,
            "scope": f"tool:{self.tool}",
        }


class SlidingWindow:
    """At most `limit` calls in any `window_s` seconds (a true sliding window of call times)."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._calls: deque[float] = deque()

    def take(self) -> float | None:
        """Records a call and returns None, or returns the seconds until one is allowed."""
        now = self._clock()
        while self._calls and self._calls[0] <= now - self.window_s:
            self._calls.popleft()
        if len(self._calls) >= self.limit:
            return self._calls[0] + self.window_s - now
        self._calls.append(now)
        return None


def governed(
    fn: Callable[..., Any],
    *,
    name: str,
    cost_cents: float,
    consent_store: ConsentStore | None,
    consent_subject: str | None = None,
    rate_limit_per_min: int | None = None,
) -> Callable[..., Awaitable[Any]]:
    """Wraps a tool function with the guardrails; the wrapper keeps its signature (for the input schema).

    Order, as in @pact/mcp-server: the rate limit counts every call; then the consent gate (a
    blocking status answers `{"blocked": True, "reason": "consent_<status>", "cost_cents": 0}` as
    data and the function does not run); then the function, whose dict result gets `cost_cents`.
    """
    if cost_cents < 0:
        raise ValueError("cost_cents must not be negative")
    if consent_subject is not None:
        if consent_store is None:
            raise ValueError(f"tool {name} names consent_subject={consent_subject!r} but the server has no consent_store")
        if consent_subject not in inspect.signature(fn).parameters:
            raise ValueError(f"tool {name}: consent_subject {consent_subject!r} is not one of its arguments")
    window = SlidingWindow(rate_limit_per_min) if rate_limit_per_min else None
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if window is not None:
            wait = window.take()
            if wait is not None:
                raise RateLimited(name, window.limit, max(1, math.ceil(wait)))
        if consent_subject is not None and consent_store is not None:
            bound = signature.bind_partial(*args, **kwargs)
            subject = bound.arguments.get(consent_subject)
            if isinstance(subject, str):
                status = consent_store.check(subject)
                if inspect.isawaitable(status):
                    status = await status
                if status in BLOCKING_STATUSES:
                    # Data, not an error, and not charged: as Pact's own server answers a blocked subject.
                    return {"blocked": True, "reason": f"consent_{status}", "cost_cents": 0}
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, dict):
            return {**result, "cost_cents": cost_cents}
        return {"result": result, "cost_cents": cost_cents}

    wrapper.governance = {  # type: ignore[attr-defined]
        "cost_cents": cost_cents,
        "rate_limit_per_min": rate_limit_per_min,
        "consent_subject": consent_subject,
    }
    return wrapper
