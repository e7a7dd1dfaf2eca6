"""The audit's state store (SQLite): what earlier runs saw, so tonight's run reads only tonight.

One run is one transaction: the events it decided, the findings it made and the state it left are
committed together at the end, or not at all. A run killed at any point leaves the store as the
last finished run left it, and running again redoes the whole night — nothing lost, nothing
doubled. Re-running a log that was already audited finds every event_id seen: duplicates.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import pathlib
import sqlite3
import zlib
from typing import Any, Iterable, Iterator

import orjson

from ..errors import CheckerError
from . import records
from .findings import json_chunks, pack, unpack

# 2: findings packed (findings.pack). A version-1 store is read as it is (its findings are text)
# and becomes version 2 with the first run that commits to it — so an older clinimg refuses it
# by its version rather than reading packed findings as text.
SCHEMA_VERSION = "2"
READS_VERSIONS = ("1", "2")

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, occurred_ns INTEGER NOT NULL, type TEXT NOT NULL,
    actor_id TEXT, role TEXT, facility TEXT, patient_id TEXT, image_id TEXT, run_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS patients (patient_id TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (image_id TEXT PRIMARY KEY, open INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
    rule TEXT NOT NULL, event_id TEXT NOT NULL, message TEXT NOT NULL, run_id INTEGER NOT NULL,
    finding TEXT NOT NULL, PRIMARY KEY (rule, event_id, message)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, as_of TEXT, summary TEXT);
CREATE TABLE IF NOT EXISTS run_reports (
    run_id INTEGER PRIMARY KEY, started TEXT NOT NULL, as_of TEXT NOT NULL, policy_digest TEXT NOT NULL,
    counts TEXT NOT NULL, by_effect TEXT NOT NULL, by_rule_effect TEXT NOT NULL, document BLOB NOT NULL);
"""


# How long a run waits for another process's lock on the store before saying so (then, inside its
# own transaction, it waits up to BUSY_WAIT_SECONDS for the readers of a parallel audit).
LOCK_WAIT_SECONDS = 2.0
BUSY_WAIT_SECONDS = 30.0
# SQLite page caches (KiB), sized for memory: a million-line varied night runs a parent and a
# partition per core, each with its own caches, under 1 GB together (README, Performance). Pages
# past the cache are read again from the OS's file cache: measured as noise on a 97k-line audit.
MAIN_CACHE_KIB = 32 * 1024
PARTITION_CACHE_KIB = 16 * 1024
EVENTS_CACHE_KIB = 4 * 1024


def describe_store_error(exc: sqlite3.Error) -> str:
    """What went wrong with a store, in words a person can act on (never a path)."""
    text = str(exc).lower()
    if "full" in text:
        return "no space left on device"
    if "locked" in text or "busy" in text:
        return "the store is locked by another process (another audit still running?)"
    if "readonly" in text or "read-only" in text:
        return "cannot write: the store or its directory is read-only (or not ours to write)"
    if "unable to open" in text:
        return "cannot open or create the store (a read-only directory, or no permission)"
    if "disk i/o" in text:
        return "disk I/O error"
    return _why(exc)


