"""The API documentation pages (`/schema`, Swagger UI, ReDoc) on the app's own copies of their code.

Litestar's render plugins load Swagger UI, ReDoc, RapiDoc, Elements and Scalar from CDNs with
no integrity check, on the app's origin, and inline the schema in a script. Here two viewers
are served from `docs_vendor/` (vendored from npm, with their licences) and the pages carry no
inline script, so the CSP of `web.headers` can allow scripts from 'self' alone.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin
from litestar.params import FromPath

from afterglow.web.bundle import IMMUTABLE, MEDIA_TYPES, REVALIDATE, Asset
from afterglow.web.routes import STATIC, asset_response

DOCS_VENDOR = Path(__file__).with_name("docs_vendor")
ASSETS = "/schema/assets"
SWAGGER = f"{ASSETS}/swagger-ui-5.35.0"
REDOC = f"{ASSETS}/redoc-2.5.4"
SPEC = "/schema/openapi.json"
FAVICON = f'<link rel="icon" type="image/png" href="{SWAGGER}/favicon-32x32.png">'


def _page(
    openapi_schema: dict[str, Any], *, head: str = "", body: str, body_attrs: str = ""
) -> bytes:
    """One docs page: the shared head (title, favicon), the viewer's own head and body, no inline script."""
    title = str(openapi_schema["info"]["title"]).replace("&", "&amp;").replace("<", "&lt;")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{FAVICON}
{head}
</head>
<body{body_attrs}>
{body}
</body>
</html>
""".encode()


class LocalSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI from `docs_vendor/`, started by our own `swagger-init.js`."""

    def __init__(self, *, path: str | list[str] = "/swagger") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _page(
            openapi_schema,
            head=f'<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">',
            body_attrs=f' data-spec="{SPEC}"',
            body=f"""<div id="swagger-ui"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/swagger-init.js"></script>""",
        )


class LocalRedocPlugin(OpenAPIRenderPlugin):
    """ReDoc's standalone bundle from `docs_vendor/`; it starts itself on the <redoc> element.

    Its sidebar always tries a Redocly logo from cdn.redoc.ly: the CSP blocks that image and
    ReDoc then leaves it out.
    """

    def __init__(self, *, path: str | list[str] = "/redoc") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _page(
            openapi_schema,
            body=f"""<redoc spec-url="{SPEC}"></redoc>
<script src="{REDOC}/redoc.standalone.js"></script>""",
        )


def docs_render_plugins() -> list[OpenAPIRenderPlugin]:
    """ReDoc at `/schema` as before; the document as JSON and YAML; no viewer from a CDN."""
    return [
        LocalRedocPlugin(path=["/", "/redoc"]),
        LocalSwaggerPlugin(),
        JsonRenderPlugin(),
        YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
    ]


@cache
def _load_docs_assets() -> dict[str, Asset]:
    """Every file of `docs_vendor/` by URL: versioned folders cached for good, the rest revalidated.

    Read and gzipped once per process (3 MB, ~90 ms), however many apps it creates: the files
    ship inside the package and do not change while it runs.
    """
    assets = {}
    for path in sorted(DOCS_VENDOR.rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        name = path.relative_to(DOCS_VENDOR).as_posix()
        suffix = path.suffix if path.suffix in MEDIA_TYPES else ""  # LICENSE, NOTICE, *.txt
        policy = IMMUTABLE if "/" in name else REVALIDATE
        assets[f"{ASSETS}/{name}"] = Asset.of(path.read_bytes(), suffix, policy)
    return assets


def docs_assets_router() -> Router:
    assets = _load_docs_assets()

    @get("/{path:path}", opt=STATIC, include_in_schema=False)
    async def docs_asset(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        asset = assets.get(ASSETS + path)
        if asset is None:
            raise NotFoundException(detail=f"No file {ASSETS}{path}")
        return asset_response(request, asset)

    return Router(path=ASSETS, route_handlers=[docs_asset], include_in_schema=False)
