"""The embedded engine: regopy (rego-cpp) in worker processes, no server.

Every regopy 1.3.1–1.5.2 can segfault (DEVELOPERS.md). The interpreter therefore lives in a child
process (checker.engines._worker); when it dies, the input in hand becomes an EngineFailure, a new
worker starts, and the next input goes on. The policy is compiled once per worker.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from ..errors import EngineError
from ..policy import PolicySet
from .base import Decision, EngineFailure


class _Worker:
    def __init__(self, policy: PolicySet) -> None:
        env = dict(os.environ)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "checker.engines._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a crash's noise is not for the user's terminal
            env=env,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        hello = {"modules": [[m.path, m.source] for m in policy.modules], "data": policy.data}
        reply = self._roundtrip(json.dumps(hello))
        if reply is None:
            raise EngineError(f"embedded engine failed to start ({self.death()})")
        self.deadline_thresholds: list[float] = list(reply.get("deadline_thresholds") or [])
        if "error" in reply:
            self.close()
            problems = reply.get("problems") or []
            raise EngineError("\n".join([f"embedded engine: {reply['error']}"] + problems))

    def _roundtrip(self, line: str) -> dict[str, Any] | None:
        """Send one line, read one reply; None when the worker died."""
        try:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            return None
        if not answer:
            return None
        return json.loads(answer)

    def decide(self, input_json: str) -> Decision | EngineFailure | None:
        reply = self._roundtrip(input_json)
        if reply is None:
            return None
        if "ok" in reply:
            return reply["ok"]
        return EngineFailure(reply.get("error", "unknown engine error"))

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


class EmbeddedEngine:
    """regopy behind the engine interface.

    workers: how many interpreter processes decide in parallel (one per core is right).
    cache:   decide each distinct canonical fact set once (checker/engines/canon.py) — for audits,
             where a million events hold far fewer distinct questions.
    """

    name = "embedded"

    def __init__(self, policy: PolicySet, *, workers: int = 1, cache: bool = False, cache_size: int = 500_000) -> None:
        self.policy = policy
        self.workers = max(1, workers)
        self._pool: list[_Worker | None] = [None] * self.workers
        self._cache_enabled = cache
        # canonical key -> (decision, whether it mentions a placeholder that needs restoring)
        self._cache: dict[str, tuple[Decision, bool]] = {}
        self._cache_size = cache_size
        self._canon: Any = None
        self.stats = {"decided": 0, "cache_hits": 0, "engine_calls": 0, "crashes": 0}
        # A hospital's own Rego may read any field, so its inputs are only cached verbatim.
        self._exact_keys = any(m.path.startswith("local") for m in policy.modules)
        self._keep_identity = bool((policy.data.get("clinimg", {}).get("config", {}) or {}).get("waivers"))

    def _get_worker(self, slot: int = 0) -> _Worker:
        worker = self._pool[slot]
        if worker is None:
            worker = self._pool[slot] = _Worker(self.policy)
        return worker

    def _decide_one(self, slot: int, input_json: str) -> Decision | EngineFailure:
        worker = self._get_worker(slot)
        self.stats["engine_calls"] += 1
        result = worker.decide(input_json)
        if result is None:  # the worker died on this input: it alone is lost, reported
            self.stats["crashes"] += 1
            self._pool[slot] = None
            return EngineFailure(f"the embedded engine crashed on this input: {worker.death()}")
        return result

    def _decide_many(self, lines: list[str]) -> list[Decision | EngineFailure]:
        if self.workers == 1 or len(lines) < 2 * self.workers:
            return [self._decide_one(0, line) for line in lines]
        import threading

        for slot in range(self.workers):  # start them before the threads race to
            self._get_worker(slot)
        results: list[Decision | EngineFailure | None] = [None] * len(lines)
        errors: list[BaseException] = []

        def run(slot: int) -> None:
            try:
                for i in range(slot, len(lines), self.workers):
                    results[i] = self._decide_one(slot, lines[i])
            except BaseException as exc:  # pragma: no cover - surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return [r if r is not None else EngineFailure("not decided") for r in results]

    def _canonicalizer(self) -> Any:
        if self._canon is None:
            from .canon import Canonicalizer

            thresholds = self._get_worker(0).deadline_thresholds
            self._canon = Canonicalizer(thresholds, keep_identity=self._keep_identity)
        return self._canon

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        self.stats["decided"] += len(inputs)
        if not self._cache_enabled:
            return self._decide_many([json.dumps(item, ensure_ascii=False) for item in inputs])
        from .canon import restore

        keyed: list[tuple[str, list[str]]] = []
        if self._exact_keys:
            keyed = [(json.dumps(item, sort_keys=True, ensure_ascii=False), []) for item in inputs]
        else:
            canon = self._canonicalizer()
            keyed = [canon.canonical(item) for item in inputs]
        missing = list(dict.fromkeys(key for key, _ in keyed if key not in self._cache))
        fresh = dict(zip(missing, self._decide_many(missing)))
        out: list[Decision | EngineFailure] = []
        for key, originals in keyed:
            cached = self._cache.get(key)
            if cached is not None:
                self.stats["cache_hits"] += 1
                decision, has_placeholders = cached
            else:
                decision = fresh[key]
                if isinstance(decision, EngineFailure):
                    out.append(decision)
                    continue
                has_placeholders = "\u27e6" in json.dumps(decision, ensure_ascii=False)
                if len(self._cache) < self._cache_size:
                    self._cache[key] = (decision, has_placeholders)
            # Without placeholders the decision is the same for every input of this key (shared, read-only).
            out.append(restore(decision, originals) if has_placeholders else decision)
        return out

    def close(self) -> None:
        for slot, worker in enumerate(self._pool):
            if worker is not None:
                worker.close()
                self._pool[slot] = None

    def __enter__(self) -> "EmbeddedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
