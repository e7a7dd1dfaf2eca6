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
    name = "embedded"

    def __init__(self, policy: PolicySet) -> None:
        self.policy = policy
        self._worker: _Worker | None = None

    def _get_worker(self) -> _Worker:
        if self._worker is None:
            self._worker = _Worker(self.policy)
        return self._worker

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        results: list[Decision | EngineFailure] = []
        for item in inputs:
            worker = self._get_worker()
            result = worker.decide(json.dumps(item, ensure_ascii=False))
            if result is None:  # the worker died on this input: it alone is lost, reported
                results.append(EngineFailure(f"the embedded engine crashed on this input: {worker.death()}"))
                self._worker = None
            else:
                results.append(result)
        return results

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> "EmbeddedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
