"""The patient app as the server hands it out: cache policy, security headers, content types.

These pin what a browser relies on: a strict CSP on the page, versioned code that may be
cached forever, an HTML shell and service worker that are revalidated on every start, and a
service worker whose precache list really exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from afterglow.app import create_app
from afterglow.settings import Settings

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the real app; static files touch no database, so none is migrated."""
    settings = Settings.from_env(
        {"AFTERGLOW_DATA_DIR": str(tmp_path), "AFTERGLOW_SCHEDULER": "off"},
        public_url="http://testserver.local",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


async def build_of(browser: httpx.AsyncClient) -> str:
    page = (await browser.get("/")).text
    found = re.search(r'src="/app/([0-9a-f]{12})/main\.js"', page)
    assert found, page
    return found.group(1)


async def test_it_serves_the_app_shell_at_the_root_with_a_strict_csp(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"


async def test_the_page_has_no_inline_script_or_style(browser: httpx.AsyncClient) -> None:
    page = (await browser.get("/")).text

    assert "<style" not in page
    assert " style=" not in page
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        assert script.strip() == ""
    assert not re.search(r"\son[a-z]+=", page), "no inline event handlers"


async def test_the_first_page_load_gives_the_app_its_csrf_cookie(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/")

    assert "csrftoken" in response.cookies


async def test_the_page_points_at_this_releases_versioned_code(
    browser: httpx.AsyncClient,
) -> None:
    build = await build_of(browser)

    page = (await browser.get("/")).text
    assert f'href="/app/{build}/styles.css"' in page
    assert f'src="/app/{build}/outbox-core.js"' in page
    main = await browser.get(f"/app/{build}/main.js")
    assert main.status_code == 200
    assert main.headers["content-type"] == "text/javascript; charset=utf-8"
    assert main.headers["cache-control"] == IMMUTABLE
    assert "set-cookie" not in main.headers


async def test_unversioned_app_code_is_revalidated(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/app/main.js")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_vendor_code_is_immutable_because_its_folder_names_the_version(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/vendor/preact-11.2.0/preact.mjs")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == IMMUTABLE


async def test_the_service_worker_is_served_from_the_root_revalidated_with_its_release(
    browser: httpx.AsyncClient,
) -> None:
    build = await build_of(browser)

    response = await browser.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "__AFTERGLOW_RELEASE__" not in response.text
    release = json.loads(re.search(r"const RELEASE = (\{.*?\});", response.text).group(1))  # type: ignore[union-attr]
    assert release["build"] == build
    assert "/" in release["precache"]
    assert f"/app/{build}/main.js" in release["precache"]


async def test_everything_the_service_worker_precaches_is_there(
    browser: httpx.AsyncClient,
) -> None:
    worker = (await browser.get("/sw.js")).text
    release = json.loads(re.search(r"const RELEASE = (\{.*?\});", worker).group(1))  # type: ignore[union-attr]

    for url in release["precache"]:
        response = await browser.get(url)
        assert response.status_code == 200, url
    for url in re.findall(r"importScripts\('([^']+)'", worker):
        assert (await browser.get(url)).status_code == 200


async def test_every_module_import_of_the_app_resolves_on_this_server(
    browser: httpx.AsyncClient,
) -> None:
    """No bare specifiers and no missing files: browsers resolve these with no build step."""
    build = await build_of(browser)
    seen: set[str] = set()
    queue = [f"/app/{build}/main.js"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = await browser.get(url)
        assert response.status_code == 200, url
        for specifier in re.findall(
            r"""(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']""", response.text
        ):
            assert specifier.startswith(("/", "./", "../")), f"{url} imports {specifier!r}"
            queue.append(_join(url, specifier))
    assert f"/app/{build}/screens/history.js" in seen
    assert "/vendor/uplot-1.6.32/uPlot.esm.js" in seen


def _join(base: str, specifier: str) -> str:
    if specifier.startswith("/"):
        return specifier
    parts = base.split("/")[:-1]
    for piece in specifier.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


async def test_the_manifest_makes_the_app_installable(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "no-cache"
    manifest = response.json()
    assert manifest["id"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["start_url"].startswith("/")
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"]
    assert manifest["theme_color"] and manifest["background_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = await browser.get(icon["src"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        width = int.from_bytes(image.content[16:20], "big")
        height = int.from_bytes(image.content[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


async def test_a_browser_with_a_current_copy_gets_304(browser: httpx.AsyncClient) -> None:
    first = await browser.get("/sw.js")

    again = await browser.get("/sw.js", headers={"if-none-match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""


async def test_text_is_gzipped_for_browsers_that_take_it(browser: httpx.AsyncClient) -> None:
    zipped = await browser.get("/vendor/preact-11.2.0/preact.mjs")
    plain = await browser.get(
        "/vendor/preact-11.2.0/preact.mjs", headers={"accept-encoding": "identity"}
    )

    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.content == plain.content  # httpx unzips: the same file either way
    assert zipped.headers["vary"] == "accept-encoding"
    assert "content-encoding" not in plain.headers


@pytest.mark.parametrize(
    "path",
    [
        "/app/000000000000/main.js",
        "/app/../pyproject.toml",
        "/app/%2e%2e/%2e%2e/pyproject.toml",
        "/vendor/preact-11.2.0/../../../README.md",
        "/app/nothing-here.js",
    ],
)
async def test_files_outside_the_release_are_not_found(
    browser: httpx.AsyncClient, path: str
) -> None:
    response = await browser.get(path)

    assert response.status_code == 404


async def test_the_api_documentation_still_answers(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "/api/checkins" in response.json()["paths"]


async def test_without_the_app_files_the_root_points_at_the_api_docs(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "AFTERGLOW_DATA_DIR": str(tmp_path),
            "AFTERGLOW_SCHEDULER": "off",
            "AFTERGLOW_PWA_DIR": str(tmp_path / "no-app-here"),
        }
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        response = await client.get("/")

    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"] == "/schema"