class Store:
    def __init__(self, path: str | pathlib.Path, role: str | None = None) -> None:
        """role: what errors call the store (the option that named it, e.g. --state)."""
        self.path = str(path)
        self.role = role or self.path
        # A store this run brings into being and then rolls back is removed again: "left as it
        # was" is no file, not an empty one that `audit runs` would call "not a clinimg state store".
        self.created = not os.path.lexists(self.path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction a run.
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_WAIT_SECONDS)
            self.db.execute("PRAGMA journal_mode=DELETE")
            # A run is one transaction: give it room, or SQLite spills dirty pages on every write —
            # but not so much that the page cache outweighs the audit (32 MB; spilled pages go to
            # the OS's file cache, not to the disk, until COMMIT).
            self.db.execute(f"PRAGMA cache_size=-{MAIN_CACHE_KIB}")
            version = self._existing_version()
        except sqlite3.OperationalError as exc:  # locked, read-only, cannot be created, disk full
            raise CheckerError(f"{self.role}: {describe_store_error(exc)}; the store was left untouched") from None
        except sqlite3.DatabaseError as exc:
            raise CheckerError(f"{self.role}: the state file is not a usable clinimg state store ({_why(exc)}); it was left untouched") from None
        if version is not None and version not in READS_VERSIONS:
            raise CheckerError(f"{self.role}: state store version {version} is not supported (expected {' or '.join(READS_VERSIONS)}); it was left untouched")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            for statement in _TABLES.strip().split(";"):
                if statement.strip():
                    self.db.execute(statement)
        except sqlite3.OperationalError as exc:
            self.abandon()
            raise CheckerError(f"{self.role}: {describe_store_error(exc)}; the store was left untouched") from None
        self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT_SECONDS * 1000)}")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        row = self.db.execute("SELECT COALESCE(MAX(run_id), 0) + 1 FROM runs").fetchone()
        self.run_id: int = row[0]

    def _existing_version(self) -> str | None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if "meta" not in tables:
            raise sqlite3.DatabaseError("no clinimg tables")
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return row[0] if row else None

    # -- events -------------------------------------------------------------------------------

    def seen_many(self, event_ids: list[str]) -> dict[str, tuple[Any, ...]]:
        """Which of these event ids the store already holds, each with its event_facts."""
        return _seen_facts(self.db, event_ids)

    def add_events(self, events: Iterable[tuple[dict[str, Any], int]]) -> None:
        _insert_events(self.db, self.run_id, events)

    def decided_earlier(self, event_ids: list[str]) -> set[str]:
        """Which of these event ids an earlier run on the store decided (not this one)."""
        return set(_seen_facts(self.db, event_ids, before_run=self.run_id))

    def event_context(self, event_id: str) -> dict[str, Any] | None:
        return _event_context(self.db, event_id)

    def latest_occurred_ns(self) -> int | None:
        row = self.db.execute("SELECT MAX(occurred_ns) FROM events").fetchone()
        return row[0]

    # -- findings -----------------------------------------------------------------------------

    def add_finding(self, finding: dict[str, Any]) -> bool:
        """Record a finding; False when an earlier run (or this one) already made it."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO findings VALUES (?,?,?,?,?)",
            (finding["rule"], finding.get("event_id", ""), finding["message"], self.run_id, pack(orjson.dumps(finding, option=orjson.OPT_SORT_KEYS))),
        )
        return cur.rowcount == 1

    def run_findings(self) -> Iterator[bytes]:
        """This run's findings (their JSON text), in report order (the primary key's)."""
        for (stored,) in self.db.execute("SELECT finding FROM findings WHERE run_id = ? ORDER BY rule, event_id, message", (self.run_id,)):
            yield unpack(stored)

    # -- state --------------------------------------------------------------------------------

    def load_state(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Every patient, and the images whose lifecycle is still open (the rest: load_image)."""
        patients = {pid: records.load(s) for pid, s in self.db.execute("SELECT patient_id, state FROM patients")}
        images = {iid: records.load(s) for iid, s in self.db.execute("SELECT image_id, state FROM images WHERE open = 1")}
        return patients, images

    def load_image(self, image_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT state FROM images WHERE image_id = ?", (image_id,)).fetchone()
        return records.load(row[0]) if row else None

    def load_patient(self, patient_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT state FROM patients WHERE patient_id = ?", (patient_id,)).fetchone()
        return records.load(row[0]) if row else None

    def save_state(self, patients: Iterable[tuple[str, dict[str, Any]]], images: Iterable[tuple[str, bool, dict[str, Any]]]) -> None:
        # orjson: state is written as often as lifecycles move (a third of the events).
        self.db.executemany("INSERT OR REPLACE INTO patients VALUES (?,?)", ((pid, orjson.dumps(p, option=orjson.OPT_SORT_KEYS).decode()) for pid, p in patients))
        self.db.executemany("INSERT OR REPLACE INTO images VALUES (?,?,?)", ((iid, int(is_open), orjson.dumps(img, option=orjson.OPT_SORT_KEYS).decode()) for iid, is_open, img in images))

    # -- the run ------------------------------------------------------------------------------

    def mark(self) -> None:
        """Remember this point of the run's transaction (undo() returns to it)."""
        self.db.execute("SAVEPOINT clinimg_pass")

    def checkpoint(self) -> None:
        """Between chunks of a pass: nothing to do here (the run is one transaction)."""

    def undo(self) -> None:
        self.db.execute("ROLLBACK TO clinimg_pass")

    def run_period(self) -> tuple[int | None, int | None]:
        """The first and last event time this run decided (None, None: none)."""
        return self.db.execute("SELECT MIN(occurred_ns), MAX(occurred_ns) FROM events WHERE run_id = ?", (self.run_id,)).fetchone()

    def trend(self) -> list[dict[str, Any]]:
        """Findings by rule and effect of every earlier run, oldest first."""
        return [
            {"run": run_id, "as_of": as_of, "by_rule_effect": json.loads(by_rule_effect)}
            for run_id, as_of, by_rule_effect in self.db.execute("SELECT run_id, as_of, by_rule_effect FROM run_reports ORDER BY run_id")
        ]

    def save_run_report(self, *, started: str, as_of: str, digest: str, counts: dict[str, int], by_effect: dict[str, int],
                        by_rule_effect: dict[str, Any], document: dict[str, Any]) -> None:
        """This run's report data (`clinimg audit runs`, `clinimg audit report`), committed with the run."""
        self.db.execute(
            "INSERT INTO run_reports VALUES (?,?,?,?,?,?,?,?)",
            (self.run_id, started, as_of, digest, json.dumps(counts, sort_keys=True), json.dumps(by_effect, sort_keys=True),
             json.dumps(by_rule_effect, sort_keys=True), _pack(document)),
        )

    def previous_policy_digest(self) -> str | None:
        """The policy digest the last finished run recorded (in its summary), if any."""
        row = self.db.execute("SELECT summary FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            summary = json.loads(row[0] or "{}")
        except ValueError:
            return None
        digest = summary.get("policy_digest") if isinstance(summary, dict) else None
        return digest if isinstance(digest, str) else None

    def finish(self, as_of: str, summary: dict[str, Any]) -> None:
        """Commit the run; summary (its counts and policy_digest) is what the next run reads."""
        self.db.execute("INSERT INTO runs VALUES (?,?,?)", (self.run_id, as_of, json.dumps(summary, sort_keys=True)))
        self.db.execute("COMMIT")
        self.db.close()

    def abandon(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.db.close()
        if self.created:
            with contextlib.suppress(OSError):
                if os.path.getsize(self.path) == 0:
                    os.remove(self.path)


def _pack(document: dict[str, Any]) -> bytes:
    # A night of a million varied events holds about two million findings: they are streamed
    # from their file into zlib (orjson; zlib's fastest level), never all in memory as text.
    try:
        packer = zlib.compressobj(1)
        return b"".join(packer.compress(chunk) for chunk in json_chunks(document, indent=False)) + packer.flush()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        whole = {**document, "findings": list(document.get("findings") or [])}
        return zlib.compress(json.dumps(whole, sort_keys=True, ensure_ascii=False).encode("utf-8"), 1)


def _open_readonly(path: str | pathlib.Path) -> sqlite3.Connection:
    p = pathlib.Path(path)
    if not p.is_file():
        raise CheckerError(f"{path}: no such state store")
    try:
        db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise CheckerError(f"{path}: not a usable clinimg state store ({_why(exc)})") from None
    if "meta" not in tables:
        db.close()
        raise CheckerError(f"{path}: not a clinimg state store")
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise CheckerError(f"{path}: not a usable clinimg state store ({_why(exc)})") from None
    if row is None or row[0] not in READS_VERSIONS:  # a newer clinimg's store: its runs may not read as ours
        db.close()
        raise CheckerError(f"{path}: state store version {row[0] if row else 'unknown'} is not supported (expected {' or '.join(READS_VERSIONS)})")
    return db


def list_runs(path: str | pathlib.Path) -> list[dict[str, Any]]:
    """Every run whose report the store keeps, oldest first (without the report itself)."""
    db = _open_readonly(path)
    try:
        if "run_reports" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}:
            return []
        return [
            {"run": run_id, "started": started, "as_of": as_of, "policy_digest": digest, "counts": json.loads(counts), "by_effect": json.loads(by_effect)}
            for run_id, started, as_of, digest, counts, by_effect in db.execute(
                "SELECT run_id, started, as_of, policy_digest, counts, by_effect FROM run_reports ORDER BY run_id")
        ]
    finally:
        db.close()


def run_document(path: str | pathlib.Path, run_id: int | None) -> dict[str, Any]:
    """The report data of one run (None: the last), as the run made it."""
    db = _open_readonly(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        row = None
        if "run_reports" in tables:
            if run_id is None:
                row = db.execute("SELECT document FROM run_reports ORDER BY run_id DESC LIMIT 1").fetchone()
            else:
                row = db.execute("SELECT document FROM run_reports WHERE run_id = ?", (run_id,)).fetchone()
    finally:
        db.close()
    if row is None:
        raise CheckerError(f"{path}: " + ("no run with its report kept" if run_id is None else f"no run {run_id} with its report kept (see: clinimg audit runs)"))
    return json.loads(zlib.decompress(row[0]).decode("utf-8"))


def _why(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


class PartitionStore:
    """The store as one partition of a parallel audit sees it (checker/audit/partition.py).

    Reads what earlier runs left from the main store (read-only: the parent holds its write
    transaction and has written nothing yet), and writes what this partition decides to its own
    scratch database, which the parent merges into the main store in its one transaction. Only
    this partition's patients and their images are loaded.
    """

    def __init__(self, main_path: str | pathlib.Path, scratch_path: str | pathlib.Path, events_path: str | pathlib.Path, run_id: int, owns_patient: Any) -> None:
        self.run_id = run_id
        self._owns_patient = owns_patient
        main_path = pathlib.Path(main_path)
        self.main: sqlite3.Connection | None = None
        if main_path.exists() and main_path.stat().st_size > 0:
            self.main = sqlite3.connect(f"{main_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            tables = {r[0] for r in self.main.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "events" not in tables:  # created in the parent's open transaction: nothing yet
                self.main.close()
                self.main = None
        self.db = sqlite3.connect(str(scratch_path), isolation_level=None)
        # No rollback journal: nothing here is ever rolled back (undo empties the scratch
        # databases; a partition that fails leaves them unread), and an in-memory journal holds
        # the original of every page a transaction changes — as the scratch databases grew
        # (~600 MB each by the middle of a million-line night), a chunk's findings, spread over
        # the whole B-tree, made it tens of MB, and each slice of the night started higher.
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(f"PRAGMA cache_size=-{PARTITION_CACHE_KIB}")
        for statement in _TABLES.strip().split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.execute("BEGIN")  # (after the tables: undo's rollback must leave them)
        # The events decided go to a file of their own, sealed (committed) once the pass over the
        # logs ends, so the parent can merge them while this partition judges open lifecycles.
        self.events_db = sqlite3.connect(str(events_path), isolation_level=None, timeout=120)
        self.events_db.execute("PRAGMA journal_mode=OFF")  # (as above)
        self.events_db.execute("PRAGMA synchronous=OFF")
        self.events_db.execute(f"PRAGMA cache_size=-{EVENTS_CACHE_KIB}")  # appended to, read back rarely
        self.events_db.execute(_TABLES[_TABLES.index("CREATE TABLE IF NOT EXISTS events"):_TABLES.index(";", _TABLES.index("CREATE TABLE IF NOT EXISTS events"))])
        self.events_db.execute("BEGIN")
        self._sealed = False

    def _both(self) -> list[sqlite3.Connection]:
        return [self.events_db] + ([self.main] if self.main is not None else [])

    def seal_events(self) -> None:
        """No more events this run: commit them for the parent to merge."""
        self.events_db.execute("COMMIT")
        self._sealed = True

    def add_events(self, events: Iterable[tuple[dict[str, Any], int]]) -> None:
        _insert_events(self.events_db, self.run_id, events)

    def mark(self) -> None:
        """(undo() empties the scratch databases: they hold this pass's writes and nothing else.)"""

    def undo(self) -> None:
        """Start the pass again from empty scratch databases: what this process wrote since its
        last checkpoint and what was committed before (earlier chunks, earlier processes of the
        pass) deleted alike. (No ROLLBACK: without a journal it is undefined.)"""
        for table in ("findings", "patients", "images"):
            self.db.execute(f"DELETE FROM {table}")
        self.events_db.execute("DELETE FROM events")

    def checkpoint(self) -> None:
        """Commit what the pass wrote so far (between chunks): dirty pages go to the file, not
        the page cache's overflow. (The parent reads the scratch databases only once the pass is
        done; a partition that fails leaves them unread.)"""
        for db in (self.db,) if self._sealed else (self.db, self.events_db):
            db.execute("COMMIT")
            db.execute("BEGIN")

    def hand_over(self) -> None:
        """Commit what this process of the pass wrote, for the next one to go on from (the
        parent merges the scratch databases only when the whole pass is done), and close."""
        self.db.execute("COMMIT")
        self.events_db.execute("COMMIT")
        self.close()

    def seen_many(self, event_ids: list[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        for db in self._both():
            found.update(_seen_facts(db, event_ids))
        return found

    def event_context(self, event_id: str) -> dict[str, Any] | None:
        return next((c for c in (_event_context(db, event_id) for db in self._both()) if c is not None), None)

    def latest_occurred_ns(self) -> int | None:
        return self.main.execute("SELECT MAX(occurred_ns) FROM events").fetchone()[0] if self.main is not None else None

    def add_finding(self, finding: dict[str, Any]) -> bool:
        if self.main is not None and self.main.execute(
            "SELECT 1 FROM findings WHERE rule=? AND event_id=? AND message=?", (finding["rule"], finding.get("event_id", ""), finding["message"])
        ).fetchone():
            return False
        return Store.add_finding(self, finding)  # type: ignore[arg-type]

    def load_state(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        if self.main is None:
            return {}, {}
        patients = {pid: records.load(s) for pid, s in self.main.execute("SELECT patient_id, state FROM patients") if self._owns_patient(pid)}
        images = {}
        for iid, s in self.main.execute("SELECT image_id, state FROM images WHERE open = 1"):
            img = records.load(s)
            if self._owns_patient(img["patient_id"]):
                images[iid] = img
        return patients, images

    def load_image(self, image_id: str) -> dict[str, Any] | None:
        return self._load("SELECT state FROM images WHERE image_id = ?", image_id)

    def load_patient(self, patient_id: str) -> dict[str, Any] | None:
        return self._load("SELECT state FROM patients WHERE patient_id = ?", patient_id)

    def _load(self, query: str, key: str) -> dict[str, Any] | None:
        """This partition's scratch record, else what earlier runs left."""
        for db in [self.db] + ([self.main] if self.main is not None else []):
            row = db.execute(query, (key,)).fetchone()
            if row:
                return records.load(row[0])
        return None

    save_state = Store.save_state

    def finish(self, as_of: str, summary: dict[str, Any]) -> None:
        self.db.execute("COMMIT")
        self.close()

    def abandon(self) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        self.events_db.close()
        if self.main is not None:
            self.main.close()


def event_facts(event: dict[str, Any], occurred_ns: int) -> tuple[Any, ...]:
    """What the events table keeps of an event that tells two events apart: its instant, type,
    actor, facility, patient and image (a line sent twice has the same; two events given one id
    do not)."""
    return (occurred_ns, event["type"], (event.get("actor") or {}).get("id"), event.get("facility"),
            (event.get("patient") or {}).get("id"), (event.get("image") or {}).get("id"))


def _seen_facts(db: sqlite3.Connection, event_ids: list[str], before_run: int | None = None) -> dict[str, tuple[Any, ...]]:
    """Which of these event ids the database's events hold (decided by a run before `before_run`,
    if given), each with its event_facts."""
    found: dict[str, tuple[Any, ...]] = {}
    runs, bound = ("run_id < ? AND ", [before_run]) if before_run is not None else ("", [])
    for start in range(0, len(event_ids), 500):  # SQLite's host-parameter limit
        part = event_ids[start:start + 500]
        marks = ",".join("?" * len(part))
        for row in db.execute(f"SELECT event_id, occurred_ns, type, actor_id, facility, patient_id, image_id FROM events "
                              f"WHERE {runs}event_id IN ({marks})", [*bound, *part]):
            found[row[0]] = tuple(row[1:])
    return found


def _insert_events(db: sqlite3.Connection, run_id: int, events: Iterable[tuple[dict[str, Any], int]]) -> None:
    db.executemany(
        "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
        (
            (
                e["event_id"], ns, e["type"], (e.get("actor") or {}).get("id"), (e.get("actor") or {}).get("role"),
                e.get("facility"), (e.get("patient") or {}).get("id"), (e.get("image") or {}).get("id"), run_id,
            )
            for e, ns in events
        ),
    )


def _event_context(db: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    row = db.execute("SELECT actor_id, role, facility, patient_id, image_id, occurred_ns FROM events WHERE event_id=?", (event_id,)).fetchone()
    if row is None:
        return None
    context = dict(zip(("actor_id", "role", "facility", "patient_id", "image_id"), row[:5]))
    # The store keeps the instant, not the offset it was written with: UTC.
    context["occurred_at"] = datetime.datetime.fromtimestamp(row[5] // 10**9, tz=datetime.timezone.utc).replace(
        microsecond=(row[5] % 10**9) // 1000).isoformat().replace("+00:00", "Z")
    return context


def merge_events(store: Store, events_paths: list[str]) -> str | None:
    """First half of bringing the partitions into the store (inside its run's transaction, under
    a savepoint that merge_state releases or undoes): the events they decided. Returns why the
    partitions were not independent — an event id in two of them breaks the events table's primary
    key (partitions never hold ids of earlier runs: they looked them up) — with nothing merged."""
    store.db.execute("SAVEPOINT clinimg_merge")
    try:
        for i, path in enumerate(events_paths):
            store.db.execute(f"ATTACH DATABASE ? AS events{i}", (path,))
            store.db.execute(f"INSERT INTO events SELECT * FROM events{i}.events")
    except sqlite3.IntegrityError:
        store.db.execute("ROLLBACK TO clinimg_merge")
        store.db.execute("RELEASE clinimg_merge")
        return "one event id appears for patients decided in different processes"
    return None


def undo_merge(store: Store) -> None:
    """Take back what merge_events brought in (a partition fell back after it)."""
    store.db.execute("ROLLBACK TO clinimg_merge")
    store.db.execute("RELEASE clinimg_merge")


def merge_state(store: Store, scratch_paths: list[str]) -> str | None:
    """Second half: findings, patients and images. An image in two partitions undoes the whole
    merge (events included) and says why; else None."""
    names = []
    for i, path in enumerate(scratch_paths):
        store.db.execute(f"ATTACH DATABASE ? AS part{i}", (path,))
        names.append(f"part{i}")
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if store.db.execute(f"SELECT 1 FROM {a}.images JOIN {b}.images USING (image_id) LIMIT 1").fetchone():
                store.db.execute("ROLLBACK TO clinimg_merge")
                store.db.execute("RELEASE clinimg_merge")
                return "one image appears in events of patients decided in different processes"
    for name in names:
        store.db.execute(f"INSERT OR IGNORE INTO findings SELECT * FROM {name}.findings")
        store.db.execute(f"INSERT OR REPLACE INTO patients SELECT * FROM {name}.patients")
        store.db.execute(f"INSERT OR REPLACE INTO images SELECT * FROM {name}.images")
    store.db.execute("RELEASE clinimg_merge")
    return None
