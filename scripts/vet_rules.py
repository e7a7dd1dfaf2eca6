"""Print (or --write) checker/engines/vetted.py: the fingerprints of the Rego definitions reviewed
for engines/canon.py's abstractions.

A rule package whose every reached definition (its own and lib's) is in that list has its cache
key made canonical (ids as placeholders, hours as intervals, ages as child or adult, consents for
other images folded): see engines/rulecache.py. Run this only after reviewing what changed: each
definition must use ids only to compare them for equality, test membership or copy them whole
into a finding's `event_id` (or into text, which is then not cached); hours only compared with a
deadline (lib.deadline_hours); ages only compared (a child's is kept exactly, an adult's as 18:
engines/canon.age_key), never used in arithmetic; consents only through lib's helpers that
match them to the image, read by field name. And decide.rego / entrypoint.rego: engines/rulecache.py's
`combine` must do what they do (it is their logic in Python). `--show-new` lists the definitions not yet in the list.

    python scripts/vet_rules.py --show-new
    python scripts/vet_rules.py --write --exclude access.production --exclude retention.minimum_period
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.engines.reads import analyse, parse_module  # noqa: E402
from checker.engines.rulecache import decide_fingerprint  # noqa: E402
from checker.policy import load_modules  # noqa: E402

# Not vetted, and why (the key of these packages keeps the real values):
EXCLUDED = {
    "access.production": "sorts image ids for its message (placeholders sort differently)",
    "retention.minimum_period": "does arithmetic on the age (child/adult is not enough)",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--show-new", action="store_true")
    args = ap.parse_args()
    sources = [m.source for m in load_modules() if not m.is_test]
    reads = analyse(sources)
    prints: set[str] = set()
    for name, r in reads.items():
        if name not in EXCLUDED:
            prints |= r.fingerprints
    if args.show_new:
        from checker.engines.vetted import VETTED

        for source in sources:
            for d in parse_module(source).definitions:
                if d.fingerprint() not in VETTED:
                    print(f"{d.package}.{d.name}: {d.fingerprint()}")
        return 0
    text = ('"""Fingerprints of the Rego definitions reviewed for engines/canon.py\'s abstractions\n'
            '(written by scripts/vet_rules.py; see engines/rulecache.py). Not vetted: '
            + "; ".join(f"{k} ({v})" for k, v in sorted(EXCLUDED.items())) + '."""\n\n'
            "VETTED = frozenset({\n" + "".join(f'    "{p}",\n' for p in sorted(prints)) + "})\n\n"
            "# decide.rego and the entry point as reviewed: engines/rulecache.combine is their logic.\n"
            f'DECIDE = "{decide_fingerprint(sources)}"\n')
    if args.write:
        (ROOT / "checker" / "engines" / "vetted.py").write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
