"""Waivers are reported in the decision: applied, expired, or refused as self-approved."""
from __future__ import annotations

import copy

import pytest
import yaml

from checker.api import decide_one
from checker.cases import CASES_DIR
from checker.policy import PolicySet

BASE = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())["capture"]


@pytest.mark.parametrize(
    "approved_by,expires,status,rules",
    [
        ("privacy-officer-7", "2027-01-01", "applied", []),
        ("privacy-officer-7", "2026-01-01", "expired", ["collection.purpose_required"]),
        ("dr-intern-1", "2027-01-01", "self_approved", ["collection.purpose_required"]),
    ],
)
def test_waiver_status_is_reported(approved_by: str, expires: str, status: str, rules: list[str]) -> None:
    request = copy.deepcopy(BASE)
    request["purposes"] = []
    waiver = {"rule": "collection.purpose_required", "event_id": "e-cap-1", "reason": "trial", "approved_by": approved_by, "expires": expires}
    decision = decide_one(PolicySet.build({"waivers": [waiver]}), request)
    assert [f["rule"] for f in decision["findings"]] == rules
    assert decision["waivers"] == [{"rule": "collection.purpose_required", "event_id": "e-cap-1", "approved_by": approved_by, "status": status}]
