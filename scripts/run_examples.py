"""`make run`: decide the shipped example requests and audit the example week, through the CLI."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUT = ROOT / "out"


def clinimg(*args: str) -> int:
    print(f"\n$ clinimg {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT).returncode


def main() -> int:
    OUT.mkdir(exist_ok=True)
    expected = {0: "permit", 1: "deny", 3: "escalate"}
    problems = 0
    for request in sorted((EXAMPLES / "requests").glob("*.json")):
        code = clinimg("check", str(request.relative_to(ROOT)))
        problems += code not in expected
        print(f"(exit {code}: {expected.get(code, 'error')})")
    code = clinimg("check", "examples/requests/disallowed_case3_lesion_verbal_consent.json", "--policy-config", "examples/overlay/hospital.yaml")
    problems += code not in expected
    week = EXAMPLES / "logs" / "week.jsonl"
    if week.exists():
        code = clinimg("audit", str(week.relative_to(ROOT)), "--format", "text")
        problems += code not in (0, 1)
        code = clinimg("audit", str(week.relative_to(ROOT)), "--format", "html", "--output", str((OUT / "week-audit.html").relative_to(ROOT)))
        problems += code not in (0, 1)
        print(f"HTML report: {OUT / 'week-audit.html'}")
    print(f"\n{'all examples decided' if not problems else f'{problems} example(s) could not be decided'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
