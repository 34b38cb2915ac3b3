"""HTTP for the patient app (the HTML shell, the service worker, the manifest and static files)
and for the clinician workspace at /clinic/, a bundle of its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_304_NOT_MODIFIED

from afterglow.web.bundle import (
    CLINIC_DIR,
    HTML_SECURITY_HEADERS,
    Asset,
    Bundle,
    load_bundle,
    load_clinic_bundle,
)

log = logging.getLogger(__name__)

# Route option that keeps the app's response compression off a route: these files come
# gzipped once, at start, and must not be compressed again per request.
SKIP_COMPRESSION = "skip_compression"

# Static files need no session, and no CSRF cookie on immutable responses (a Set-Cookie
# there would stop shared caches from keeping them). The HTML keeps the CSRF middleware,
# so the first page load already gives the app its csrftoken cookie.
STATIC = {"exclude_from_auth": True, "exclude_from_csrf": True, SKIP_COMPRESSION: True}
PAGE = {"exclude_from_auth": True, SKIP_COMPRESSION: True}


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def asset_response(
    request: Request[Any, Any, Any], asset: Asset, extra: dict[str, str] | None = None
) -> Response[bytes]:
    """The asset, gzipped when the client takes it, or 304 when the client's copy is current."""
    gzipped = asset.gzipped is not None and _accepts_gzip(request)
    etag = asset.etag[:-1] + '-gz"' if gzipped else asset.etag
    headers = {
        "cache-control": asset.cache_control,
        "etag": etag,
        "vary": "accept-encoding",
        "x-content-type-options": "nosniff",
        **(extra or {}),
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    if gzipped:
        assert asset.gzipped is not None
        headers["content-encoding"] = "gzip"
        body = asset.gzipped
    else:
        body = asset.body
    return Response(body, status_code=HTTP_200_OK, media_type=asset.media_type, headers=headers)


def _serve(request: Request[Any, Any, Any], bundle: Bundle, url_path: str) -> Response[bytes]:
    asset = bundle.find(url_path)
    if asset is None:
        raise NotFoundException(detail=f"No file {url_path}")
    return asset_response(request, asset)


def pwa_router(pwa_dir: Path) -> Router:
    """Routes serving the patient app from `pwa_dir` (`Settings.pwa_dir`: `pwa/`, or
    AFTERGLOW_PWA_DIR).

    Without the app's files (a bare install of the API), `/` keeps pointing at the API docs.
    """
    try:
        bundle = load_bundle(pwa_dir)
    except FileNotFoundError as missing:
        log.warning("Patient app not served: %s", missing)

        @get("/", opt=PAGE, include_in_schema=False)
        async def api_docs() -> Redirect:
            return Redirect(path="/schema")

        return Router(path="/", route_handlers=[api_docs])

    @get("/", opt=PAGE, include_in_schema=False)
    async def app_shell(request: Request[Any, Any, Any]) -> Response[bytes]:
        return asset_response(request, bundle.assets["/"], HTML_SECURITY_HEADERS)

    @get("/sw.js", opt=STATIC, include_in_schema=False)
    async def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
        return asset_response(
            request, bundle.assets["/sw.js"], {"content-security-policy": "default-src 'self'"}
        )

    @get("/manifest.webmanifest", opt=STATIC, include_in_schema=False)
    async def manifest(request: Request[Any, Any, Any]) -> Response[bytes]:
        return asset_response(request, bundle.assets["/manifest.webmanifest"])

    @get("/app/{path:path}", opt=STATIC, include_in_schema=False)
    async def app_code(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        return _serve(request, bundle, "/app" + path)

    @get("/vendor/{path:path}", opt=STATIC, include_in_schema=False)
    async def vendor_code(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        return _serve(request, bundle, "/vendor" + path)

    @get("/icons/{path:path}", opt=STATIC, include_in_schema=False)
    async def icons(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        return _serve(request, bundle, "/icons" + path)

    return Router(
        path="/",
        route_handlers=[
            app_shell,
            service_worker,
            manifest,
            app_code,
            vendor_code,
            icons,
            *clinic_routes(pwa_dir / CLINIC_DIR),
        ],
    )


def clinic_routes(clinic_dir: Path) -> list[Any]:
    """Routes serving the clinician workspace from `clinic_dir` (`pwa/clinic/`), none without it.

    Its page is at `/clinic/` (hash routes inside it), its code at `/clinic/app/<build>/...`,
    and its own service worker, when it has one, at `/clinic/sw.js` (scope `/clinic/`).
    """
    bundle = load_clinic_bundle(clinic_dir)
    if bundle is None:
        log.warning("Clinician workspace not served: %s is missing", clinic_dir / "index.html")
        return []

    @get(["/clinic", "/clinic/"], opt=PAGE, include_in_schema=False)
    async def workspace_shell(request: Request[Any, Any, Any]) -> Response[bytes] | Redirect:
        if not request.scope.get("raw_path", b"/").endswith(b"/"):
            # Relative URLs and the service worker's scope need the folder's own URL.
            return Redirect(path="/clinic/")
        return asset_response(request, bundle.assets["/clinic/"], HTML_SECURITY_HEADERS)

    @get("/clinic/app/{path:path}", opt=STATIC, include_in_schema=False)
    async def workspace_code(
        request: Request[Any, Any, Any], path: FromPath[str]
    ) -> Response[bytes]:
        return _serve(request, bundle, "/clinic/app" + path)

    handlers: list[Any] = [workspace_shell, workspace_code]
    worker = bundle.find("/clinic/sw.js")
    if worker is not None:

        @get("/clinic/sw.js", opt=STATIC, include_in_schema=False)
        async def workspace_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
            return asset_response(
                request, worker, {"content-security-policy": "default-src 'self'"}
            )

        handlers.append(workspace_worker)
    return handlers
