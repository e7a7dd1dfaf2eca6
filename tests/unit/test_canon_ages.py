"""The cache keys' ages (engines/canon.py, Canonicalizer.age_key): every comparison the policies
make on an age — with 18 (lib.is_child) and with the hospital's maturity_assessment_age
(consent.maturity_assessment) — gives the same answer on the canonical age as on the real one."""
from __future__ import annotations

import re

from checker.engines.canon import DEFAULT_MATURITY_ASSESSMENT_AGE, Canonicalizer, maturity_age
from checker.policy import load_modules

AGES = [0, 0.5, 1, 5, 12, 13.9, 14, 15, 15.5, 15.99, 16, 16.01, 17, 17.99, 18, 18.5, 19, 54, 101]


def test_the_default_age_is_lib_regos() -> None:
    lib = next(m.source for m in load_modules() if m.path.endswith("lib/lib.rego"))
    assert re.search(r'"maturity_assessment_age":\s*(\d+)', lib).group(1) == str(DEFAULT_MATURITY_ASSESSMENT_AGE)


def test_every_comparison_the_policies_make_holds_on_the_canonical_age() -> None:
    for threshold in range(0, 19):  # the overlay schema's range
        canon = Canonicalizer([24], threshold)
        for age in AGES:
            key = canon.age_key(age)
            assert (key < 18) == (age < 18), (threshold, age)
            assert (key >= threshold) == (age >= threshold), (threshold, age)


def test_children_on_the_same_side_of_the_age_share_a_key() -> None:
    canon = Canonicalizer([24], 16)
    assert len({canon.age_key(a) for a in (0, 3, 12, 15.5)}) == 1
    assert len({canon.age_key(a) for a in (16, 17, 17.9)}) == 1
    assert len({canon.age_key(a) for a in (18, 40, 99)}) == 1


def test_the_overlay_sets_the_age() -> None:
    assert maturity_age({}) == 16
    assert maturity_age({"maturity_assessment_age": 14}) == 14
    assert maturity_age(None) == 16
