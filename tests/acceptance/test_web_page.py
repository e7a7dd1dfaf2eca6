"""serve's page at / in a real browser (headless Chromium through Selenium, one session for the
module): the guide's case studies answered through the page decide as `clinimg check` does on the
examples (examples/requests/expected.yaml, which test_examples holds the CLI to), and the page's
record text holds the CLI's text of the very request it sent; questions
appear as answers make them matter; the token stays in the tab's sessionStorage; axe-core finds
no accessibility violation; nothing breaks the strict CSP (a violation is a console error)."""
from __future__ import annotations

import concurrent.futures
import json
import pathlib
import re

import pytest
import requests
import yaml

from tests.browser import answer, chromium, console_problems, desktop, phone
from tests.conftest import EXAMPLES, run_cli
from tests.page_answers import CASES, SAFE_PHONE, VARIANTS
from tests.serving import running_server

TOKEN = "page-test-token"
REQUESTS = EXAMPLES / "requests"


@pytest.fixture(scope="module")
def server():
    with running_server(workers=1, token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _open(driver, server, *, signed_in: bool = True) -> None:
    driver.get(server.url + "/")
    if signed_in:
        driver.execute_script("sessionStorage.setItem('clinimg.token', arguments[0])", TOKEN)
    else:
        driver.execute_script("sessionStorage.clear()")
    driver.get(server.url + "/")
    console_problems(driver)


def _wait_shown(driver, element_id: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, element_id).is_displayed())


