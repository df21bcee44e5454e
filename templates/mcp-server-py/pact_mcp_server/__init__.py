"""A small Python counterpart of @pact/mcp-server on the official MCP Python SDK (FastMCP).

    server = PactServer("my-tools", consent_store=InMemoryConsentStore())

    @server.tool(cost_cents=0.10, consent_subject="email", rate_limit_per_min=60)
    async def lookup_orders(email: str, limit: int = 10) -> dict: ...

    app = server.app()  # an ASGI app: uvicorn server:app
"""

from __future__ import annotations

from typing import Any, Callable

from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

from .guardrails import GOVERNANCE_META_KEY, ConsentStore, InMemoryConsentStore, RateLimited, governed

__all__ = ["PactServer", "InMemoryConsentStore", "RateLimited", "GOVERNANCE_META_KEY"]


class PactServer:
    def __init__(self, name: str, consent_store: ConsentStore | None = None, **fastmcp_options: Any) -> None:
        self.name = name
        self.consent_store = consent_store
        self.mcp = FastMCP(name, stateless_http=True, **fastmcp_options)
        self.governance: dict[str, dict[str, Any]] = {}

    def tool(
        self,
        *,
        cost_cents: float,
        consent_subject: str | None = None,
        rate_limit_per_min: int | None = None,
        name: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            tool_name = name or fn.__name__
            wrapped = governed(
                fn,
                name=tool_name,
                cost_cents=cost_cents,
                consent_store=self.consent_store,
                consent_subject=consent_subject,
                rate_limit_per_min=rate_limit_per_min,
            )
            self.governance[tool_name] = wrapped.governance  # type: ignore[attr-defined]
            self.mcp.tool(name=tool_name, description=description or fn.__doc__, annotations=annotations)(wrapped)
            return fn

        return register

    def app(self) -> Any:
        """The Streamable HTTP ASGI app (MCP endpoint at /mcp)."""
        return self.mcp.streamable_http_app()

    def run(self, transport: str = "stdio") -> None:
        self.mcp.run(transport=transport)  # type: ignore[arg-type]
