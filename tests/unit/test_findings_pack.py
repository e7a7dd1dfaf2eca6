"""Findings as the store keeps them (checker/audit/findings.py pack/unpack, FindingsFile): packed
alone with a preset dictionary, read back byte for byte; stores written before packing (text
findings, a findings table with a rowid) read and extended alike; a dictionary once shipped never
changes; what cannot be read is an error, never a finding skipped."""
from __future__ import annotations

import hashlib
import os
import sqlite3

import orjson
import pytest

from checker.audit import findings as findings_mod
from checker.audit.finding_dictionary import DICTIONARIES
from checker.audit.findings import FindingsFile, pack, unpack
from checker.audit.store import Store
from checker.errors import CheckerError



def _finding(i: int) -> dict:
    return {
        "actor_id": f"registrar-{i % 97:04d}", "effect": "deny", "event_id": f"ev-{i:08d}", "facility": f"facility-{i % 11:02d}",
        "guide": "Consent", "image_id": f"img-{i:08d}", "message": f"No consent on file for the purpose 'teaching' (image img-{i:08d}).",
        "occurred_at": "2026-11-17T17:37:46+11:00", "patient_id": f"pt-{i % 5000:06d}",
        "remedy": "Obtain and record the patient's informed consent before using the image.", "role": "registrar",
        "rule": "consent.purpose_scope", "quote": "é — 漢字 \u2028 \x00",
    }


def test_shipped_dictionaries_never_change() -> None:
    digests = {number: hashlib.sha256(text).hexdigest() for number, text in DICTIONARIES.items()}
    assert digests[1] == "eaa2f8278f7e19b91a377c773e27e0a79306907fca51e084cf9c67f056248765"
    assert findings_mod.PACK_WITH == max(DICTIONARIES)


def test_a_finding_reads_back_byte_for_byte_and_packs_small() -> None:
    texts = [orjson.dumps(_finding(i), option=orjson.OPT_SORT_KEYS) for i in range(500)]
    packed = [pack(t) for t in texts]
    assert [unpack(p) for p in packed] == texts
    assert all(p[0] == findings_mod.PACK_WITH for p in packed)
    # the dictionary does the work: deflate alone leaves ~60% of a finding this short
    assert sum(map(len, packed)) < 0.45 * sum(map(len, texts))


def test_text_from_a_store_written_before_packing_reads_as_it_is() -> None:
    text = orjson.dumps(_finding(1), option=orjson.OPT_SORT_KEYS)
    assert unpack(text.decode("utf-8")) == text


@pytest.mark.parametrize("stored", [bytes((200,)) + b"\x00\x01", b"", bytes((1,)) + b"\xff\xfe not deflate"], ids=["newer", "empty", "damaged"])
def test_what_cannot_be_unpacked_is_an_error(stored: bytes) -> None:
    with pytest.raises(CheckerError) as caught:
        unpack(stored)
    assert "nothing was committed" in str(caught.value)


def test_a_store_from_before_packing_is_read_and_extended(tmp_path) -> None:
    """An old store: the findings table with a rowid, findings as text. A new run adds packed
    ones beside them; each run reads back its own, a finding already made is not made again."""
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE findings (rule TEXT NOT NULL, event_id TEXT NOT NULL, message TEXT NOT NULL, run_id INTEGER NOT NULL, "
               "finding TEXT NOT NULL, PRIMARY KEY (rule, event_id, message))")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("CREATE TABLE runs (run_id INTEGER PRIMARY KEY, as_of TEXT, summary TEXT)")
    db.execute("INSERT INTO runs VALUES (1, '2026-11-01T00:00:00Z', '{}')")
    old = [_finding(i) for i in range(3)]
    for f in old:
        db.execute("INSERT INTO findings VALUES (?,?,?,?,?)", (f["rule"], f["event_id"], f["message"], 1, orjson.dumps(f, option=orjson.OPT_SORT_KEYS).decode()))
    db.commit()
    db.close()
    store = Store(path)
    assert store.run_id == 2
    assert not store.add_finding(old[1])  # made by the earlier run
    new = [_finding(i) for i in (3, 4)]
    assert all(store.add_finding(f) for f in new)
    assert [orjson.loads(t) for t in store.run_findings()] == new
    store.finish("2026-11-02T00:00:00Z", {})
    # committed: the store says it holds packed findings (an older clinimg refuses it by that)
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    again = Store(path)
    assert again.run_id == 3 and not again.add_finding(new[0]) and not again.add_finding(old[0])
    again.abandon()


def test_the_report_spool_gives_back_every_finding_and_notices_a_cut(tmp_path) -> None:
    texts = [orjson.dumps(_finding(i), option=orjson.OPT_SORT_KEYS) for i in range(3000)]
    spool = FindingsFile(iter(texts), directory=str(tmp_path))
    assert len(spool) == 3000
    assert list(spool.texts()) == texts
    assert list(spool) == [orjson.loads(t) for t in texts]
    assert os.path.getsize(spool.path) < sum(map(len, texts)) / 5
    empty = FindingsFile(iter(()), directory=str(tmp_path))
    assert (len(empty), list(empty.texts())) == (0, [])
    with open(spool.path, "r+b") as fh:
        fh.truncate(os.path.getsize(spool.path) // 2)
    with pytest.raises(CheckerError):
        list(spool.texts())
    spool.close()
    empty.close()
