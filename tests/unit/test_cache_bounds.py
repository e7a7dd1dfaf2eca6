"""The per-rule cache is bounded: at its cap it starts over (a varied night's keys are mostly new),
and the report stays the one `--no-cache` gives."""
from __future__ import annotations

import pathlib

import pytest

from checker import api
from checker.engines import rulecache
from checker.loggen import write_log
from checker.reports.audit import AUDIT_REPORTER_BY_NAME


def _report(log: pathlib.Path, cache: bool) -> str:
    report = api.audit([str(log)], workers=1, cache=cache)
    return AUDIT_REPORTER_BY_NAME["json"]().render(report.document())


def test_a_cache_that_starts_over_gives_the_uncached_report(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "diverse.jsonl"
    with open(log, "w") as fh:
        write_log(fh, 300, 5, diverse=True)
    cleared = []
    real_clear = dict.clear

    class CountingDict(dict):
        def clear(self) -> None:
            cleared.append(len(self))
            real_clear(self)

    original_init = rulecache.RuleCache.__init__

    def init(self, rules):  # type: ignore[no-untyped-def]
        original_init(self, rules)
        self._cache = CountingDict()

    monkeypatch.setattr(rulecache.RuleCache, "MAX_ENTRIES", 40)
    monkeypatch.setattr(rulecache.RuleCache, "__init__", init)
    small = _report(log, cache=True)
    assert cleared and max(cleared) == 40  # it did start over, at the cap, more than once
    assert len(cleared) > 3
    assert small == _report(log, cache=False)
