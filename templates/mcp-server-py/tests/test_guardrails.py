"""Guardrail tests (pytest). They need no MCP package: `python3 -m pytest` after installing pytest."""

import asyncio

import pytest

from pact_mcp_server.guardrails import InMemoryConsentStore, RateLimited, SlidingWindow, governed


async def lookup_orders(email: str, limit: int = 10) -> dict:
    return {"email": email, "orders": [], "returned": 0}


def run(coro):
    return asyncio.run(coro)


def test_cost_is_injected():
    tool = governed(lookup_orders, name="lookup_orders", cost_cents=0.10, consent_store=InMemoryConsentStore(), consent_subject="email")
    assert run(tool(email="ada@example.com"))["cost_cents"] == 0.10


@pytest.mark.parametrize("status", ["withdrawn", "suppressed", "erased"])
def test_blocking_status_answers_data_and_skips_the_function(status):
    calls = []

    async def fn(email: str) -> dict:
        calls.append(email)
        return {}

    store = InMemoryConsentStore({"Bob@Example.com": status})
    tool = governed(fn, name="t", cost_cents=0.1, consent_store=store, consent_subject="email")
    assert run(tool(email="bob@example.com")) == {"blocked": True, "reason": f"consent_{status}", "cost_cents": 0}
    assert calls == []


def test_sliding_window_refuses_over_the_limit_and_frees_as_calls_age():
    now = [0.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    assert window.take() is None
    now[0] = 30
    assert window.take() is None
    assert window.take() == pytest.approx(30)
    now[0] = 60.5
    assert window.take() is None


def test_rate_limited_error_has_pacts_fields():
    tool = governed(lookup_orders, name="lookup_orders", cost_cents=0, consent_store=None, rate_limit_per_min=1)
    run(tool(email="a@example.com"))
    with pytest.raises(RateLimited) as refused:
        run(tool(email="a@example.com"))
    assert refused.value.data()["code"] == "RATE_LIMITED"
    assert refused.value.data()["retry_after_s"] >= 1
