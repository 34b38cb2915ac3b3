"""The API documentation pages load only the app's own files, under a CSP, and work offline.

Litestar's defaults pull Swagger UI, ReDoc and friends from CDNs without integrity checks, on
the app's own origin: a CDN compromise would run script next to the session cookie's origin.
"""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from conftest import ClientFactory

REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""")


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    csp = response.headers.get("content-security-policy", "")
    assert csp, f"{response.request.url.path} has no CSP"
    return {
        name: values for name, *values in (part.split() for part in csp.split(";") if part.strip())
    }


def docs_pages(app: Litestar) -> list[str]:
    """Every page the app serves under /schema, from its route table (not a list kept by hand)."""
    return sorted(
        route.path
        for route in app.routes
        if route.path.startswith("/schema") and "{" not in route.path
    )


async def test_the_api_docs_load_no_third_party_script(
    make_client: ClientFactory, running_app: Litestar
) -> None:
    client = await make_client()
    pages = docs_pages(running_app)
    assert {"/schema", "/schema/swagger", "/schema/redoc"} <= set(pages)

    html_pages = 0
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, path
        if not response.headers["content-type"].startswith("text/html"):
            continue
        html_pages += 1
        page = response.text
        assert not re.search(r"https?://", page.split("<body", 1)[0]), f"{path} names a URL"
        for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
            assert script.strip() == "", f"{path} has an inline script"
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"], path
        assert all("http" not in value for values in directives.values() for value in values)
        assert directives["frame-ancestors"] == ["'none'"]

        references = REFERENCE.findall(page)
        assert any(ref.endswith(".js") for ref in references), f"{path} loads no script"
        for ref in references:
            assert ref.startswith("/"), f"{path} refers to {ref}"
            asset = await client.get(ref)
            assert asset.status_code == 200, ref
            assert asset.headers.get("content-security-policy"), ref
            assert asset.headers["x-content-type-options"] == "nosniff"
    assert html_pages >= 3


async def test_the_vendored_docs_code_comes_with_its_licences(make_client: ClientFactory) -> None:
    client = await make_client()
    swagger = (await client.get("/schema/swagger")).text
    redoc = (await client.get("/schema/redoc")).text
    folders = {
        m.group(1) for m in re.finditer(r"(/schema/assets/[a-z-]+-[0-9.]+)/", swagger + redoc)
    }
    assert len(folders) == 2, folders

    for folder in folders:
        licence = await client.get(f"{folder}/LICENSE")
        assert licence.status_code == 200, folder
        assert "License" in licence.text or "LICENSE" in licence.text


async def test_the_docs_assets_are_cached_for_good_and_sent_gzipped(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    page = (await client.get("/schema/swagger")).text
    [bundle] = re.findall(r'src="(/schema/assets/[^"]+bundle\.js)"', page)

    response = await client.get(bundle, headers={"accept-encoding": "gzip"})

    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert "set-cookie" not in response.headers
