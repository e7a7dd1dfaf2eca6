"""CPU cost of one audit partition's pass, without the regopy worker — for comparing two versions.

    python scripts/partition_cost.py LOG [PASSES]

Decides partition 0 of 2 of LOG with one engine, PASSES + 1 times (the first warms the fact-set
cache), and prints the process CPU time of the later passes. The machine's wall times swing by
±20% within minutes; for small steps compare instruction counts instead, which repeat exactly:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out python scripts/partition_cost.py LOG 1
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checker.api import audit_engine, build_policy  # noqa: E402
from checker.audit.reader import LogSet, partition_of  # noqa: E402
from checker.audit.runner import decide_logs  # noqa: E402
from checker.gctuning import tune_for_audit  # noqa: E402
from checker.audit.state import State  # noqa: E402
from checker.audit.store import Store  # noqa: E402


def main() -> int:
    log = sys.argv[1]
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    engine = audit_engine(build_policy(), True)
    tune_for_audit()

    def mine(patient_id: str) -> bool:
        return partition_of(patient_id, 2) == 0

    times = []
    try:
        for run in range(passes + 1):
            with tempfile.TemporaryDirectory() as tmp:
                store = Store(os.path.join(tmp, "state.sqlite"))
                logs = LogSet([log], partition=(0, 2))
                state = State(load_image=store.load_image, owns_patient=mine)
                with open(os.path.join(tmp, "spool"), "wb") as spool:
                    start = time.process_time()
                    decided = decide_logs(logs, store=store, state=state, engine=engine, spool=spool, resolve_as_of=lambda latest: latest, owns_patient=mine)
                    spent = time.process_time() - start
                store.abandon()
                logs.close()
            print(f"pass {run}: {spent:.2f} s CPU, read {decided.counts['read']:,}, {len(decided.findings):,} findings", file=sys.stderr)
            if run:
                times.append(spent)
    finally:
        engine.close()
    if times:
        print(f"median {statistics.median(times):.2f} s CPU a pass (min {min(times):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
