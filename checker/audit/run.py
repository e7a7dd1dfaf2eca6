"""`clinimg audit` as a whole run: open the store, decide the logs — in this process
(runner.decide_in_order) or in one process per share of the patients (partition.run_partitions)
— write the quarantine, and assemble the report. Kept apart from the runner so that the
partitions, which run the runner's pass, and this module, which starts them, import each other
in one direction only."""
from __future__ import annotations

import json
import os
import pathlib
import re
import sqlite3
import tempfile
import time
from typing import Any, Callable, ContextManager, Iterable

from .. import schemas
from ..errors import CheckerError, ExitCode
from ..outputs import atomic_output, describe_oserror
from ..policy import PolicySet
from .findings import FindingsFile
from .partition import run_partitions
from .reader import LogSet
from .runner import AuditReport, Decided, decide_in_order
from .state import State, iso, parse_ns
from .store import Store, describe_store_error
from .waivers import unused_waivers


class _Progress:
    """How many lines were read, told to the caller's callback at most twice a second (the CLI
    draws it on a terminal); the library itself never writes to stderr."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.enabled = callback is not None
        self.last = 0.0

    def show(self, read: int, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last > 0.5:
            self.last = now
            self.callback(read)



def audit(
    paths: Iterable[str],
    *,
    policy: PolicySet,
    engine_factory: Callable[[PolicySet], Any],
    as_of: str | None = None,
    state_path: str | pathlib.Path | None = None,
    quarantine: str | pathlib.Path | None = None,
    progress: Callable[[int], None] | None = None,
    notice: Callable[[str], None] | None = None,
    partitions: int | None = 1,
    partition_cache: bool = True,
    partition_engine: str = "embedded",
    amend_report: Callable[[AuditReport], None] | None = None,
    deliver: Callable[[AuditReport], ContextManager[None]] | None = None,
) -> AuditReport:
    """Audit the logs. partitions None: auto_partitions (one per core, at most 4, for logs of
    PARTITION_MIN_BYTES or more; standard input: STDIN_PARTITION_MIN_BYTES), else one. partitions > 1: that many processes, each deciding the events of its share
    of the patients (checker/audit/partition.py) with its own embedded engine — the same report
    as one process; when the logs tie patients together across partitions (an image used under
    two patients, an event id reused), the run is redone in one process, and `notice` is told why.
    `progress` is called with the number of lines read so far, at most twice a second.
    The caller tunes the garbage collector if it wants to (the CLI does: gctuning.py).
    `deliver(report)` is a context manager that writes the report (stdout, or --output beside its
    place) on entry and puts the file in place on a clean exit; the run is committed inside it. A
    report that could not be written whole (a full disk, a closed pipe) rolls the run back, so the
    next night decides and reports those events again — nothing decided goes unreported; a commit
    that fails leaves no --output file."""
    started = _now_iso()
    as_of_ns = None
    if as_of is not None:
        try:
            if not AS_OF_FORM.fullmatch(as_of):  # (what an event's time may be: no space for the T, seconds)
                raise ValueError(as_of)
            as_of_ns = parse_ns(as_of)
        except ValueError:
            near = schemas.date_time_form_problem(as_of)  # (what is wrong in it, in words: a space for the T, no offset, …)
            why = f": it {near.split(': an RFC 3339 date-time is needed')[0]}" if near else ""
            raise CheckerError(f"--as-of: not an RFC 3339 date-time with offset (e.g. 2026-11-24T02:00:00+11:00){why}") from None
        if not AS_OF_RANGE[0] <= as_of_ns < AS_OF_RANGE[1]:
            # (as an event's time: 9999-… is a slip of the keyboard, and past 2262 no nanosecond
            # instant — the store's, OPA's — holds it)
            raise CheckerError("--as-of: outside the years 1700 to 2259 (the times events may have)")
    paths = list(paths)
    logs = LogSet(paths)
    if partitions is None:
        partitions = auto_partitions(logs)
    scratch = tempfile.TemporaryDirectory(prefix="clinimg-audit-")
    one_off = state_path is None  # no --state: the store lives as long as the run
    if state_path is None:
        state_path = os.path.join(scratch.name, "state.sqlite")
    store_role = "the audit's temporary store (TMPDIR)" if one_off else "--state"
    store = Store(state_path, role=store_role)
    engine = None
    bar = _Progress(progress)
    try:
        told_early: list[bool] = []

        def resolve(latest: int | None) -> int:
            if as_of_ns is not None:
                if latest is not None and as_of_ns < latest and notice is not None and not told_early:
                    # A year mistyped (2016 for 2026) made every deadline still to come: no
                    # lifecycle finding at all, and nothing said why.
                    told_early.append(True)
                    notice(f"--as-of {iso(as_of_ns)} is earlier than the latest event of the logs ({iso(latest)}): "
                           "deadlines are judged as of that earlier time")
                return as_of_ns
            return latest if latest is not None else time.time_ns()

        decided: Decided | None = None
        spools: list[str] = []
        if partitions > 1:
            decided, spools, why = run_partitions(
                logs, policy=policy, store=store, scratch_dir=scratch.name, partitions=partitions,
                resolve_as_of=resolve, cache=partition_cache, bar=bar, engine=partition_engine,
            )
            if decided is None and notice is not None:
                notice(f"{why}; deciding in one process instead")
        if decided is None:
            engine = engine_factory(policy)
            spool_path = os.path.join(scratch.name, "invalid.spool")
            decided = decide_in_order(
                logs, store=store, make_state=lambda: State(*store.load_state(), load_image=store.load_image, load_patient=store.load_patient), spool_path=spool_path,
                engine=engine, resolve_as_of=resolve, on_chunk=lambda read: bar.show(read) or True,
            )
            for entry in decided.invalid:
                entry["_q"] = [0, *entry["_q"]]
            spools = [spool_path]
        bar.show(decided.counts["read"], force=True)

        # This run's findings, in report order, from the store into a file of their own: the
        # report reads them one at a time (a varied night makes millions).
        findings = FindingsFile(store.run_findings())
        if len(findings) != decided.tally.total:  # fail closed: a report must list what was counted
            raise CheckerError(f"audit: internal error: {decided.tally.total} finding(s) counted but {len(findings)} kept; nothing was committed")
        decided.invalid.sort(key=lambda p: (p["file"], p["line"]))
        decided.duplicates.sort(key=lambda d: (d["file"], d["line"]))
        # In log order, image reviews (no file) first: one process and several list them alike;
        # an image reviewed more than once (changed after it closed) failing alike is listed once.
        decided.engine_errors = sorted({json.dumps(e, sort_keys=True): e for e in decided.engine_errors}.values(),
                                       key=lambda e: (e["file"] or "", e["line"] or 0, e["event_id"], e["reason"]))
        if quarantine is not None:
            _write_quarantine(quarantine, decided.invalid, spools)
        for entry in decided.invalid:
            entry.pop("_q", None)
        report = AuditReport(
            as_of=iso(decided.as_of_ns),
            files=logs.names,
            counts=decided.counts,
            findings=findings,
            tally=decided.tally,
            invalid=decided.invalid,
            duplicates=decided.duplicates,
            engine_errors=decided.engine_errors,
            # one entry per waiver and status (an image reviewed twice meets its waiver twice);
            # sorted as a decision sorts them: one process and several list them alike
            waivers=sorted({json.dumps(w, sort_keys=True): w for w in decided.waivers}.values(),
                           key=lambda w: (str(w["rule"]), str(w["event_id"]), str(w["approved_by"]), str(w["status"]))),
            policy=policy_stamp(policy, engine, store.previous_policy_digest()),
            run_id=store.run_id,
            state=None if one_off else str(state_path),
            rules=rules_in_force(policy),
            started=started,
            timezone=(policy.data.get("clinimg") or {}).get("config", {}).get("timezone"),
        )
        if decided.late and decided.earlier_latest_ns is not None:
            report.late_events = {"count": decided.late, "before": iso(decided.earlier_latest_ns)}
            if notice is not None:
                notice(f"{decided.late} event(s) older than the latest event earlier runs on --state decided ({report.late_events['before']}): "
                       "not decided in time order with them; the report says so")
        # (before the run's report is kept in the store and delivered: `audit report` shows it too)
        report.unused_waivers = unused_waivers(((policy.data.get("clinimg") or {}).get("config") or {}).get("waivers") or (),
                                               report.waivers, store.decided_earlier)
        if amend_report is not None:  # e.g. FHIR input: the report speaks of the FHIR files (checker/fhir/logs.py)
            amend_report(report)
        first_ns, last_ns = store.run_period()
        if first_ns is not None:
            report.period = {"from": iso(first_ns), "to": iso(last_ns)}
        summary = report.summary()
        report.trend = store.trend() + [{"run": store.run_id, "as_of": report.as_of, "by_rule_effect": decided.tally.by_rule_effect()}]
        store.save_run_report(started=started, as_of=report.as_of, digest=report.policy.get("digest", ""), counts=report.counts,
                              by_effect=summary["by_effect"], by_rule_effect=report.trend[-1]["by_rule_effect"], document=report.document())
        summary_of_run = {"counts": report.counts, "policy_digest": report.policy["digest"]}
        if deliver is None:
            store.finish(report.as_of, summary_of_run)
            store = None  # committed
            return report
        committing = False
        try:
            with deliver(report):  # the report written (a file: beside its place, not yet renamed)
                committing = True
                store.finish(report.as_of, summary_of_run)
                store = None  # committed; then the report file is renamed into place
                committing = False
        except BaseException as exc:
            if committing or store is None:  # the store's own failure (handled below), or after the commit
                raise
            raise _Undelivered(exc) from None
        return report
    except _Undelivered as undelivered:  # the store is rolled back below (finally)
        raise undelivered.rolled_back(None if one_off else store_role) from None
    except sqlite3.OperationalError as exc:  # a full disk, a read-only store: one line, rolled back
        raise CheckerError(f"{store_role}: {describe_store_error(exc)}; the run was rolled back and the store left as it was") from None
    except OSError as exc:  # the invalid-line spool (TMPDIR) full, a log that fails mid-read
        raise CheckerError(f"audit: {describe_oserror(exc)} (reading a log, or writing temporary files in TMPDIR); "
                           "the run was rolled back and the store left as it was") from None
    finally:
        if store is not None:
            store.abandon()
        if engine is not None:
            engine.close()
        logs.close()
        scratch.cleanup()


class _Undelivered(Exception):
    """The report could not be written: carries the writer's own error past the store's handlers."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause

    def rolled_back(self, store_role: str | None) -> BaseException:
        """The writer's error, saying the run was rolled back when there is a store to speak of."""
        cause = self.cause
        if store_role is None:
            return cause
        if isinstance(cause, CheckerError):
            return CheckerError(f"{cause}; the run was rolled back and the {store_role} store left as it was", cause.exit_code)
        if isinstance(cause, BrokenPipeError):  # `| head`: quiet without a store, but a store's run is undone
            return CheckerError(f"the report's reader went away (broken pipe); the run was rolled back and the {store_role} store left as it was",
                                ExitCode.BROKEN_PIPE)
        return cause


