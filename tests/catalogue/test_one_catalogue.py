"""One catalogue for every patient-facing string: the app's `pwa/app/i18n/<lang>.json`, read by
the server too; one register per language; English whole where a language has no text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from afterglow.accounts.clinic_settings import (
    NOT_EMERGENCY_CARE,
    US_CRISIS_RESOURCES,
    ClinicSettings,
    CrisisResource,
)
from afterglow.catalogue import (
    DEFAULT_RESOURCE_KEYS,
    ENGLISH_ONLY,
    Catalogue,
    catalogue,
    load_catalogue,
)
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


def test_the_clinic_settings_defaults_are_worded_as_the_catalogues_english() -> None:
    english = shipped("en")

    assert english["crisis.not_emergency"] == NOT_EMERGENCY_CARE
    assert [r.label for r in US_CRISIS_RESOURCES] == [
        english[DEFAULT_RESOURCE_KEYS[r]] for r in US_CRISIS_RESOURCES
    ]


def test_a_spanish_patient_gets_the_crisis_words_in_spanish_and_a_clinics_own_as_written() -> None:
    spanish = shipped("es")
    own = CrisisResource("Línea de la clínica", "555 0100", "phone")
    settings = ClinicSettings(crisis_resources={"default": (*US_CRISIS_RESOURCES, own)})

    words = catalogue().crisis_words("es-MX", settings)

    assert words.lang == "es"
    assert words.message == spanish["crisis.message"]
    assert words.not_emergency_care == spanish["crisis.not_emergency"]
    assert [r.label for r in words.resources] == [
        *(spanish[DEFAULT_RESOURCE_KEYS[r]] for r in US_CRISIS_RESOURCES),
        "Línea de la clínica",
    ]
    assert [r.contact for r in words.resources] == [
        r.contact for r in settings.crisis_resources["default"]
    ]
    custom = ClinicSettings(not_emergency_notice="Call the clinic's night line: 555 0199.")
    assert catalogue().crisis_words("es", custom).not_emergency_care == custom.not_emergency_notice


@pytest.mark.parametrize("missing", ["all", "one"])
def test_a_language_without_the_whole_crisis_text_gets_the_crisis_screen_all_in_english(
    tmp_path: Path, missing: str
) -> None:
    english, spanish = shipped("en"), shipped("es")
    crisis = sorted(k for k in spanish if k.startswith("crisis."))
    dropped = crisis if missing == "all" else crisis[:1]
    write(tmp_path, "en", english)
    write(tmp_path, "xx", {k: v for k, v in spanish.items() if k not in dropped})
    partial = load_catalogue(tmp_path)

    words = partial.crisis_words("xx-YY", ClinicSettings())

    assert partial.language_of("xx-YY") == "xx"
    assert words.lang == "en"
    assert words.message == english["crisis.message"]
    assert words.not_emergency_care == english["crisis.not_emergency"]
    assert [r.label for r in words.resources] == [r.label for r in US_CRISIS_RESOURCES]


def test_the_shipped_languages_have_the_crisis_text_whole() -> None:
    for lang in catalogue().languages:
        assert catalogue().crisis_language(lang) == lang


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
