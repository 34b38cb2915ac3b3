"""One catalogue for every patient-facing string: the app's `pwa/app/i18n/<lang>.json`, read by
the server too; one register per language; English whole where a language has no text. (The
crisis screen's own rules are in tests/crisis.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from afterglow.catalogue import ENGLISH_ONLY, Catalogue, catalogue, load_catalogue
from afterglow.web.bundle import load_bundle

PWA = Path(__file__).resolve().parents[2] / "pwa"
I18N = PWA / "app" / "i18n"

# Spanish "tú" forms Afterglow once used, and the commonest others: its own Spanish is "usted".
# Only forms that cannot be "usted" too ("toca", "elige" are also its third person).
TU_FORMS = {
    "tu", "tus", "tú", "te", "ti", "contigo", "tuyo", "tuya",
    "eres", "estás", "tienes", "puedes", "quieres", "necesitas", "sientes", "crees",
    "podrías", "estarías", "dijiste", "elegiste", "tengas", "vuelvas", "envíes",
    "conéctate", "inténtalo", "arrástralo", "muévete", "cuéntales", "permítelas", "pídela",
    "recuérdalo", "recordarte",
}  # fmt: skip


def shipped(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def write(directory: Path, lang: str, strings: dict[str, str]) -> None:
    (directory / f"{lang}.json").write_text(json.dumps(strings), encoding="utf-8")


def test_the_server_reads_the_very_files_the_app_ships_and_precaches() -> None:
    app_languages = re.search(r"LANGUAGES = \[([^\]]*)\]", (PWA / "app" / "i18n.js").read_text())
    assert app_languages is not None

    assert catalogue().languages == tuple(sorted(re.findall(r"'(\w+)'", app_languages[1])))
    for lang in catalogue().languages:
        assert catalogue().strings[lang] == shipped(lang)
    bundle = load_bundle(PWA)
    precache = json.loads(
        bundle.assets["/sw.js"].body.decode().split("const RELEASE = ", 1)[1].split(";\n", 1)[0]
    )["precache"]
    for lang in catalogue().languages:
        assert f"/app/{bundle.build}/i18n/{lang}.json" in precache


def test_every_key_is_in_every_language_or_knowingly_english_only() -> None:
    english = shipped("en")
    assert english.keys() >= ENGLISH_ONLY
    for lang in catalogue().languages:
        strings = shipped(lang)
        assert english.keys() - ENGLISH_ONLY == strings.keys() - ENGLISH_ONLY, lang
        assert not (ENGLISH_ONLY & strings.keys()) or lang == "en"


@pytest.mark.parametrize("key", sorted(shipped("es")))
def test_afterglows_spanish_says_usted_never_tu(key: str) -> None:
    words = set(re.findall(r"\w+", shipped("es")[key].lower()))

    assert words & TU_FORMS == set()


def test_afterglows_crisis_lists_are_worded_in_the_catalogue_alone() -> None:
    """One place: the numbers are in afterglow/crisis/screen.py, their words in the catalogue;
    neither the server's code nor the app repeats them (migrations keep the words they moved)."""
    english = shipped("en")
    worded = [english[key] for key in ("crisis.us.call", "crisis.gb.samaritans", "crisis.title")]
    backend = Path(__file__).resolve().parents[2] / "backend" / "afterglow"
    sources = [
        *(p for p in backend.rglob("*.py") if "migrations" not in p.parts),
        *(PWA / "app").rglob("*.js"),
    ]

    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not [w for w in worded if w in text], path


def test_a_text_a_language_lacks_in_part_is_english_whole(tmp_path: Path) -> None:
    write(tmp_path, "en", {"a.title": "Title", "a.body": "Body"})
    write(tmp_path, "xx", {"a.title": "Titre"})
    partial = load_catalogue(tmp_path)

    assert partial.texts("xx", "a.title") == ("xx", ("Titre",))
    assert partial.texts("xx", "a.title", "a.body") == ("en", ("Title", "Body"))
    assert partial.texts("zz", "a.title") == ("en", ("Title",))
    assert partial.language_of("fr-CA") == "en"


def test_without_english_the_catalogue_does_not_load(tmp_path: Path) -> None:
    write(tmp_path, "es", {"a": "b"})

    with pytest.raises(FileNotFoundError):
        load_catalogue(tmp_path)
    assert isinstance(catalogue(), Catalogue)