def policy_stamp(policy: PolicySet, engine: Any, previous_digest: str | None) -> dict[str, str]:
    """The policy that decided (an OPA server's engine knows its bundle's revision), and — when
    it differs from the one the previous run on this state store recorded — that one too, so
    every report says the policy changed between the two runs."""
    stamp = dict((engine.stamp() if engine is not None else None) or policy.stamp())
    if previous_digest is not None and previous_digest != stamp.get("digest"):
        stamp["previous_digest"] = previous_digest
    return stamp


# From this much log, one process per core (at most 4). Measured (README, Performance, session
# 6): a second process costs ~0.5 s of CPU (starting it and its engine) and repeats some misses;
# a log whose facts vary, as a hospital's do, spends ~2–3 ms a line in its engine, so two
# processes halve its time from ~0.5 MB on, while a dull generated log (~30,000 lines/s) would
# gain only above ~10 MB — it loses ~0.7 s between 1 and 10 MB, a varied log gains seconds to
# minutes: the varied log decides.
# The times an event may have (schemas/defs.schema.json `timestamp`): 1700-01-01 up to 2260-01-01, UTC.
AS_OF_RANGE = (parse_ns("1700-01-01T00:00:00Z"), parse_ns("2260-01-01T00:00:00Z"))
AS_OF_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})")
PARTITION_MIN_BYTES = 1024 * 1024
# Standard input keeps one process up to the old bound (what a pipe feeds is spooled first;
# partitions re-read the spool).
STDIN_PARTITION_MIN_BYTES = 16 * 1024 * 1024


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def auto_partitions(logs: LogSet, cores: int | None = None) -> int:
    """The default number of partitions: one per usable core (at most 4) for logs of
    PARTITION_MIN_BYTES or more (STDIN_PARTITION_MIN_BYTES when standard input is among them),
    else one."""
    size = sum(os.path.getsize(p) for p in logs.paths)  # stdin: its spool
    least = STDIN_PARTITION_MIN_BYTES if logs.stdin else PARTITION_MIN_BYTES
    return min(4, cores or usable_cores()) if size >= least else 1


def _write_quarantine(path: str | pathlib.Path, invalid: list[dict[str, Any]], spools: list[str]) -> None:
    """The invalid lines, verbatim, in file and line order (copied from the spools), written whole
    or not at all (a temporary file renamed into place: never truncated before it is written)."""
    handles = [open(p, "rb") for p in spools]
    try:
        with atomic_output(path, "--quarantine") as out:
            for entry in invalid:
                which, offset, length = entry["_q"]
                out.write(os.pread(handles[which].fileno(), length, offset))
    finally:
        for h in handles:
            h.close()



def _now_iso() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rules_in_force(policy: PolicySet) -> list[dict[str, str]]:
    """The catalogue of the policy set as its overlay leaves it: disabled rules out, effects overridden."""
    from ..policy import catalogue_in_force

    return [{k: v for k, v in entry.items() if k != "default_effect"} for entry in catalogue_in_force(policy) if not entry.get("disabled")]
