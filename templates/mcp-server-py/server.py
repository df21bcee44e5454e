"""{{name}}: an MCP server whose tools are consent-gated, cost-metered and rate-limited.

Run it with `pact mcp dev` (hot reload on :9000) or `uvicorn server:app --port 9000`.
"""

from pact_mcp_server import PactServer
from pact_mcp_server.guardrails import InMemoryConsentStore

# Who may be processed: one example subject has withdrawn consent.
consent_store = InMemoryConsentStore({"withdrawn@example.com": "withdrawn"})

server = PactServer("{{name}}", consent_store=consent_store)

# Fake order data: replace with a call to your own system.
ORDERS = {
    "ada@example.com": [
        {"id": "ord_1003", "placed_at": "2026-11-28", "total_cents": 12900, "status": "shipped"},
        {"id": "ord_1001", "placed_at": "2026-10-02", "total_cents": 4500, "status": "delivered"},
    ],
    "grace@example.com": [
        {"id": "ord_1002", "placed_at": "2026-11-03", "total_cents": 89000, "status": "refunded"},
    ],
    "withdrawn@example.com": [
        {"id": "ord_0999", "placed_at": "2026-01-15", "total_cents": 1000, "status": "delivered"},
    ],
}


def fetch(email: str, limit: int) -> list[dict]:
    return ORDERS.get(email.strip().lower(), [])[:limit]


@server.tool(cost_cents=0.10, consent_subject="email", rate_limit_per_min=60)
async def lookup_orders(email: str, limit: int = 10) -> dict:
    """Look up a customer's recent orders by e-mail address."""
    orders = fetch(email, limit)
    return {"email": email, "orders": orders, "returned": len(orders)}


@server.tool(cost_cents=0)
async def ping() -> dict:
    """Check that the server answers."""
    return {"ok": True, "message": "pong"}


app = server.app()  # serve with uvicorn / `pact mcp dev`

if __name__ == "__main__":
    server.run()
