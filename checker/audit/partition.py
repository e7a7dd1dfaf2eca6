"""A parallel audit: each process decides the events of its share of the patients.

Everything the audit's state holds — consents on file, images and where they are, wrong-recipient
disclosures and their breach reports, access requests — belongs to one patient. So the patients
are split by a hash of their pseudonym into as many partitions as there are cores; every process
reads the logs itself, keeps the lines routed to it (a regular expression finds the patient id;
lines without one go to partition 0), and runs the same `decide_logs` as a one-process audit,
with its own regopy worker and fact-set cache, against its own state.

The partitions are independent unless the logs tie two patients together: an image used under
two patients, an event id reused for another patient, a line routed by a patient id that parsing
does not confirm. Each partition notices what it can (an event of a patient it does not own, an
image saved by another patient's run) and stops with a reason; the parent checks what only it can
see (the same event id or image decided in two partitions) when it merges. Either way nothing of
the partitions is kept and the run is redone in one process, so the report is always the one a
single process gives.

The store stays one transaction: partitions read the main store (read-only) for what earlier runs
left, and write what they decide to scratch databases that the parent merges into the main store
before it commits. Lifecycles still open at the end are judged as of the latest event over all
partitions: each partition reports its latest event and waits for the parent's answer.

A partition's memory grows with the lines it has decided, and not only with what it holds: a
varied night fragments its heap (README, Performance, session 8). So after SLICE_LINES lines, at
the next instant, a partition hands its pass over to a fresh copy of itself (the same process,
exec'd: same pipes, same parent): what it holds goes to its scratch store, what it has counted and
where each log resumes to a file, and the new image takes the pass up from there — the same
decisions, in the same order, as one process that never stopped (tests/acceptance/test_partition_slices.py).

Protocol (JSON lines). Parent → partition: the configuration, then {"as_of": ns}. Partition →
parent: {"read": n} (progress), {"latest": ns | null}, then {"done": true} | {"fallback": why} |
{"error": message}.
"""
from __future__ import annotations

import dataclasses
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import traceback
from typing import Any, Callable

from ..engines.factory import audit_engine
from ..errors import CheckerError, EngineError
from ..outputs import describe_oserror
from ..policy import PolicySet, RegoModule
from .reader import LogSet, partition_of
from ..gctuning import tune_for_audit
from .runner import Decided, Handover, decide_in_order
from .state import State
from .store import PartitionStore, Store, describe_store_error, merge_events, merge_state, undo_merge

# The module a partition process runs (started, and exec'd at each handover). Not this module:
# the package imports this one (audit/__init__ → run → partition), so `python -m` on it would
# execute it a second time as __main__, and Python warns so on every partition's stderr — which
# _death would give as a dead partition's last words.
PROCESS_MODULE = "checker.audit.partition_main"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------------------------------
# parent side


@dataclasses.dataclass
class _Child:
    index: int
    proc: subprocess.Popen[bytes]
    spool: str
    report: str
    stderr: str
    latest: int | None = None
    reported_latest: bool = False
    done: bool = False


# Lines a partition's process decides before it hands the pass over to a fresh one (at the next
# instant). Measured (README, Performance, session 9): see there for memory and time against it.
# CLINIMG_PARTITION_SLICE_LINES sets another (the tests: a few lines).
SLICE_LINES = 50_000
# ... and only once its resident memory has reached this (MB): a dull log's partition stays near
# 100 MB through a million lines, and handing over every 50,000 lines cost it ~12% more CPU
# (README, Performance, session 12); a varied log's partition is past 180 MB by its first 50,000
# lines, and hands over as before. CLINIMG_PARTITION_SLICE_MB sets another (0: lines alone).
SLICE_MB = 150


def slice_lines() -> int:
    return int(os.environ.get("CLINIMG_PARTITION_SLICE_LINES") or SLICE_LINES)


def slice_mb() -> int:
    value = os.environ.get("CLINIMG_PARTITION_SLICE_MB")
    return int(value) if value not in (None, "") else SLICE_MB


