"""The clinician workspace as the server hands it out (/clinic/): a bundle of its own, with the
patient app's cache scheme and strict CSP, that a patient's phone never downloads."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from afterglow.app import create_app
from afterglow.settings import Settings
from afterglow.web.bundle import load_bundle, load_clinic_bundle

PWA = Path(__file__).resolve().parents[2] / "pwa"
IMMUTABLE = "public, max-age=31536000, immutable"


def client_of(tmp_path: Path, pwa_dir: Path | None = None) -> httpx.AsyncClient:
    env = {"AFTERGLOW_DATA_DIR": str(tmp_path), "AFTERGLOW_SCHEDULER": "off"}
    if pwa_dir is not None:
        env["AFTERGLOW_PWA_DIR"] = str(pwa_dir)
    settings = Settings.from_env(env, public_url="http://testserver.local")
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(tmp_path) as client:
        yield client


@pytest.fixture
def pwa_copy(tmp_path: Path) -> Path:
    """A copy of pwa/ to change files in."""
    copy = tmp_path / "pwa"
    shutil.copytree(PWA, copy, symlinks=True)
    return copy


async def clinic_build_of(browser: httpx.AsyncClient) -> str:
    page = (await browser.get("/clinic/")).text
    found = re.search(r'src="/clinic/app/([0-9a-f]{12})/main\.js"', page)
    assert found, page
    return found.group(1)


def precache_of(worker: str) -> list[str]:
    release = re.search(r"const RELEASE = (\{.*?\});", worker)
    assert release is not None
    precache: list[str] = json.loads(release.group(1))["precache"]
    return precache


async def test_the_workspace_page_is_served_at_clinic_with_a_strict_csp(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/clinic/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "csrftoken" in response.cookies
    page = response.text
    assert "<style" not in page and " style=" not in page
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        assert script.strip() == ""


async def test_the_folder_without_its_slash_redirects_to_it(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/clinic")

    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"] == "/clinic/"


async def test_its_code_is_versioned_by_its_own_build_and_immutable(
    browser: httpx.AsyncClient,
) -> None:
    build = await clinic_build_of(browser)
    patient_page = (await browser.get("/")).text

    assert f"/app/{build}/" not in patient_page
    main = await browser.get(f"/clinic/app/{build}/main.js")
    assert main.status_code == 200
    assert main.headers["content-type"] == "text/javascript; charset=utf-8"
    assert main.headers["cache-control"] == IMMUTABLE
    assert "set-cookie" not in main.headers
    strings = await browser.get(f"/clinic/app/{build}/i18n/es/common.json")
    assert strings.status_code == 200 and strings.json()["common.nav.inbox"] == "Bandeja"
    gzipped = await browser.get(f"/clinic/app/{build}/app.js", headers={"accept-encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    again = await browser.get(
        f"/clinic/app/{build}/app.js",
        headers={"accept-encoding": "gzip", "if-none-match": gzipped.headers["etag"]},
    )
    assert again.status_code == 304
    assert (await browser.get("/clinic/app/000000000000/main.js")).status_code == 404


async def test_every_static_import_of_the_workspace_resolves_on_this_server(
    browser: httpx.AsyncClient,
) -> None:
    """No bare specifiers, no missing files: browsers resolve these with no build step."""
    build = await clinic_build_of(browser)
    seen: set[str] = set()
    queue = [f"/clinic/app/{build}/main.js"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = await browser.get(url)
        assert response.status_code == 200, url
        for specifier in re.findall(
            r"""(?:\bfrom\s*|\bimport\s+)["']([^"'\s]+)["']""", response.text
        ):
            assert specifier.startswith(("/", "./", "../")), f"{url} imports {specifier!r}"
            queue.append(_join(url, specifier))
        for specifier in re.findall(r"""\bimport\s*\(\s*["']([^"'\s]+)["']""", response.text):
            assert specifier.startswith(("./", "../")), f"{url} imports {specifier!r}"
    assert f"/clinic/app/{build}/routes.js" in seen
    assert "/vendor/preact-11.2.0/preact.mjs" in seen


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


def test_a_change_to_the_workspace_changes_nothing_of_the_patient_app(pwa_copy: Path) -> None:
    before = load_bundle(pwa_copy)
    clinic_before = load_clinic_bundle(pwa_copy / "clinic")

    app_js = pwa_copy / "clinic" / "app" / "app.js"
    app_js.write_text(app_js.read_text() + "\n// a change\n")
    (pwa_copy / "clinic" / "app" / "screens").mkdir(exist_ok=True)
    (pwa_copy / "clinic" / "app" / "screens" / "new-screen.js").write_text("export default 1;\n")
    after = load_bundle(pwa_copy)
    clinic_after = load_clinic_bundle(pwa_copy / "clinic")

    assert after.build == before.build
    assert after.assets["/sw.js"].body == before.assets["/sw.js"].body
    assert clinic_before is not None and clinic_after is not None
    assert clinic_after.build != clinic_before.build


def test_the_patient_service_worker_precaches_nothing_of_the_workspace() -> None:
    bundle = load_bundle(PWA)
    precache = precache_of(bundle.assets["/sw.js"].body.decode())

    assert precache, "the patient app precaches its own files"
    assert [url for url in precache if url.startswith("/clinic")] == []
    assert [url for url in bundle.assets if url.startswith("/clinic")] == []
    assert [url for url in bundle.assets if "/clinic/" in url] == []


async def test_the_patient_app_does_not_serve_workspace_files_under_its_own_urls(
    browser: httpx.AsyncClient,
) -> None:
    assert (await browser.get("/clinic/index.html")).status_code == 404
    assert (await browser.get("/app/../clinic/app/main.js")).status_code == 404


async def test_the_workspace_service_worker_is_served_revalidated_when_there_is_one(
    tmp_path: Path, pwa_copy: Path
) -> None:
    (pwa_copy / "clinic" / "sw.js").write_text(
        "const RELEASE = __AFTERGLOW_RELEASE__;\nself.addEventListener('push', () => null);\n"
    )
    async with client_of(tmp_path, pwa_copy) as browser:
        build = await clinic_build_of(browser)
        page = (await browser.get("/clinic/")).text
        response = await browser.get("/clinic/sw.js")

    assert 'name="afterglow-clinic-worker" content="/clinic/sw.js"' in page
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert f'const RELEASE = {{"build":"{build}"}};' in response.text


async def test_without_a_service_worker_the_page_names_none(tmp_path: Path, pwa_copy: Path) -> None:
    (pwa_copy / "clinic" / "sw.js").unlink(missing_ok=True)
    async with client_of(tmp_path, pwa_copy) as browser:
        page = (await browser.get("/clinic/")).text
        response = await browser.get("/clinic/sw.js")

    assert 'name="afterglow-clinic-worker" content=""' in page
    assert response.status_code == 404


async def test_without_the_workspace_files_the_patient_app_is_still_served(
    tmp_path: Path, pwa_copy: Path
) -> None:
    shutil.rmtree(pwa_copy / "clinic")
    async with client_of(tmp_path, pwa_copy) as browser:
        assert (await browser.get("/")).status_code == 200
        assert (await browser.get("/clinic/")).status_code == 404
