"""`make bench`: the audit's throughput and memory on a generated log, plus json.loads as yardstick.

    python scripts/bench.py [--events 1000000] [--runs 3]

Three logs of the same size: the plain generated log, a diverse one (checker.loggen --diverse:
the facts rules read vary independently, as across a hospital) and the diverse one customised
(examples/local_rules plus the example overlay with waivers on events of the log). `BENCH_EVENTS`,
`BENCH_RUNS`, `BENCH_ONLY` (e.g. `diverse`) and `BENCH_NO_SERVE=1` make a quick run.

Prints, per run and as medians: events/s end to end (`clinimg audit` in a child process), the
child's peak RSS, and the ratio of the audit's time to the time Python's json module needs just
to parse the same file. Then scripts/bench_serve.py: decisions/s and p50/p99 latency of
`clinimg serve` (POST /v1/check, 4 clients, ~10 s a round).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000")))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="comma-separated: plain, diverse, customised diverse")
    ap.add_argument("--no-serve", action="store_true", default=bool(os.environ.get("BENCH_NO_SERVE")))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from checker.loggen import write_log, write_overlay

    with tempfile.TemporaryDirectory(prefix="clinimg-bench-") as tmp:
        plain = pathlib.Path(tmp) / "plain.jsonl"
        diverse = pathlib.Path(tmp) / "diverse.jsonl"
        overlay = pathlib.Path(tmp) / "overlay.yaml"
        with open(plain, "w") as fh:
            write_log(fh, args.events, args.seed)
        with open(diverse, "w") as fh:
            gen = write_log(fh, args.events, args.seed, diverse=True)
        write_overlay(str(overlay), gen)
        customised = ["--policy-dir", str(ROOT / "examples" / "local_rules"), "--policy-config", str(overlay)]
        # (name, log, extra CLI arguments): the plain log, a hospital's variety, and that variety
        # with the hospital's own rule and an overlay with waivers.
        cases = [("plain", plain, []), ("diverse", diverse, []), ("customised diverse", diverse, customised)]
        if args.only:
            cases = [c for c in cases if c[0] in args.only.split(",")]
        summary = []
        for name, log, extra in cases:
            summary.append((name, *bench_log(name, log, extra, args.runs, pathlib.Path(tmp))))
        print("\nsummary (medians):")
        for name, rate, rss_mb, ratio in summary:
            print(f"  {name:20s} {rate:10,.0f} events/s  peak RSS {rss_mb:5.0f} MB  {ratio:5.1f}x json.loads")
    if args.no_serve:
        return 0
    # Part two: the decision service (clinimg serve), POST /v1/check on loopback.
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_serve

    return bench_serve.main([])


def bench_log(name: str, log: pathlib.Path, extra: list[str], runs: int, tmp: pathlib.Path) -> tuple[float, float, float]:
    """`clinimg audit` of `log` `runs` times: (median events/s, largest peak RSS in MB, median
    ratio of the audit's time to json.loads of the same file)."""
    lines = sum(1 for _ in open(log, "rb"))
    print(f"\n== {name}: {lines:,} lines ({log.stat().st_size / 1e6:.0f} MB){' ' + ' '.join(extra) if extra else ''}")
    t = time.perf_counter()
    with open(log, "rb") as fh:
        for line in fh:
            try:
                json.loads(line)
            except ValueError:
                pass
    parse_s = time.perf_counter() - t
    print(f"json.loads alone: {parse_s:.1f}s ({lines / parse_s:,.0f} lines/s)")
    rates, rss, ratios = [], [], []
    for run in range(runs):
        out = tmp / f"report{run}.json"
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "audit", str(log), "--format", "json", "--output", str(out), *extra],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree_peak = _watch_tree(proc)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - t
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            print(stderr)
            raise SystemExit(2)
        c, findings = _report_counts(out)
        assert c["read"] == c["decided"] + c["invalid"] + c["duplicate"]
        rates.append(lines / wall)
        rss.append(tree_peak / 1024)
        ratios.append(wall / parse_s)
        print(f"run {run + 1}: {wall:.1f}s, {lines / wall:,.0f} events/s, peak RSS {tree_peak / 1024:.0f} MB (all its processes together; "
              f"largest single process so far {usage.ru_maxrss / 1024:.0f} MB), "
              f"{wall / parse_s:.1f}x json.loads; read {c['read']:,} = decided {c['decided']:,} + invalid {c['invalid']:,} + duplicate {c['duplicate']:,}; "
              f"{findings:,} findings")
    print(f"median: {statistics.median(rates):,.0f} events/s, peak RSS {max(rss):.0f} MB (the audit's processes together, largest run), "
          f"{statistics.median(ratios):.1f}x the time of json.loads")
    return statistics.median(rates), max(rss), statistics.median(ratios)


def _report_counts(path: pathlib.Path) -> tuple[dict[str, int], int]:
    """The report's counts and its number of findings, read from its head and tail: a million
    varied lines make a report of ~1 GB, which json.loads would need several GB to hold."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", "replace")
        fh.seek(max(0, path.stat().st_size - (1 << 20)))
        tail = fh.read().decode("utf-8", "replace")
    counts_at = head.index('"counts"')
    counts = json.JSONDecoder().raw_decode(head, head.index("{", counts_at))[0]
    summary_at = tail.rindex('"summary"')
    summary = json.JSONDecoder().raw_decode(tail, tail.index("{", summary_at))[0]
    return counts, sum(summary["by_effect"].values())


def _watch_tree(proc: subprocess.Popen[str]) -> int:
    """Peak of the summed resident memory (kB) of `proc` and all its descendants (the audit's
    partitions and their engine workers), sampled from /proc every 0.25 s until it exits."""
    peak = 0
    while proc.poll() is None:
        total, todo = 0, [proc.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/status") as fh:
                    total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
                with open(f"/proc/{pid}/task/{pid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
            except (OSError, ValueError):
                continue
        peak = max(peak, total)
        time.sleep(0.25)
    return peak


if __name__ == "__main__":
    raise SystemExit(main())
