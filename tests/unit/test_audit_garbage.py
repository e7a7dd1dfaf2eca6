"""An audit's pass leaves no reference cycles behind. The CLI and the partitions run the cyclic
collector seldom (checker/gctuning.py: its full collection practically never), so whatever
garbage a decision left in a cycle stayed for the whole run: the per-rule cache's `unrestore`,
a nested function calling itself, made one cycle a miss, and a million-line varied night's
partitions grew by hundreds of MB. Reference counting alone must free what a line used."""
from __future__ import annotations

import gc
import pathlib

import pytest

from checker import api
from checker.loggen import write_log, write_overlay

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("customised", [False, True], ids=["shipped", "own rules and waivers"])
def test_an_audit_of_a_varied_log_leaves_no_reference_cycles(tmp_path: pathlib.Path, customised: bool) -> None:
    log = tmp_path / "diverse.jsonl"
    with open(log, "w") as fh:
        gen = write_log(fh, 300, 5, diverse=True)
    options: dict = {}
    if customised:
        write_overlay(str(tmp_path / "overlay.yaml"), gen)
        options = {"policy_config": tmp_path / "overlay.yaml", "policy_dirs": [ROOT / "examples" / "local_rules"]}
    api.audit([str(log)], workers=1, **options)  # (modules imported and first-use tables built once)
    gc.collect()
    gc.disable()
    try:
        report = api.audit([str(log)], workers=1, state=str(tmp_path / "night.sqlite"), **options)
        left = gc.collect()
    finally:
        gc.enable()
    assert report.counts["decided"] > 250
    assert left == 0, f"{left} objects were freed only by the cyclic collector"
