"""Reading a Bundle is pure: whatever a sender puts where, the answer is check-ins or named
problems, never a crash (the HTTP answer would be a 500)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from afterglow.errors import InvalidInput
from afterglow.fhir.imports import read_bundle

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = (
    "status",
    "questionnaire",
    "authored",
    "item",
    "code",
    "hasMember",
    "derivedFrom",
    "component",
    "note",
    "effectiveDateTime",
    "effectivePeriod",
    "valueCodeableConcept",
    "valueQuantity",
    "url",
    "id",
)
RESOURCE = st.fixed_dictionaries(
    {
        "resourceType": st.sampled_from(
            ["QuestionnaireResponse", "Observation", "Questionnaire", "Patient"]
        )
    },
    optional={name: JSON for name in FIELDS},
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"resource": RESOURCE}, optional={"fullUrl": JSON}), max_size=4)
)
def test_any_shape_of_entries_is_read_or_refused_by_name(entries: list[dict[str, Any]]) -> None:
    try:
        read_bundle({"resourceType": "Bundle", "entry": entries})
    except InvalidInput as refused:
        assert refused.problems
        assert all(p.field and p.message for p in refused.problems)
