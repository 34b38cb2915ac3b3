"""What the clinician workspace costs: the first screen's bytes, and drawing a long timeline.

Starts `afterglow serve` with a clinic of 60 patients treated for a few months, the three-year
patient of bench/relief.py (about 1,100 daily moods, 160 PHQ-9s, 40 infusions) and a patient with
no data yet, then in Debian's Chromium, signed in as the clinic's clinician:

- opens `/clinic/` (landing on the triage inbox) with an empty cache and counts every response
  the browser receives (page, code, styles, strings, API JSON, the workspace's service worker),
  measured as gzip would send it (level 6) next to the bytes the server really sent: prints each
  file and `first_screen_kb` (target <= 150);
- draws the timeline (the stacked uPlot panels with bands, episodes, infusions and marks) of the
  three-year patient and of the patient with no data, in the same page, in turn `--rounds` times
  each (after one uncounted round) from the same fetched JSON (effects run at once rather than
  after a frame, so frame timing does not hide the work): prints the median milliseconds of each, the API's time for each timeline and
  `timeline_ratio` (three-year / empty, target <= 3).

The machine is shared and noisy: only the ratio within one run means anything.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import sync_playwright
from sqlalchemy import insert, select
from sqlmodel import SQLModel, col

from _server import add_enrolled_patient, running_server, sign_in
from afterglow.accounts.models import Clinic, Patient
from afterglow.accounts.passwords import hash_password_sync
from afterglow.checkins.models import CheckIn
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.infusions.models import Infusion
from afterglow.instruments.scoring import score_answers
from afterglow.relief.service import refresh_patient_relief
from afterglow.settings import Settings
from relief import CLINICIAN_EMAIL, CLINICIAN_PASSWORD, ReliefPatient, add_relief_patient

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INBOX_PATIENTS = 60


class Prepared:
    three_years = ReliefPatient()
    empty_patient = 0


def _checkin(patient_id: int, instrument: str, answers: list[int], at: datetime) -> dict[str, Any]:
    scored = score_answers(instrument, answers)
    key = str(uuid.uuid4())
    return {
        "patient_id": patient_id,
        "instrument": instrument,
        "answers": answers,
        "score": scored.score,
        "band": scored.band,
        "item9": scored.item9,
        "note": None,
        "taken_at": at,
        "received_at": at,
        "idempotency_key": key,
        "request_hash": hashlib.sha256(key.encode()).hexdigest(),
        "source": "import",
    }


async def prepare(settings: Settings) -> None:
    """The three-year patient's clinic, with a patient with no data and 60 patients a few months
    into treatment, so that the inbox shows a full first page."""
    await add_relief_patient(settings, Prepared.three_years)
    now = utcnow()
    engine = create_engine(settings)
    async with session_maker(engine)() as db:
        clinic_id = (
            await db.execute(
                select(col(Patient.clinic_id)).where(
                    col(Patient.id) == Prepared.three_years.patient_id
                )
            )
        ).scalar_one()
        clinic = await db.get(Clinic, clinic_id)
        assert clinic is not None
        password = hash_password_sync("bench-patient-password")
        empty = await add_enrolled_patient(
            db, clinic, "empty@bench.afterglow.test", "No Data Yet (bench)", password, now
        )
        Prepared.empty_patient = empty.id or 0
        ids = []
        for n in range(INBOX_PATIENTS):
            patient = await add_enrolled_patient(
                db, clinic, f"inbox-{n}@bench.afterglow.test", f"Inbox Patient {n}", password, now
            )
            assert patient.id is not None
            ids.append(patient.id)
            start = now - timedelta(days=60 + n % 30)
            await db.execute(
                insert(SQLModel.metadata.tables[Infusion.__tablename__]),
                [
                    {
                        "patient_id": patient.id,
                        "given_at": start + timedelta(days=d),
                        "route": "iv",
                        "kind": "induction",
                        "dose_mg_per_kg": 0.5,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for d in (0, 3, 7, 10, 14, 17)
                ],
            )
            rows = [
                _checkin(patient.id, "phq9", [2 if d < 18 else (n + d) % 3] * 8 + [0], at)
                for d in range(-2, 60 + n % 30, 7)
                if (at := start + timedelta(days=d, hours=20)) < now
            ]
            rows += [
                _checkin(patient.id, "mood", [(n + d) % 10], at)
                for d in range(0, 60 + n % 30)
                if (at := start + timedelta(days=d, hours=21)) < now and (n + d) % 5
            ]
            await db.execute(insert(SQLModel.metadata.tables[CheckIn.__tablename__]), rows)
        for patient_id in [Prepared.empty_patient, *ids]:
            await refresh_patient_relief(db, patient_id, now)
        await db.commit()
    await engine.dispose()


DRAW = """
async ({ ids, rounds }) => {
  const urls = performance.getEntriesByType('resource').map((e) => e.name);
  const find = (tail) => urls.find((u) => u.endsWith(tail));
  const chart = await import(find('/screens/timeline-chart.js'));
  const data = await import(find('/screens/timeline-data.js'));
  const { html, render } = await import(find('/app/html.js') || find('/html.js'));
  const { options } = await import('/vendor/preact-11.2.0/preact.mjs');
  const charts = [];
  for (const id of ids) {
    const fetched = performance.now();
    const timeline = await (await fetch(`/api/patients/${id}/timeline`)).json();
    charts.push({
      timeline,
      apiMs: performance.now() - fetched,
      panels: chart.panelsFor(timeline),
      view: data.fullSpan(timeline),
      times: [],
    });
  }
  const previous = options.requestAnimationFrame;
  // Effects (where uPlot is made) run right after the render instead of after the next frame.
  options.requestAnimationFrame = (callback) => queueMicrotask(callback);
  try {
    // One round of each first, uncounted (code compiled, styles computed); then in turn.
    for (let round = -1; round < rounds; round += 1) {
      for (const c of charts) {
        const box = document.createElement('div');
        box.style.width = '1200px';
        document.body.append(box);
        const start = performance.now();
        render(html`<${chart.TimelineChart} timeline=${c.timeline} panels=${c.panels} view=${c.view} onView=${() => {}} />`, box);
        for (let turns = 0; box.querySelectorAll('canvas').length < c.panels.length; turns += 1) {
          if (turns > 100000) throw new Error('the chart was not drawn');
          await Promise.resolve();
        }
        for (let turns = 0; turns < 10; turns += 1) await Promise.resolve();
        if (round >= 0) c.times.push(performance.now() - start);
        render(null, box);
        box.remove();
        await new Promise((done) => setTimeout(done, 20));
      }
    }
  } finally {
    options.requestAnimationFrame = previous;
  }
  return charts.map((c) => {
    c.times.sort((a, b) => a - b);
    return {
      apiMs: c.apiMs,
      drawMs: c.times[Math.floor(c.times.length / 2)],
      checkins: c.timeline.checkins.length,
      infusions: c.timeline.infusions.length,
      jsonBytes: JSON.stringify(c.timeline).length,
    };
  });
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target-kb", type=float, default=150.0)
    parser.add_argument("--target-ratio", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()

    with running_server(prepare=prepare) as server:
        cookie, _csrf = sign_in(server.url, CLINICIAN_EMAIL, CLINICIAN_PASSWORD)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": server.url}
                    for name, value in (pair.split("=", 1) for pair in cookie.split("; "))
                ]
            )
            responses: list[Any] = []
            context.on("response", lambda response: responses.append(response))
            page = context.new_page()
            page.goto(f"{server.url}/clinic/", wait_until="networkidle")
            page.locator("main h1").first.wait_for()
            page.locator("tr[data-patient]").first.wait_for()
            page.wait_for_load_state("networkidle")

            total = sent_total = 0
            print(f"{'gzip-6':>9}  {'as sent':>9}  encoding  status  path")
            for response in list(responses):
                body = response.body() if response.status not in (301, 302, 303, 304) else b""
                size = len(gzip.compress(body, compresslevel=6))
                sent = max(response.request.sizes()["responseBodySize"], 0)
                total += size
                sent_total += sent
                path = response.url.removeprefix(server.url)
                encoding = response.headers.get("content-encoding", "-")
                print(f"{size:>7} B  {sent:>7} B  {encoding:<8}  {response.status:<6}  {path}")
            first_requests = len(responses)

            patient = Prepared.three_years.patient_id
            page.goto(f"{server.url}/clinic/#/patients/{patient}")
            page.locator(".panel-plot canvas").first.wait_for()
            long, empty = page.evaluate(
                DRAW, {"ids": [patient, Prepared.empty_patient], "rounds": args.rounds}
            )
            browser.close()

    print(f"requests={first_requests}")
    print(f"sent_kb={sent_total / 1024:.1f}")
    print(f"target_kb={args.target_kb:g}")
    print(f"first_screen_kb={total / 1024:.1f}")
    print(f"three_year_patient={Prepared.three_years.counts}")
    for name, figures in (("three_year", long), ("empty", empty)):
        print(
            f"{name}: {figures['checkins']} check-ins, {figures['infusions']} infusions,"
            f" timeline JSON {figures['jsonBytes'] / 1024:.0f} KB, API {figures['apiMs']:.0f} ms,"
            f" draw {figures['drawMs']:.1f} ms"
        )
    print(f"timeline_three_year_ms={long['drawMs']:.1f}")
    print(f"timeline_empty_ms={empty['drawMs']:.1f}")
    print(f"target_ratio={args.target_ratio:g}")
    print(f"timeline_ratio={long['drawMs'] / max(empty['drawMs'], 0.001):.2f}")


if __name__ == "__main__":
    main()