def resident_mb() -> float:
    """This process's resident memory now (Linux: /proc/self/statm; elsewhere its peak)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (KiB on Linux)


class _NotIndependent(Exception):
    """The partitions were not independent (why): nothing of them is kept, the run is redone in
    one process."""


def run_partitions(
    logs: LogSet,
    *,
    policy: PolicySet,
    store: Store,
    scratch_dir: str,
    partitions: int,
    resolve_as_of: Callable[[int | None], int],
    cache: bool,
    bar: Any,
    engine: str = "embedded",
) -> tuple[Decided | None, list[str], str | None]:
    """(merged result, quarantine spools, None) — or (None, [], why) when the partitions were not
    independent and nothing of them was kept. The pipeline: start the partitions → conduct them
    (progress, the common as-of, their events merged while they judge open lifecycles) → merge
    their states → merge their reports."""
    scratch_dir = os.path.abspath(scratch_dir)
    children: list[_Child] = []
    try:
        messages = _start(children, logs, policy=policy, store=store, scratch_dir=scratch_dir, partitions=partitions, cache=cache, progress=bool(bar.enabled), engine=engine)
        _Conductor(children, store, scratch_dir, resolve_as_of, bar).run(messages)
        # Every partition is done deciding: the decisions they shared go before the merge
        # copies their findings and states into the store (the peak of TMPDIR; a varied
        # million-line night's shared decisions run to hundreds of MB).
        _remove_shared_decisions(scratch_dir)
        why = merge_state(store, [os.path.join(scratch_dir, f"partition{c.index}.sqlite") for c in children])
        if why is not None:
            raise _NotIndependent(why)
        return _merged_reports(children), [c.spool for c in children], None
    except _NotIndependent as exc:
        return None, [], str(exc)
    finally:
        for child in children:
            _end(child)


def shared_decisions_path(scratch_dir: str) -> str:
    """The scratch database where partitions share the decisions of their cache misses."""
    return os.path.join(scratch_dir, "decisions.sqlite")


def _remove_shared_decisions(scratch_dir: str) -> None:
    base = shared_decisions_path(scratch_dir)
    for path in (base, base + "-wal", base + "-shm"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _start(children: list[_Child], logs: LogSet, *, policy: PolicySet, store: Store, scratch_dir: str, partitions: int, cache: bool,
           progress: bool, engine: str = "embedded") -> "queue.Queue[tuple[int, dict[str, Any] | None]]":
    """Start one process per partition (appended to `children` as they start, for the caller to
    end), each sent its configuration; their messages arrive on the queue returned."""
    messages: "queue.Queue[tuple[int, dict[str, Any] | None]]" = queue.Queue()
    shared_decisions = shared_decisions_path(scratch_dir)
    if cache:
        from ..engines.cached import SharedDecisions

        SharedDecisions(shared_decisions).close()  # created (WAL) before the partitions race to
    for k in range(partitions):
        base = os.path.join(scratch_dir, f"partition{k}")
        stderr_path = base + ".stderr"
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", PROCESS_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=_REPO,
            )
        child = _Child(k, proc, base + ".spool", base + ".report.json", stderr_path)
        children.append(child)
        config = {
            "partition": [k, partitions],
            "paths": logs.paths,
            "names": logs.names,
            # Absolute: the partitions start in another directory than the caller's.
            "store": os.path.abspath(store.path),
            "run_id": store.run_id,
            "scratch": base + ".sqlite",
            "events": base + ".events.sqlite",
            "spool": child.spool,
            "report": child.report,
            "modules": [[m.path, m.source, m.origin] for m in policy.modules],
            "data": policy.data,
            "version": policy.version,
            "digest": policy.digest,
            "cache": cache,
            "engine": engine,
            "shared_decisions": shared_decisions,
            "progress": progress,
            "slice_lines": slice_lines(),
            "slice_mb": slice_mb(),
            "handover": base + ".handover.json",
        }
        _send(child, config)
        threading.Thread(target=_pump, args=(child, messages), daemon=True).start()
    return messages


class _Conductor:
    """The parent's side of the protocol while the partitions run: a handler per message."""

    def __init__(self, children: list[_Child], store: Store, scratch_dir: str, resolve_as_of: Callable[[int | None], int], bar: Any) -> None:
        self.children, self.store, self.scratch_dir, self.resolve_as_of, self.bar = children, store, scratch_dir, resolve_as_of, bar
        self.read_by_child = [0] * len(children)
        self.events_merged = False

    def run(self, messages: "queue.Queue[tuple[int, dict[str, Any] | None]]") -> None:
        """Until every partition is done; _NotIndependent (anything merged undone) when one
        falls back, CheckerError when one fails."""
        while not all(c.done for c in self.children):
            k, msg = messages.get()
            child = self.children[k]
            if msg is None:
                if child.done:
                    continue  # its output ends after "done"
                raise CheckerError(f"audit: partition {k} of {len(self.children)} ended unexpectedly ({_death(child)})")
            if "read" in msg:
                self.read_by_child[k] = msg["read"]
                self.bar.show(sum(self.read_by_child))
            elif "latest" in msg:
                self._latest(child, msg["latest"])
            elif "done" in msg:
                child.done = True
            elif "fallback" in msg:
                if self.events_merged:
                    undo_merge(self.store)
                    self.events_merged = False
                raise _NotIndependent(msg["fallback"])
            elif "error" in msg:
                raise CheckerError(msg["error"])  # the store is abandoned: nothing is kept

    def _latest(self, child: _Child, latest: int | None) -> None:
        """A partition's latest event; once all have told, each gets the common as-of."""
        child.latest, child.reported_latest = latest, True
        if not all(c.reported_latest for c in self.children):
            return
        known = [c.latest for c in self.children if c.latest is not None]
        as_of_ns = self.resolve_as_of(max(known) if known else None)
        for c in self.children:
            _send(c, {"as_of": as_of_ns})
        # Their events are sealed: merge them while the partitions judge the open lifecycles.
        why = merge_events(self.store, [os.path.join(self.scratch_dir, f"partition{c.index}.events.sqlite") for c in self.children])
        if why is not None:
            raise _NotIndependent(why)
        self.events_merged = True


