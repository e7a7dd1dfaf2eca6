"""The embedded engine: regopy (rego-cpp) in worker processes, no server.

Every regopy 1.3.1–1.5.2 can segfault (DEVELOPERS.md). The interpreter therefore lives in child
processes (checker.engines._worker). Inputs go to the workers in batches; when a worker dies, a
new one starts and the batch is decided again one input at a time, so the crash costs exactly the
input that causes it — an EngineFailure, never a permit. The policy is compiled once per worker.
"""
from __future__ import annotations

import json
import os
import signal
import functools
import subprocess
import sys
from typing import Any

from ..errors import EngineError
from ..policy import PolicySet, RegoModule, with_origins
from ..policylint import statements
from .base import BaseEngine, Decision, EngineFailure, run_in_threads, wire_dumps, wire_loads

BATCH = 256
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Worker:
    def __init__(self, policy: PolicySet, cache: bool) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "checker.engines._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a crash's noise is not for the user's terminal
            cwd=_REPO,
            text=True,
            encoding="utf-8",
            bufsize=1 << 16,
        )
        hello = {"modules": [[m.path, m.source] for m in policy.modules], "data": policy.data, "cache": cache}
        reply = self._roundtrip(json.dumps(hello))
        if reply is None:
            raise StartCrash(self.death())
        if "error" in reply:
            self.close()
            problems = reply.get("problems") or []
            raise EngineError("\n".join([f"embedded engine: {reply['error']}"] + problems))
        self.deadline_thresholds: list[float] = reply.get("deadline_thresholds") or []

    def _roundtrip(self, line: str) -> Any:
        """Send one line, read one reply; None when the worker died."""
        try:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except (BrokenPipeError, OSError, ValueError):
            return None
        if not answer:
            return None
        return wire_loads(answer)

    def decide(self, batch_json: str) -> list[dict[str, Any]] | None:
        return self._roundtrip(batch_json)

    def death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "worker hung and was killed"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"regopy crashed ({name})"
        return f"worker exited with status {code}"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except Exception:
                self.proc.kill()


