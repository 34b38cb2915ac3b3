"""Authentication middleware (session cookie -> Viewer) and the role guards routes declare."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.sessions import SESSION_COOKIE, resolve_session
from afterglow.accounts.viewer import Viewer
from afterglow.clock import Clock
from afterglow.exports.tokens import bearer_token, resolve_api_token
from afterglow.settings import Settings

PUBLIC = {"exclude_from_auth": True}


def client_address(
    connection: ASGIConnection[Any, Any, Any, Any], settings: Settings
) -> str | None:
    """The caller's address; behind a trusted proxy, the hop that proxy saw."""
    if settings.trust_proxy_headers:
        forwarded = connection.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return connection.client.host if connection.client else None


def request_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The request's database session (the same one route handlers receive as `db`)."""
    config: SQLAlchemyAsyncConfig = connection.app.state.db_config
    return config.provide_session(connection.app.state, connection.scope)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
    """The signed-in viewer behind the request's session cookie, or 401. Routes that take API
    tokens (exports) also take a request with `Authorization: Bearer` and no cookie."""
    token = connection.cookies.get(SESSION_COOKIE)
    settings: Settings = connection.app.state.settings
    clock: Clock = connection.app.state.clock
    if not token:
        api_token = bearer_token(connection.headers.get("authorization"))
        if api_token is None or not connection.route_handler.opt.get("api_tokens"):
            raise NotAuthorizedException(detail="Sign in first.")
        by_token = await resolve_api_token(
            request_session(connection),
            api_token,
            clock.now(),
            client_address(connection, settings),
        )
        if by_token is None:
            raise NotAuthorizedException(
                detail="This API token is not valid: it was revoked, it expired, or its "
                "clinician's account is no longer active. Make a new one in the workspace.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return by_token
    viewer = await resolve_session(
        request_session(connection),
        settings,
        token,
        clock.now(),
        client_address(connection, settings),
    )
    if viewer is None:
        raise NotAuthorizedException(detail="Your session has ended; sign in again.")
    return viewer


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        viewer = await authenticate(connection)
        return AuthenticationResult(user=viewer, auth=viewer.session_hash)


def _viewer(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
    viewer = connection.user
    assert isinstance(viewer, Viewer)
    return viewer


def _preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A CORS preflight carries no credentials and the middleware skips OPTIONS: nothing to guard."""
    return connection.scope.get("method") == "OPTIONS"


def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _preflight(connection):
        return
    if _viewer(connection).is_patient:
        raise PermissionDeniedException(detail="This is for clinic staff.")


def clinicians_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _preflight(connection):
        return
    if not _viewer(connection).is_clinician:
        raise PermissionDeniedException(detail="This is for the clinic's clinicians.")


def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _preflight(connection):
        return
    if not _viewer(connection).is_admin:
        raise PermissionDeniedException(detail="This is for the clinic's admins.")


def patients_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _preflight(connection):
        return
    if not _viewer(connection).is_patient:
        raise PermissionDeniedException(detail="This is for patients, from their own account.")
