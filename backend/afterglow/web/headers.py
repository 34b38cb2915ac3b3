"""Security headers the whole app sends, set as the response leaves so that no route can miss them.

A before-send hook rather than a middleware: Litestar answers unknown routes (404/405) outside
every middleware, and those answers need the headers as much as any other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Swagger UI and ReDoc run only the app's own copies (web/docs_vendor). Both render with inline
# styles (React style props, ReDoc's styled-components) and ReDoc's search runs in a blob: worker;
# scripts stay 'self' only, and nothing may leave for another origin.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# One year, the usual minimum for browsers' preload lists; the app is served whole over HTTPS.
HSTS = "max-age=31536000; includeSubDomains"

SendHook = Callable[[Message, Scope], Awaitable[None]]


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _is_docs(path: str) -> bool:
    return path == "/schema" or path.startswith("/schema/")


def security_headers(*, https: bool) -> SendHook:
    """The hook for this deployment: HSTS only when the public URL is https (a plain-HTTP
    install on a LAN must not pin browsers to an HTTPS that does not exist)."""

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        path = scope.get("path", "")
        if _is_api(path):
            # Patient data must stay in no browser or proxy cache, and JSON is never a script.
            headers["cache-control"] = "no-store"
            headers["x-content-type-options"] = "nosniff"
        elif _is_docs(path):
            headers["content-security-policy"] = DOCS_CONTENT_SECURITY_POLICY
            headers["x-content-type-options"] = "nosniff"
            headers["referrer-policy"] = "no-referrer"
        if https:
            headers["strict-transport-security"] = HSTS

    return add_security_headers