def _check(driver) -> dict:
    """Press Check and read what the page shows."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "check").click()
    _wait_shown(driver, "result")
    return {
        "outcome": driver.find_element(By.ID, "outcome").text,
        "rules": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#findings .rule")],
        "obligations": [e.text.strip("()") for e in driver.find_elements(By.CSS_SELECTOR, "#obligations .rule")],
        "summary": driver.find_element(By.ID, "summary").get_attribute("textContent"),
        "request": json.loads(driver.find_element(By.ID, "request-json").get_attribute("textContent")),
        "focused": driver.execute_script("return document.activeElement.id"),
    }


def _words(text: str) -> str:
    # The CLI wraps at 100 columns, also after a hyphen ("de-" / "identified"): wrapping undone.
    return " ".join(re.sub(r"-\n +", "-", text).split())


def _shown(driver) -> set[str]:
    return set(driver.execute_script(
        "return Array.from(document.querySelectorAll('#ask [id^=q-]')).filter(e => !e.closest('[hidden]')).map(e => e.id)"))


def test_page_and_files_are_served_under_a_strict_csp(server) -> None:
    page = requests.get(server.url + "/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")  # no token needed for the page
    for path in ("/", "/static/app.js", "/static/app.css", "/static/favicon.svg"):
        r = requests.get(server.url + path, timeout=10)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
        assert r.headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in csp
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]", re.sub(r"<!--.*?-->|/\*.*?\*/|xmlns=\"[^\"]*\"", "", r.text, flags=re.S)), path  # no other origin (an SVG namespace is a name, not a fetch)
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert requests.get(server.url + "/static/../server.py", timeout=10).status_code == 404
    assert requests.get(server.url + "/static/index.html", timeout=10).status_code == 404
    assert requests.post(server.url + "/v1/check", data=b"{}", timeout=10).status_code == 401  # the API keeps its token


def test_questions_appear_as_the_answers_make_them_matter(browser, server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, server, signed_in=False)
    assert _shown(browser) == {"q-action"}
    # keyboard only: the skip link, then the first choice; Space picks it, Tab goes on to the role
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    first = browser.switch_to.active_element
    assert first.get_attribute("name") == "action", first.get_attribute("outerHTML")[:200]
    assert first.get_attribute("value") == "take"
    first.send_keys(Keys.SPACE)
    first.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "role"
    shown = _shown(browser)
    assert {"q-you", "q-image", "q-take", "q-patient", "q-consent", "q-device"} <= shown
    assert not shown & {"q-share", "q-copy", "q-produce", "q-received", "q-maturity", "q-capacity", "q-emergency", "q-consent-details", "q-approved"}
    # a hidden question is disabled: neither focusable nor sent
    assert not browser.find_element(By.ID, "age").get_attribute("disabled")
    assert browser.find_element(By.CSS_SELECTOR, "[name=maturity]").get_attribute("disabled")

    answer(browser, [("age", "15")])
    shown = _shown(browser)
    assert {"q-maturity", "q-distressed"} <= shown and "q-capacity" not in shown
    answer(browser, [("age", "40")])
    shown = _shown(browser)
    assert "q-capacity" in shown and not shown & {"q-maturity", "q-distressed", "q-emergency"}
    answer(browser, [("capacity", "impaired_temporary")])
    assert "q-emergency" in _shown(browser)
    answer(browser, [("consent", "none")])
    shown = _shown(browser)
    assert "q-capture-legal" in shown and "q-consent-details" not in shown
    answer(browser, [("consent", "granted"), ("consent_purposes", "teaching")])
    shown = _shown(browser)
    assert {"q-consent-details", "q-identifiable-use", "q-informed"} <= shown and "q-capture-legal" not in shown
    assert "q-written-form" not in shown  # the guide alone does not require a signed form
    # showing, not sending: the ways offered change
    answer(browser, [("action", "show")])
    offered = [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "#channels input") if e.is_displayed()]
    assert offered == ["in_person_display", "print"]
    assert {"q-share", "q-features"} <= _shown(browser) and "q-take" not in _shown(browser)
    answer(browser, [("purpose", "research")])
    shown = _shown(browser)
    assert {"q-deidentified", "q-metadata"} <= shown and "q-deid-details" not in shown  # metadata matters, used as de-identified or not
    answer(browser, [("deidentified", "yes")])
    assert "q-deid-details" in _shown(browser)  # and a rare condition, once it is called de-identified
    # a recording's sound: the voice is asked about for a video or audio, never for a photo
    answer(browser, [("modality", "photo")])
    assert "q-voice" not in _shown(browser)
    answer(browser, [("modality", "video")])
    assert "q-voice" in _shown(browser)
    steps = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#ask .card > legend .step") if e.is_displayed()]
    assert steps == [str(n) for n in range(1, len(steps) + 1)]  # the steps shown are numbered 1, 2, 3 …
    assert console_problems(browser) == []


def test_no_decision_is_never_shown_as_one(browser, server) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server)
    answer(browser, CASES["allowed_case6_copy_with_agreement.json"])
    for status, body in ((500, '{"code":"internal_error"}'), (200, '{"outcome":"maybe"}'), (200, "not json")):
        # the service failing (or answering nonsense): the page says there is no decision
        browser.execute_script(
            "window.fetch = function () { return Promise.resolve(new Response(arguments[1], {status: arguments[0]})); }".replace("arguments[1]", repr(body)).replace("arguments[0]", str(status)))
        browser.execute_script("document.getElementById('error').hidden = true")
        browser.find_element(By.ID, "check").click()
        _wait_shown(browser, "error")
        assert browser.find_element(By.ID, "error").text.startswith("No decision"), (status, body)
        assert not browser.find_element(By.ID, "result").is_displayed()
        assert browser.switch_to.active_element.get_attribute("id") == "error"


def test_case_studies_through_the_page_decide_as_the_cli(browser, server, tmp_path: pathlib.Path) -> None:
    expected = yaml.safe_load((REQUESTS / "expected.yaml").read_text())  # what `clinimg check` decides on each example (test_examples)
    expected.update({name: {"outcome": outcome, "findings": rules} for name, (_, rules, outcome) in VARIANTS.items()})
    seen: dict[str, dict] = {}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        cli: dict[str, concurrent.futures.Future] = {}
        for example, answers in [*CASES.items(), *((name, answers) for name, (answers, _, _) in VARIANTS.items())]:
            _open(browser, server)
            answer(browser, answers)
            seen[example] = _check(browser)
            assert console_problems(browser) == [], example
            assert seen[example]["focused"] == "outcome", example  # focus moves to the answer
            # the CLI on the very request the page sent, while the browser answers the next case
            request_file = tmp_path / f"request-{len(cli)}.json"
            request_file.write_text(json.dumps(seen[example]["request"]))
            cli[example] = pool.submit(run_cli, "check", str(request_file))
        for example, got in seen.items():
            want = expected[example]
            assert got["rules"] == want["findings"], example
            assert got["obligations"] == want.get("obligations", []), example
            text = cli[example].result()
            assert text.code == {"permit": 0, "deny": 1, "escalate": 3}[want["outcome"]], (example, text.err)
            assert got["outcome"] == text.out.splitlines()[0], example
            # the record text holds the CLI's whole text report of that request (wrapping aside)
            assert _words(text.out) in _words(got["summary"]), example
    # the page fills the bookkeeping itself: valid ids and times, nobody's name
    for got in seen.values():
        req = got["request"]
        assert req["schema_version"] == "1" and re.fullmatch(r"web-[0-9a-f]{24}", req["event_id"])
        assert req["facility"] == "clinimg-web" and req["actor"]["id"] == "page-user" and req["patient"]["id"] == "page-patient"
    assert len({got["request"]["event_id"] for got in seen.values()}) == len(seen)


def test_sign_in_keeps_the_token_in_the_tab_and_never_in_a_url(browser, server) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server, signed_in=False)
    answer(browser, CASES["allowed_case6_copy_with_agreement.json"])
    browser.find_element(By.ID, "check").click()
    _wait_shown(browser, "signin")  # the server said 401: the page asks for the token
    assert browser.switch_to.active_element.get_attribute("id") == "signin-title"
    assert not browser.find_element(By.ID, "result").is_displayed()
    browser.find_element(By.ID, "token").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    _wait_shown(browser, "signin-error")
    assert "not accepted" in browser.find_element(By.ID, "signin-error").text
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    _wait_shown(browser, "result")
    assert browser.find_element(By.ID, "outcome").text.startswith("PERMIT")
    assert browser.execute_script("return sessionStorage.getItem('clinimg.token')") == TOKEN
    assert browser.execute_script("return localStorage.length") == 0
    assert TOKEN not in browser.current_url and browser.current_url == server.url + "/"
    assert not browser.find_element(By.ID, "signin").is_displayed() and browser.find_element(By.ID, "session").is_displayed()
    browser.find_element(By.ID, "signout").click()
    assert browser.execute_script("return sessionStorage.getItem('clinimg.token')") is None
    assert console_problems(browser) == [] or all("401" in e["message"] for e in console_problems(browser))


def test_no_accessibility_violations_at_phone_and_desktop_widths(browser, server) -> None:
    from selenium.webdriver.common.by import By
    from selenium_axe_python import Axe

    axe = Axe(browser)
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}

    def violations() -> list[str]:
        axe.inject()  # through WebDriver, not the page: the page's CSP does not apply
        found = axe.run(options=options)["violations"]
        return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]

    try:
        for size in ("phone", "desktop"):
            phone(browser) if size == "phone" else desktop(browser)
            _open(browser, server, signed_in=False)
            assert violations() == [], (size, "empty page")
            # every kind of question and a deny with findings and the record text
            answer(browser, CASES["disallowed_case2_show_from_phone.json"])
            browser.find_element(By.ID, "check").click()
            _wait_shown(browser, "signin")
            assert violations() == [], (size, "sign-in")
            browser.find_element(By.ID, "token").send_keys(TOKEN)
            browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
            _wait_shown(browser, "result")
            assert violations() == [], (size, "answered")
            assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), size
            # the device questions too, with the answer that needs approval hidden by default
            answer(browser, [("action", "take"), *SAFE_PHONE])
            assert violations() == [], (size, "capture")
    finally:
        desktop(browser)


def test_behind_a_proxy_that_adds_the_header_nobody_signs_in(browser, server) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server, signed_in=False)
    # what the intranet proxy does (README): every request reaches serve with the bearer token
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {TOKEN}"}})
    try:
        answer(browser, CASES["disallowed_case6_copy_without_agreement.json"])
        got = _check(browser)
        assert got["outcome"].startswith("DENY") and got["rules"] == ["patient_provided.owner_agreement"]
        assert not browser.find_element(By.ID, "signin").is_displayed()
        assert browser.execute_script("return sessionStorage.getItem('clinimg.token')") is None
    finally:
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
        browser.execute_cdp_cmd("Network.disable", {})
