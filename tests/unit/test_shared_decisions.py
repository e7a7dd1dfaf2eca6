"""The decisions a parallel audit's processes share (engines/cached.py, SharedDecisions): what
one process put, another finds under the same canonical key, and nothing under another; stored
small (a digest a key, the decision compressed), since a varied night's keys run to kilobytes."""
from __future__ import annotations

import os

from checker.engines.cached import SharedDecisions


def _key(n: int) -> str:
    return '{"type":"disclosure","n":%d,"padding":"%s"}' % (n, "facts " * 700)  # ~4 KB, like a real canonical input


def _decision(n: int) -> dict:
    return {"outcome": "deny", "findings": [{"rule": "disclosure.recipient_scope", "message": f"to whom ⟦{n}⟧ — ü", "effect": "deny"}]}


def test_one_process_finds_what_another_put(tmp_path):
    path = str(tmp_path / "decisions.sqlite")
    writer, reader = SharedDecisions(path), SharedDecisions(path)
    try:
        writer.put_many([(_key(n), _decision(n)) for n in range(300)])
        writer.put_many([(_key(0), {"outcome": "permit", "findings": []})])  # the first answer stays
        found = reader.get_many([_key(n) for n in range(250, 320)] + [_key(0)])
    finally:
        writer.close()
        reader.close()
    assert found == {**{_key(n): _decision(n) for n in range(250, 300)}, _key(0): _decision(0)}


def test_stored_small(tmp_path):
    path = str(tmp_path / "decisions.sqlite")
    shared = SharedDecisions(path)
    try:
        shared.put_many([(_key(n), _decision(n)) for n in range(500)])
        shared.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        shared.close()
    as_text = sum(len(_key(n)) for n in range(500))  # ~2 MB of keys alone
    assert os.path.getsize(path) < as_text / 10
