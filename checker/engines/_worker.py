"""Embedded engine worker: one regopy interpreter in its own process.

regopy can segfault (DEVELOPERS.md); running it here means a crash kills this process only, and
the parent reports the one input in hand as an engine error. Protocol on stdin/stdout, one JSON
document a line: first the policy {"modules": [[path, source], …], "data": {…}}, answered by
{"ready": true} or {"error": …}; then an input a line, answered by {"ok": decision} or
{"error": reason}.
"""
from __future__ import annotations

import json
import os
import re
import sys


def main() -> int:
    import regopy

    # The protocol gets a private copy of stdout; fd 1 goes to stderr, because rego-cpp prints
    # its diagnostics straight to fd 1 and would corrupt the replies.
    stdin = sys.stdin
    stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    policy = json.loads(stdin.readline())
    sources = dict((path, source) for path, source in policy["modules"])
    try:
        interpreter = regopy.Interpreter()
        for path, source in policy["modules"]:
            interpreter.add_module(path, source)
        interpreter.add_data(policy["data"])
        thresholds_out = interpreter.query("x = data.clinimg.lib.deadline_thresholds")
        thresholds = json.loads(thresholds_out.binding("x").json()) if thresholds_out.ok() else []
        # Compiled once per process: a bundle with a plan for the entry point.
        bundle = interpreter.build("decision = data.clinimg.decision", [])
    except Exception as exc:  # a compile error: report it, then stop
        stdout.write(json.dumps({"error": "policy does not compile", "problems": rego_problems(exc, sources)}) + "\n")
        stdout.flush()
        return 1
    stdout.write(json.dumps({"ready": True, "deadline_thresholds": thresholds}) + "\n")
    stdout.flush()
    runner = regopy.Interpreter()
    for line in stdin:
        try:
            runner.set_input(json.loads(line))
            out = runner.query_bundle(bundle)
            decision = out.binding("decision") if out.ok() else None
            if decision is None:
                reply = {"error": "the policy gave no decision (data.clinimg.decision is undefined)"}
            else:
                reply = {"ok": json.loads(decision.json())}
        except Exception as exc:
            reply = {"error": f"evaluation failed: {_first_line(exc)}"}
        stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


_ERROR = re.compile(r"\(error \d+:([^|]*)\|(\d+)\|\d+\s*\(errormsg \d+:([^)]*)\)")


def rego_problems(exc: BaseException, sources: dict[str, str]) -> list[str]:
    """regopy's error s-expression as `file:line: message` lines."""
    found = []
    for path, offset, message in _ERROR.findall(str(exc)):
        source = sources.get(path, "")
        line = source.count("\n", 0, int(offset)) + 1 if source else 0
        found.append(f"{path or '<policy>'}:{line}: {message.strip()}")
    return found or [_first_line(exc)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
