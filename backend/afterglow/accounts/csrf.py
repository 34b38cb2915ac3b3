"""CSRF tokens bound to the sign-in session.

Litestar's own middleware checks a double-submit cookie: any signed token that the cookie and
the header agree on. Whoever can plant a cookie (a sibling subdomain, plain HTTP on the way)
then knows the token of every later session. Here a signed-in request must carry its session's
own token (`sessions.session_csrf_token`); only requests without a session use a random signed
token as before. The token follows the session: a response that signs in or out sets the new
one at once, and every response says the current one in `x-csrftoken`, so a service worker
without cookie access can take it from a plain GET.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from secrets import compare_digest
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from afterglow.accounts.sessions import SESSION_COOKIE, session_csrf_token
from afterglow.accounts.viewer import Viewer


def _session_set_by(headers: MutableScopeHeaders) -> str | None:
    """The session cookie a response sets: its value, "" when it ends it, None when untouched."""
    for header in headers.getall("set-cookie", []):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        morsel = jar.get(SESSION_COOKIE)
        if morsel is None:
            continue
        if not morsel.value or morsel["max-age"] in ("0", 0):
            return ""
        return morsel.value
    return None


def _by_api_token(scope: Scope) -> bool:
    """An integration's request, authenticated by its API token and not by a cookie: a browser
    never adds that header by itself, so no other site can forge it."""
    viewer = scope.get("user")
    return isinstance(viewer, Viewer) and viewer.token_id is not None


class SessionBoundCSRFMiddleware(CSRFMiddleware):
    """Configured with Litestar's `CSRFConfig` (cookie and header names, secret, cookie flags)."""

    def _current_token(self, session: str | None, cookie: str | None) -> str:
        if session:
            return session_csrf_token(self.config.secret, session)
        if cookie and self._decode_csrf_token(cookie) is not None:
            return cookie
        return generate_csrf_token(self.config.secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or should_bypass_middleware(
                scope=scope,
                scopes=self.scopes,
                exclude_opt_key=self.config.exclude_from_csrf_key,
                exclude_path_pattern=self.exclude,
            )
            or _by_api_token(scope)
        ):
            await self.app(scope, receive, send)
            return

        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        cookie = request.cookies.get(self.config.cookie_name)
        token = self._current_token(request.cookies.get(SESSION_COOKIE), cookie)
        if request.method not in self.config.safe_methods:
            sent = request.headers.get(self.config.header_name) or ""
            # Without a session the cookie must be one this server signed; with one, the token
            # is the session's own and a planted cookie does not count.
            if not (cookie and compare_digest(sent, token)):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).csrf_token = token
        await self.app(scope, receive, self._following_the_session(send, cookie, token))

    def _following_the_session(self, send: Send, cookie: str | None, token: str) -> Send:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                new_session = _session_set_by(headers)
                current = token
                if new_session is not None:
                    current = (
                        session_csrf_token(self.config.secret, new_session)
                        if new_session
                        else generate_csrf_token(self.config.secret)
                    )
                if current != cookie:
                    self._set_cookie_if_needed(message=message, token=current)
                headers[self.config.header_name] = current
            await send(message)

        return send_wrapper