class StartCrash(EngineError):
    """regopy died while compiling the policy (a crash, not a compile error)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"embedded engine failed to start ({why})")
        self.why = why


def _crashes(policy: PolicySet) -> bool:
    """Does compiling this policy kill regopy? (In a child process: it may.)"""
    try:
        _Worker(policy, False).close()
    except StartCrash:
        return True
    except EngineError:  # an ordinary compile error is not what we look for
        return False
    return False


def find_start_crash(policy: PolicySet) -> list[str]:
    """`file:line: why` for each of the hospital's own modules that kills regopy when compiled with
    the shipped policies, module by module, then rule by rule (each try in a child process)."""
    shipped = [m for m in policy.modules if not m.path.startswith("local")]
    found = []
    for module in (m for m in policy.modules if m.path.startswith("local")):
        if not _crashes(PolicySet.from_modules(shipped + [module])):
            continue
        line = 1
        starts = statements(module.source)
        lines = module.source.splitlines(keepends=True)
        for k, start in enumerate(starts[:40]):  # the first prefix of its rules that crashes
            end = starts[k + 1] - 1 if k + 1 < len(starts) else len(lines)
            prefix = RegoModule(module.path, "".join(lines[:end]), module.origin)
            if _crashes(PolicySet.from_modules(shipped + [prefix])):
                line = start
                break
        found.append(
            f"{module.origin or module.path}:{line}: the embedded engine (regopy) aborts while compiling this rule; "
            "rewrite the rule (avoid `with`, and constructs regopy does not support), or decide this policy on OPA with `--engine opa`"
        )
    return found


class EmbeddedEngine(BaseEngine):
    """regopy behind the engine interface.

    workers: how many interpreter processes decide in parallel (one per core is right).
    cache:   each worker keeps the fact-set and per-rule cache an audit keeps (engines/cached.py,
             engines/rulecache.py: keys from what each rule package reads, local ones included).
    """

    name = "embedded"

    def __init__(self, policy: PolicySet, *, workers: int = 1, cache: bool = False) -> None:
        self.policy = policy
        self.workers = max(1, workers)
        self._pool: list[_Worker | None] = [None] * self.workers
        self._cache = cache

    def deadline_thresholds(self) -> list[float]:
        """The overlay's deadlines (hours), as the policy computes them: a canonical key keeps
        every `hours > deadline` comparison."""
        return self._get_worker(0).deadline_thresholds

    def start(self) -> None:
        """Start (and so compile the policy in) every worker now: a policy that does not compile
        fails here (EngineError), not on the first decision."""
        for slot in range(self.workers):
            self._get_worker(slot)

    def _get_worker(self, slot: int = 0) -> _Worker:
        worker = self._pool[slot]
        if worker is None:
            try:
                worker = self._pool[slot] = _Worker(self.policy, self._cache)
            except StartCrash as exc:
                # Never just "regopy crashed": name the hospital's file and rule that does it.
                culprits = find_start_crash(self.policy) or [
                    "no one module of the hospital's own rules does it alone: remove them one at a time to find the combination, "
                    "or decide this policy on OPA with `--engine opa`"
                ]
                raise EngineError("\n".join([f"embedded engine failed to start: regopy crashed ({exc.why}) compiling the policy"] + culprits)) from None
            except EngineError as exc:
                raise EngineError(with_origins(str(exc), self.policy.modules)) from None
        return worker

    def evaluate_rules(self, requests: list[tuple[dict[str, Any], list[str]]]) -> list[dict[str, Any] | EngineFailure]:
        """For each (input, packages): {package: its value} — "area.rule" for
        data.clinimg.rules.area.rule, "basis" for lib.basis — on the first worker, never cached
        there (engines/rulecache.py caches them)."""
        return self._run_batch(0, [wire_dumps([item, names]) for item, names in requests], rules=True)

    def evaluate_document(self, item: dict[str, Any], segments: list[str]) -> tuple[bool, Any] | EngineFailure:
        """data.<segments> for this input on the first worker (engines/_worker.py: "document")."""
        worker = self._get_worker(0)
        reply = worker.decide(wire_dumps({"document": [item, segments]}))
        if reply is None:  # (a crash costs this request only: the next one gets a fresh worker)
            self._pool[0] = None
            return EngineFailure(f"the embedded engine crashed on this input: {worker.death()}")
        [answer] = reply
        if "error" in answer:
            return EngineFailure(with_origins(answer["error"], self.policy.modules))
        return ("ok" in answer), answer.get("ok")

    def _run_batch(self, slot: int, items: list[str], rules: bool = False) -> list[Decision | EngineFailure]:
        worker = self._get_worker(slot)
        batch = "[" + ",".join(items) + "]"
        replies = worker.decide('{"rules":' + batch + "}" if rules else batch)
        if replies is None:
            self._pool[slot] = None
            why = worker.death()
            if len(items) == 1:
                return [EngineFailure(f"the embedded engine crashed on this input: {why}")]
            # Find the input(s) that crash it: each alone, on a fresh worker.
            return [r for item in items for r in self._run_batch(slot, [item], rules)]
        return [r["ok"] if "ok" in r else EngineFailure(with_origins(r.get("error", "unknown engine error"), self.policy.modules)) for r in replies]

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        encoded = [json.dumps(item, ensure_ascii=False) for item in inputs]
        results: list[Decision | EngineFailure | None] = [None] * len(encoded)
        # Text that cannot be encoded (a lone surrogate: the readers refuse it, but a library
        # caller may not) would fail the write to the worker and look like a hung worker: it is
        # that input's engine error at once, and never reaches the worker.
        unsendable = [i for i, text in enumerate(encoded) if not text.isascii() and not _encodable(text)]
        for i in unsendable:
            results[i] = EngineFailure("the input holds text that is not valid Unicode (a lone surrogate); not decided")
            encoded[i] = "null"
        chunks = [list(range(i, min(i + BATCH, len(encoded)))) for i in range(0, len(encoded), BATCH) ]
        chunks = [[i for i in chunk if results[i] is None] for chunk in chunks]
        chunks = [chunk for chunk in chunks if chunk]
        if self.workers == 1 or len(chunks) < 2:
            for chunk in chunks:
                for i, r in zip(chunk, self._run_batch(0, [encoded[i] for i in chunk])):
                    results[i] = r
        else:
            for slot in range(self.workers):  # start them before the threads race to
                self._get_worker(slot)

            def run(slot: int) -> None:
                for chunk in chunks[slot :: self.workers]:
                    for i, r in zip(chunk, self._run_batch(slot, [encoded[i] for i in chunk])):
                        results[i] = r

            run_in_threads([functools.partial(run, slot) for slot in range(self.workers)])
        return [r if r is not None else EngineFailure("not decided") for r in results]

    def cache_stats(self) -> dict[str, int]:
        """{"lookups", "misses", "alive"} summed over this engine's started workers. Call only while
        no decision is running on this engine (the pool lends it out for this)."""
        total = {"lookups": 0, "misses": 0, "alive": 0}
        for worker in self._pool:
            if worker is None or worker.proc.poll() is not None:
                continue
            reply = worker.decide('{"stats":true}')
            if isinstance(reply, dict):
                total["lookups"] += int(reply.get("lookups", 0))
                total["misses"] += int(reply.get("misses", 0))
                total["alive"] += 1
        return total

    def close(self) -> None:
        for slot, worker in enumerate(self._pool):
            if worker is not None:
                worker.close()
                self._pool[slot] = None

    def __enter__(self) -> "EmbeddedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
