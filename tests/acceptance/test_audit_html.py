"""The audit's HTML report in a real browser (headless Chromium through Selenium): it renders with
no console error (a CSP violation is one), its summary links land on their sections, and hostile
input stays text. Skipped, with the reason, when Chromium or its driver cannot be had (`make test`
installs Debian's chromium and chromium-driver when it may)."""
from __future__ import annotations

import json
import pathlib
import re

import pytest

from tests.browser import chromium, console_problems
from tests.conftest import EXAMPLES, run_cli

WEEK = EXAMPLES / "logs" / "week.jsonl"


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _open(driver, page: pathlib.Path) -> list[dict]:
    console_problems(driver)  # drop what an earlier page logged
    driver.get(page.as_uri())
    return console_problems(driver)


def _two_nights(tmp_path: pathlib.Path, *extra: str) -> pathlib.Path:
    lines = WEEK.read_text().splitlines()
    state = str(tmp_path / "state.sqlite")
    for n, part in enumerate((lines[:200], lines[200:]), start=1):
        log = tmp_path / f"night{n}.jsonl"
        log.write_text("\n".join(part) + "\n")
        page = tmp_path / f"night{n}.html"
        result = run_cli("audit", str(log), "--state", state, "--format", "html", "--output", str(page), *extra)
        assert result.code == 1, result.err
    return page


def test_renders_without_console_errors_and_shows_what_an_officer_needs(browser, tmp_path: pathlib.Path) -> None:
    from selenium.webdriver.common.by import By

    page = _two_nights(tmp_path)
    assert _open(browser, page) == []
    header = browser.find_element(By.TAG_NAME, "header").text
    assert "run 2" in header and "UTC+11:00 (the log's offset)" in header and "deny: 7" in header
    assert "2026-11-22 08:33" in header  # as-of 2026-11-21T21:33:35Z in the log's +11:00
    # the trend: one bar per run of the store, each a stack by effect
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#trend + svg > text")]
    assert "1" in labels and "2" in labels
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg rect")) >= 2
    # who must act: most urgent first; each finding's event time shown
    act = browser.find_element(By.ID, "act")
    assert act.is_displayed()
    assert "registrar-cs4" in browser.find_element(By.CSS_SELECTOR, "section.card").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#by-rule ~ section table tbody tr")
    assert rows and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", r.find_element(By.TAG_NAME, "td").text) for r in rows)
    # the remedy once per rule, not per row
    section = browser.find_element(By.CSS_SELECTOR, "section[id^='rule-storage.transfer_to_record']")
    assert len(section.find_elements(By.CSS_SELECTOR, "p.remedy")) == 1 and len(section.find_elements(By.CSS_SELECTOR, "tbody tr")) == 2


def test_every_summary_link_lands_on_its_section(browser, tmp_path: pathlib.Path) -> None:
    from selenium.webdriver.common.by import By

    page = _two_nights(tmp_path)
    _open(browser, page)
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "section.summary a")]
    assert len(hrefs) >= 6 + 1 + 4  # rules, facilities, roles of night 2
    for href in hrefs:
        browser.get(page.as_uri())
        link = browser.find_element(By.CSS_SELECTOR, f"section.summary a[href='#{href.split('#', 1)[1]}']")
        link.click()
        target = browser.execute_script("return document.querySelector(':target')")
        assert target is not None, href
        assert target.get_attribute("id") == href.split("#", 1)[1]
        top = browser.execute_script("return arguments[0].getBoundingClientRect().top", target)
        assert -2 <= top < browser.execute_script("return window.innerHeight"), href
        assert link.text in target.text  # the section is that rule's, facility's or role's


def test_hostile_input_stays_text(browser, tmp_path: pathlib.Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    event = next(json.loads(line) for line in WEEK.read_text().splitlines() if '"cs1-film"' in line)
    hostile = {
        "facility": "ward<script>document.title='owned'</script>",
        "actor_id": "\"><img src=x onerror=alert(1)>",
        "event_id": "e</table><h1 id=act>x</h1>",
    }
    event["facility"] = hostile["facility"]
    event["actor"]["id"] = hostile["actor_id"]
    event["event_id"] = hostile["event_id"]
    log = tmp_path / "evil.jsonl"
    log.write_text(json.dumps(event) + "\n")
    page = tmp_path / "evil.html"
    assert run_cli("audit", str(log), "--format", "html", "--output", str(page)).code == 1
    assert _open(browser, page) == []  # an injected <img> or <script> would break the CSP: an error
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.title.startswith("clinimg audit") and not browser.find_elements(By.TAG_NAME, "img")
    assert not browser.find_elements(By.TAG_NAME, "script") and len(browser.find_elements(By.ID, "act")) == 1
    body = browser.find_element(By.TAG_NAME, "body").text
    for value in hostile.values():
        assert value in body
    # the summary links still land on the hostile facility's and actor's sections
    link = browser.find_element(By.CSS_SELECTOR, "section.summary a[href^='#facility-']")
    link.click()
    assert hostile["facility"] in browser.execute_script("return document.querySelector(':target').textContent")


def test_hospital_time_zone_from_the_overlay(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text("timezone: Australia/Perth\n")
    page = tmp_path / "week.html"
    assert run_cli("audit", str(WEEK), "--format", "html", "--output", str(page), "--policy-config", str(overlay)).code == 1
    text = page.read_text()
    assert "<dd>Australia/Perth</dd>" in text and "2026-11-22 05:33 AWST" in text  # 21:33:35Z in +08:00
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Mars/Olympus\n")
    result = run_cli("audit", str(WEEK), "--policy-config", str(bad))
    assert result.code == 2 and "$.timezone" in result.err and "Mars" not in result.err
