"""The API documentation renders in a real browser from the app's own files, under its CSP.

The `context` fixture fails the test on any request to another origin, so these also prove
the pages need no CDN (the browser here has no internet at all).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def console_problems(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_swagger_ui_shows_the_api_from_the_apps_own_files(context: Any, server: str) -> None:
    page = context.new_page()
    problems = console_problems(page)

    page.goto(f"{server}/schema/swagger")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Afterglow API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert [p for p in problems if "Content Security Policy" in p] == []


def test_redoc_shows_the_api_from_the_apps_own_files(chromium: Any, server: str) -> None:
    # ReDoc's sidebar always asks cdn.redoc.ly for a logo: the page's CSP must stop that
    # request before it leaves, so this test watches what is sent, not what is attempted.
    context = chromium.new_context()
    foreign_answers: list[str] = []
    blocked: list[str] = []
    context.on(
        "response",
        lambda r: (
            foreign_answers.append(r.url)
            if not r.url.startswith((server, f"blob:{server}"))
            else None
        ),
    )
    context.on(
        "requestfailed",
        lambda r: blocked.append(r.url) if r.failure == "csp" else None,
    )
    page = context.new_page()
    problems = console_problems(page)

    page.goto(f"{server}/schema")

    expect(page.get_by_role("heading", name="Afterglow API", level=1)).to_be_visible()
    expect(page.get_by_role("menuitem").filter(has_text="Check-ins").first).to_be_visible()
    context.close()
    assert foreign_answers == []
    assert all(url.startswith("https://cdn.redoc.ly/") for url in blocked), blocked
    assert [p for p in problems if "Content Security Policy" in p and "redoc.ly" not in p] == []
