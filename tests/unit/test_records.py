"""The state's records read back with their short strings shared (checker/audit/records.py):
equal values, one object per word — what keeps a late slice of a varied night from holding each
consent's words again (README, Performance, session 10)."""
from __future__ import annotations

import orjson
import pytest

from checker.audit import records
from checker.audit.state import consent_on_file
from checker.audit.store import Store

PATIENT = {
    "consents": [
        {"status": "refused", "given_by": "substitute_decision_maker", "purposes": ["research", "teaching"],
         "image_ids": ["img-1", "img-2"], "informed_of": ["purpose", "storage"], "capacity_at_consent": "full", "age_at_consent": 16.5},
        {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": [], "documented_in_record": True,
         "note": "x" * 200, "nothing": None, "big": 2**70},
    ],
    "image_ids": ["img-1", "img-2"],
}


def _text(record: dict) -> str:
    import json

    return json.dumps(record)  # (json: orjson cannot write the 2**70)


def test_load_equals_what_was_saved():
    assert records.load(_text(PATIENT)) == PATIENT
    assert records.load(orjson.dumps({"a": [1, 2.5, "ü", {"b": False}]})) == {"a": [1, 2.5, "ü", {"b": False}]}


def test_two_records_share_their_words():
    a, b = records.load(_text(PATIENT)), records.load(_text(PATIENT))
    assert a["consents"][0]["given_by"] is b["consents"][0]["given_by"]
    assert a["consents"][0]["purposes"][1] is b["consents"][0]["purposes"][1]
    assert a["image_ids"][0] is b["consents"][0]["image_ids"][0]  # an image id: one object
    # lists and dicts are never shared: a record changed in place changes no other
    assert a["consents"][0]["purposes"] is not b["consents"][0]["purposes"]
    assert a["consents"][0] is not b["consents"][0]


def test_long_strings_and_a_full_table_are_kept_as_read(monkeypatch):
    a, b = records.load(_text(PATIENT)), records.load(_text(PATIENT))
    assert a["consents"][1]["note"] == b["consents"][1]["note"] and a["consents"][1]["note"] is not b["consents"][1]["note"]
    monkeypatch.setattr(records, "_SHARED", {})
    monkeypatch.setattr(records, "MAX_SHARED", 3)
    c = records.load(_text(PATIENT))
    assert c == PATIENT and len(records._SHARED) == 3


def test_store_reads_records_back_compact(tmp_path):
    store = Store(str(tmp_path / "s.sqlite"))
    try:
        store.save_state([("pt-1", {**PATIENT, "consents": PATIENT["consents"][:1]}), ("pt-2", {**PATIENT, "consents": PATIENT["consents"][:1]})], [])
        one, two = store.load_patient("pt-1"), store.load_patient("pt-2")
    finally:
        store.abandon()
    assert one == {**PATIENT, "consents": PATIENT["consents"][:1]}
    assert one["consents"][0]["status"] is two["consents"][0]["status"]


def test_consents_the_state_keeps_share_their_words():
    def event(n: int) -> dict:
        raw = orjson.loads(orjson.dumps({"patient": {"id": f"pt-{n}", "age_years": 40, "capacity": "full"},
                                         "consent": {"status": "granted", "given_by": "patient", "purposes": ["teaching"]}}))
        return raw

    first, second = consent_on_file(event(1)), consent_on_file(event(2))
    assert first == second == {"status": "granted", "given_by": "patient", "purposes": ["teaching"], "capacity_at_consent": "full"}
    assert first["given_by"] is second["given_by"] and first["purposes"][0] is second["purposes"][0]


@pytest.mark.parametrize("text", ["{", "[1,", ""])
def test_a_broken_record_is_an_error_not_a_guess(text):
    with pytest.raises(ValueError):
        records.load(text)
