"""schemas.upper_case_times: every date-time the schema types, one spelling (`T`, `Z`) from then on."""
from __future__ import annotations

from checker.schemas import upper_case_times


def test_every_date_time_the_schema_types_is_written_upper_case_and_nothing_else() -> None:
    doc = {
        "occurred_at": "2026-11-20t09:00:00z",
        "capture_record": {"when": "2026-11-20t08:59:00z", "where": "ward t"},
        "lifecycle": {"as_of": "2026-11-21t00:00:00z"},
        "consent": {"given_at": "2026-11-19t10:00:00+10:00", "given_by": "patient"},
        "consents": [{"given_at": "2026-11-18t10:00:00z"}, "not a consent"],
        "note": "2026-11-20t09:00:00z",
    }
    assert upper_case_times(doc) == {
        "occurred_at": "2026-11-20T09:00:00Z",
        "capture_record": {"when": "2026-11-20T08:59:00Z", "where": "ward t"},
        "lifecycle": {"as_of": "2026-11-21T00:00:00Z"},
        "consent": {"given_at": "2026-11-19T10:00:00+10:00", "given_by": "patient"},
        "consents": [{"given_at": "2026-11-18T10:00:00Z"}, "not a consent"],
        "note": "2026-11-20t09:00:00z",  # not a time the schema types: left as written
    }
    assert upper_case_times(["a list"]) == ["a list"]
