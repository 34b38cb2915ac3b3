"""How many gzipped bytes the patient app's Today screen costs on a cold start.

Starts `afterglow serve` with one synthetic patient a year into treatment (a booster every few
weeks, a mood every evening, a PHQ-9 every week), signs them in, and opens `/#/today` in
Debian's Chromium with an empty cache and no service worker (so only what the page itself asks
for is counted, not the service worker's precache of the other screens). Every response the
page receives, from the HTML to the API's JSON, is measured as gzip would send it (level 6),
whatever the server actually sent, next to the bytes the server really sent (`sent_kb`: the
app's files come gzipped, API JSON over 1 KB too). Prints each file, whether the charting
library was loaded (it must not be: History loads it), and last `today_kb=<x>` (target <= 60).
"""

from __future__ import annotations

import argparse
import gzip
import sys
from datetime import timedelta

from playwright.sync_api import sync_playwright

from _server import add_enrolled_patient, running_server, sign_in
from afterglow.accounts.models import Clinic
from afterglow.accounts.passwords import hash_password_sync
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.history import schemas
from afterglow.history.service import import_history
from afterglow.settings import Settings

EMAIL = "bench-patient@bench.afterglow.test"
PASSWORD = "bench-password-1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def a_year_of_treatment() -> schemas.HistoryImport:
    """Induction a year ago, then boosters every 3-5 weeks; moods daily, PHQ-9 weekly."""
    now = utcnow()
    infusions = [
        schemas.ImportedInfusion(now - timedelta(days=d), "iv", "induction", dose_mg_per_kg=0.5)
        for d in (365, 363, 361, 358, 356, 354)
    ]
    day, gaps = 354, (21, 28, 35)
    while day - gaps[len(infusions) % 3] > 5:
        day -= gaps[len(infusions) % 3]
        infusions.append(
            schemas.ImportedInfusion(
                now - timedelta(days=day), "iv", "scheduled_booster", dose_mg_per_kg=0.5
            )
        )
    checkins = [
        schemas.ImportedCheckin("mood", [4 + (d * 5) % 6], now - timedelta(days=d, hours=3))
        for d in range(1, 366)
    ]
    checkins += [
        schemas.ImportedCheckin(
            "phq9", [1 + (d // 7) % 2] * 4 + [1, 0, 0, 1, 0], now - timedelta(days=d, hours=2)
        )
        for d in range(3, 366, 7)
    ]
    return schemas.HistoryImport(checkins=checkins, infusions=infusions)


async def add_patient(settings: Settings) -> None:
    engine = create_engine(settings)
    async with session_maker(engine)() as db:
        now = utcnow()
        clinic = Clinic(name="Bench Clinic", created_at=now)
        db.add(clinic)
        await db.flush()
        patient = await add_enrolled_patient(
            db, clinic, EMAIL, "Bench Patient", hash_password_sync(PASSWORD), now
        )
        await import_history(db, patient, a_year_of_treatment(), now, recorded_by=None)
        await db.commit()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target-kb", type=float, default=60.0)
    args = parser.parse_args()

    with running_server(prepare=add_patient) as server:
        cookie, _csrf = sign_in(server.url, EMAIL, PASSWORD)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, service_workers="block"
            )
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": server.url}
                    for name, value in (pair.split("=", 1) for pair in cookie.split("; "))
                ]
            )
            page = context.new_page()
            responses = []
            page.on("response", lambda response: responses.append(response))
            page.goto(f"{server.url}/#/today", wait_until="networkidle")
            page.get_by_text("How is your mood today?").wait_for()
            page.wait_for_load_state("networkidle")

            total = sent_total = 0
            print(f"{'gzip-6':>9}  {'as sent':>9}  encoding  status  path")
            for response in responses:
                body = response.body() if response.status != 304 else b""
                size = len(gzip.compress(body, compresslevel=6))
                # Negative or zero when the browser took it from its memory cache.
                sent = max(response.request.sizes()["responseBodySize"], 0)
                total += size
                sent_total += sent
                path = response.url.removeprefix(server.url)
                encoding = response.headers.get("content-encoding", "-")
                print(f"{size:>7} B  {sent:>7} B  {encoding:<8}  {response.status:<6}  {path}")
            charting = any("uplot" in r.url.lower() for r in responses)
            browser.close()

    print(f"requests={len(responses)}")
    print(f"charting_loaded={str(charting).lower()}")
    today_kb = total / 1024
    print(f"target_kb={args.target_kb:g}")
    print(f"sent_kb={sent_total / 1024:.1f}")
    print(f"today_kb={today_kb:.1f}")
    if charting:
        sys.exit("uPlot was loaded by Today: it belongs to History only")


if __name__ == "__main__":
    main()
