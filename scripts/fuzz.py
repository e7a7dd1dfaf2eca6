"""Fuzz the four entry points — validate, check, audit, serve — with hostile text for a bounded time.

    .venv/bin/python scripts/fuzz.py [--seconds 60] [--seed 1] [--batch 200]

Each round takes a batch of seeded mutations (tests/hostile.py: lone surrogates, NUL, control and
bidi characters, byte order marks, noncharacters — in values, keys and times, escaped or raw) of
the example requests and of a day of the example log, and runs them through

- validate  (checker.api.validate on the batch as a JSON Lines file),
- check     (checker.api.parse_document, then the embedded engine for what is valid),
- audit     (checker.api.audit of that file: every line decided, invalid or duplicate),
- serve     (POST /v1/check to `clinimg serve` on a loopback port),

and counts verdicts. An anomaly is anything that is not a verdict: an exception other than a
one-line CheckerError, an engine error, a 5xx, a count that does not add up, check and serve
disagreeing, validate and audit disagreeing, or the canary value echoed. Exit 1 if any.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from checker import api  # noqa: E402
from checker.engines.base import EngineFailure  # noqa: E402
from checker.engines.embedded import EmbeddedEngine  # noqa: E402
from checker.errors import CheckerError  # noqa: E402
from checker.policy import PolicySet  # noqa: E402
from tests.hostile import CANARY, hostile_lines  # noqa: E402
from tests.serving import running_server  # noqa: E402

EXAMPLES = ROOT / "examples"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop starting rounds after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200, help="documents per entry point per round")
    args = parser.parse_args()

    requests_ = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "requests").glob("*.json"))]
    events = [json.loads(line) for line in (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:200]]
    counts: collections.Counter[str] = collections.Counter()
    classes: collections.Counter[str] = collections.Counter()
    anomalies: list[str] = []
    started = time.monotonic()
    engine = EmbeddedEngine(PolicySet.build(), workers=1)
    rounds = 0
    with running_server(workers=1) as srv, tempfile.TemporaryDirectory(prefix="clinimg-fuzz-") as tmp:
        while time.monotonic() - started < args.seconds:
            seed = args.seed * 1_000_003 + rounds
            rounds += 1
            # check + serve on requests
            batch = list(hostile_lines(requests_, args.batch, seed))
            verdicts: list[bool | None] = []
            for cls, data in batch:
                classes[cls] += 1
                try:
                    api.parse_document("r.json", data.decode("utf-8-sig"), "request")
                    verdicts.append(True)
                except UnicodeDecodeError:
                    verdicts.append(False)
                    counts["check: refused"] += 1
                except CheckerError as exc:
                    verdicts.append(False)
                    counts["check: refused"] += 1
                    if CANARY in str(exc):
                        anomalies.append(f"check echoed the value: {str(exc)[:120]!r}")
                except Exception:
                    verdicts.append(None)
                    anomalies.append("check raised:\n" + traceback.format_exc(limit=3))
            valid = [json.loads(data.decode("utf-8-sig")) for (_, data), ok in zip(batch, verdicts) if ok]
            for decision in engine.decide(valid):
                if isinstance(decision, EngineFailure):
                    anomalies.append(f"check: engine error: {decision.reason}")
                else:
                    counts["check: decided"] += 1
            for (cls, data), ok in zip(batch, verdicts):
                r = requests.post(srv.url + "/v1/check", data=data, timeout=60)
                counts[f"serve: {r.status_code}"] += 1
                if r.status_code >= 500:
                    anomalies.append(f"serve answered {r.status_code} ({cls})")
                elif ok is not None and (r.status_code == 200) != ok:
                    anomalies.append(f"serve ({r.status_code}) and check ({'valid' if ok else 'refused'}) disagree ({cls})")
                if r.status_code != 200 and CANARY in r.text:
                    anomalies.append("serve echoed the value")
            # validate + audit on log lines
            lines = list(hostile_lines(events, args.batch, seed))
            log = pathlib.Path(tmp) / f"round{rounds}.jsonl"
            log.write_bytes(b"".join(data + b"\n" for _, data in lines))
            for cls, _ in lines:
                classes[cls] += 1
            try:
                checked = api.validate([str(log)])
                invalid_by_validate = {int(e.split(":")[1]) for e in checked.errors}
                counts["validate: lines"] += len(lines)
                counts["validate: refused"] += len(invalid_by_validate)
                # odd rounds: with the example overlay (waivers) and own Rego, so inputs reach the
                # engine with their real ids (exact cache keys), and in two processes
                extra = {"policy_config": EXAMPLES / "overlay" / "hospital.yaml", "policy_dirs": [EXAMPLES / "local_rules"], "workers": 2} if rounds % 2 else {"workers": 1}
                report = api.audit([str(log)], progress=False, **extra)
                c = report.counts
                for key in ("read", "decided", "invalid", "duplicate"):
                    counts[f"audit: {key}"] += c[key]
                if c["read"] != len(lines) or c["read"] != c["decided"] + c["invalid"] + c["duplicate"]:
                    anomalies.append(f"audit counts do not add up: {c}")
                if report.engine_errors:
                    anomalies.append(f"audit: {len(report.engine_errors)} engine error(s)")
                if {p["line"] for p in report.invalid} != invalid_by_validate:
                    anomalies.append("audit and validate disagree on which lines are invalid")
                if CANARY in json.dumps(report.invalid):
                    anomalies.append("audit echoed the value")
            except Exception:
                anomalies.append("validate/audit raised:\n" + traceback.format_exc(limit=3))
            log.unlink()
    engine.close()
    elapsed = time.monotonic() - started
    print(f"clinimg fuzz: {rounds} round(s) in {elapsed:.0f} s, seed {args.seed}, {args.batch} documents per entry point a round")
    print("hostile classes: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
    for key in sorted(counts):
        print(f"  {key:<20} {counts[key]:>8,}")
    print(f"anomalies: {len(anomalies)}")
    for line in anomalies[:20]:
        print("  " + line)
    return 1 if anomalies else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