def _merged_reports(children: list[_Child]) -> Decided:
    """The partitions' results as one (counts added, tallies merged, lists joined; run.py puts
    engine errors in log order for one process and several alike)."""
    merged: Decided | None = None
    for child in children:
        with open(child.report, encoding="utf-8") as fh:
            part = Decided.from_json(json.load(fh))
        for entry in part.invalid:
            entry["_q"] = [child.index, *entry["_q"]]
        if merged is None:
            merged = part
            continue
        for key, value in part.counts.items():
            merged.counts[key] += value
        merged.tally.merge(part.tally)
        merged.invalid += part.invalid
        merged.duplicates += part.duplicates
        merged.engine_errors += part.engine_errors
        merged.waivers += part.waivers
        merged.late += part.late
        merged.slices += part.slices
    assert merged is not None
    return merged


def _end(child: _Child) -> None:
    """Wait for (or, if it is not done, kill) a partition's process and close its pipes."""
    if child.proc.poll() is None:
        if not child.done:
            child.proc.kill()
        try:
            child.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.proc.kill()
    for stream in (child.proc.stdin, child.proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def _send(child: _Child, msg: dict[str, Any]) -> None:
    try:
        assert child.proc.stdin is not None
        child.proc.stdin.write(json.dumps(msg).encode() + b"\n")
        child.proc.stdin.flush()
    except (BrokenPipeError, OSError):
        pass  # its death is reported by the pump


def _pump(child: _Child, messages: "queue.Queue[tuple[int, dict[str, Any] | None]]") -> None:
    assert child.proc.stdout is not None
    for line in child.proc.stdout:
        try:
            messages.put((child.index, json.loads(line)))
        except ValueError:
            continue
    messages.put((child.index, None))


def _death(child: _Child) -> str:
    try:
        code = child.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return "no answer"
    try:
        with open(child.stderr, encoding="utf-8", errors="replace") as fh:
            last = [line.strip() for line in fh if line.strip()]
    except OSError:
        last = []
    return f"exit status {code}" + (f": {last[-1][:300]}" if last else "")


# ---------------------------------------------------------------------------------------------
# partition side


def main(argv: list[str]) -> int:
    tune_for_audit()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def send(msg: dict[str, Any]) -> None:
        stdout.write(json.dumps(msg).encode() + b"\n")
        stdout.flush()

    resume = None
    if argv:  # an earlier image of this process handed its pass over (exec): take it up
        with open(argv[0], encoding="utf-8") as fh:
            carried = json.load(fh)
        os.remove(argv[0])
        config, parent, resume = carried["config"], carried["parent"], Handover.from_json(carried["handover"])
    else:
        first = stdin.readline()
        if not first:
            return 1  # the parent is gone before it sent the configuration
        config = json.loads(first)
        parent = os.getppid()
    k, n = config["partition"]
    store = engine = logs = None
    try:
        policy = PolicySet(tuple(RegoModule(p, s, o) for p, s, o in config["modules"]), config["data"], config["version"], config["digest"])

        def owns(patient_id: str) -> bool:
            return partition_of(patient_id, n) == k

        logs = LogSet(config["paths"], partition=(k, n), names=config["names"])
        store = PartitionStore(config["store"], config["scratch"], config["events"], config["run_id"], owns)
        engine = audit_engine(policy, config["cache"], config["shared_decisions"], config.get("engine", "embedded"))

        def resolve(latest: int | None) -> int:
            store.seal_events()  # the parent merges them while this process judges open lifecycles
            send({"latest": latest})
            line = stdin.readline()
            if not line:
                raise SystemExit(1)  # the parent is gone
            return int(json.loads(line)["as_of"])

        def on_chunk(read: int) -> bool:
            if os.getppid() != parent:
                return False  # the parent died (killed): stop, leave nothing behind
            if config["progress"]:
                send({"read": read})
            return True

        threshold = config.get("slice_mb") or 0

        def memory_high() -> bool:
            return resident_mb() >= threshold

        decided = decide_in_order(
            logs, store=store, make_state=lambda: State(*store.load_state(), load_image=store.load_image, owns_patient=owns, load_patient=store.load_patient), spool_path=config["spool"],
            engine=engine, resolve_as_of=resolve, owns_patient=owns, on_chunk=on_chunk, slice_lines=config.get("slice_lines"),
            slice_when=memory_high if threshold > 0 else None,
            resume=resume, resumed_state=lambda h: State.taken_up(h.patients, h.images, load_image=store.load_image, load_patient=store.load_patient, owns_patient=owns),
        )
        if isinstance(decided, Handover):
            # Everything this image holds is in the scratch store and the handover file: a fresh
            # image of this process (same pid, pipes and parent) takes the pass up from there.
            with open(config["handover"], "w", encoding="utf-8") as fh:
                json.dump({"config": config, "parent": parent, "handover": decided.as_json()}, fh, ensure_ascii=False)
            store.hand_over()
            store = None
            engine.close()
            engine = None
            logs.close()
            logs = None
            stdout.flush()
            sys.stderr.flush()
            os.execv(sys.executable, [sys.executable, "-m", PROCESS_MODULE, config["handover"]])
        if decided.fallback is not None:
            send({"fallback": decided.fallback})
            return 0
        store.finish("", {})
        store = None
        with open(config["report"], "w", encoding="utf-8") as fh:
            json.dump(decided.as_json(), fh, ensure_ascii=False)
        send({"done": True})
        return 0
    except (CheckerError, EngineError) as exc:
        send({"error": str(exc)})
        return 2
    except sqlite3.OperationalError as exc:  # its scratch databases (TMPDIR): a full disk, say
        send({"error": f"the audit's temporary store (TMPDIR): {describe_store_error(exc)}; nothing was kept"})
        return 2
    except OSError as exc:  # reading a log, or its invalid-line spool (TMPDIR)
        send({"error": f"audit: {describe_oserror(exc)} (reading a log, or writing temporary files in TMPDIR); nothing was kept"})
        return 2
    except Exception as exc:  # a bug: the parent reports it as one line; the detail goes to stderr
        traceback.print_exc()
        send({"error": f"audit partition {k}: internal error ({type(exc).__name__}: {str(exc)[:200]})"})
        return 2
    finally:
        if store is not None:
            store.abandon()
        if engine is not None:
            engine.close()
        if logs is not None:
            logs.close()

