"""The workspace's strings: for every area, English and Spanish have the same keys, every key
belongs to its area's file, and no text is empty."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[2] / "pwa" / "clinic" / "app" / "i18n"
LANGUAGES = ("en", "es")


def areas() -> list[str]:
    return sorted({p.stem for lang in LANGUAGES for p in (I18N / lang).glob("*.json")})


def strings(lang: str, area: str) -> dict[str, str]:
    path = I18N / lang / f"{area}.json"
    assert path.exists(), f"{path} is missing: every area has English and Spanish"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_there_are_areas_and_the_shell_has_its_own() -> None:
    assert "common" in areas()


@pytest.mark.parametrize("area", areas())
def test_english_and_spanish_have_the_same_keys(area: str) -> None:
    english, spanish = strings("en", area), strings("es", area)

    assert sorted(set(english) - set(spanish)) == [], f"{area}: missing in Spanish"
    assert sorted(set(spanish) - set(english)) == [], f"{area}: missing in English"


@pytest.mark.parametrize("area", areas())
def test_every_key_is_named_after_its_area_and_has_a_text(area: str) -> None:
    for lang in LANGUAGES:
        for key, text in strings(lang, area).items():
            assert key.startswith(f"{area}."), f"{lang}/{area}.json: {key}"
            assert isinstance(text, str) and text.strip(), f"{lang}/{area}.json: {key} is empty"


@pytest.mark.parametrize("area", areas())
def test_the_placeholders_are_the_same_in_both_languages(area: str) -> None:
    english, spanish = strings("en", area), strings("es", area)
    for key in english.keys() & spanish.keys():
        assert set(re.findall(r"\{(\w+)\}", english[key])) == set(
            re.findall(r"\{(\w+)\}", spanish[key])
        ), key


def test_every_relief_threshold_has_a_label_on_the_settings_screen() -> None:
    from dataclasses import fields

    from afterglow.relief.facts import ReliefThresholds

    for lang in LANGUAGES:
        labelled = {k.removeprefix("admin.relief.") for k in strings(lang, "admin")}
        missing = [f.name for f in fields(ReliefThresholds) if f.name not in labelled]
        assert missing == [], f"{lang}/admin.json lacks admin.relief.<name> for {missing}"
