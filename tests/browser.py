"""Headless Chromium through Selenium for the browser tests (the audit's HTML report, serve's
page). Debian's `chromium` and `chromium-driver` (installed by `make browser`, part of `make
test`); without them the tests skip and say why."""
from __future__ import annotations

import contextlib
import shutil
from typing import Any, Iterator


def find_chromium() -> tuple[str, str] | str:
    """(browser binary, chromedriver), or why they cannot be had."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        return "Chromium or chromedriver not found (Debian: apt-get install chromium chromium-driver; make test does it as root)"
    return binary, driver


@contextlib.contextmanager
def chromium(window: tuple[int, int] = (1280, 900)) -> Iterator[Any]:
    """One headless Chromium session (pytest.skip when none can be started)."""
    import pytest

    found = find_chromium()
    if isinstance(found, str):
        pytest.skip(found)
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={window[0]},{window[1]}"):
        options.add_argument(arg)
    options.binary_location = found[0]
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(found[1]), options=options)
    except WebDriverException as exc:
        pytest.skip(f"headless Chromium did not start: {str(exc).splitlines()[0][:200]}")
    try:
        yield driver
    finally:
        driver.quit()


def console_problems(driver: Any) -> list[dict[str, Any]]:
    """What the page logged at WARNING or worse since the last call (a CSP violation is one)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


# ---------------------------------------------------------------------------------------------
# serve's page (checker/static): answering its questions as a person would, by clicking labels,
# choosing options and typing.


def answer(driver: Any, answers: list[tuple[str, str]]) -> None:
    """Answer the page's questions in order: (control name, value) — a radio or checkbox clicked
    through its label (which fails unless that question is being asked, i.e. shown), a select's
    option chosen, a number typed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    kinds = driver.execute_script(
        "var k = {}; Array.from(document.getElementById('ask').elements).forEach(function (e) {"
        " if (e.name) k[e.name] = e.tagName === 'SELECT' ? 'select' : e.type; }); return k;")
    for name, value in answers:
        kind = kinds[name]
        if kind in ("radio", "checkbox"):
            driver.find_element(By.CSS_SELECTOR, f"#ask label:has(> input[name='{name}'][value='{value}'])").click()
        elif kind == "select":
            Select(driver.find_element(By.CSS_SELECTOR, f"#ask select[name='{name}']")).select_by_value(value)
        else:
            field = driver.find_element(By.CSS_SELECTOR, f"#ask [name='{name}']")
            assert field.is_displayed(), f"{name} is not being asked"
            field.clear()
            field.send_keys(value)


def full_page_png(driver: Any) -> bytes:
    """The whole page (beyond the window), through the DevTools protocol."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    return base64.b64decode(shot["data"])


def phone(driver: Any, width: int = 390, height: int = 844) -> None:
    """Emulate a phone's viewport (CSS pixels, 2x density, touch-sized)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})


def desktop(driver: Any) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
