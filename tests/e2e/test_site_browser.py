"""The published site in a real browser: the distribution's headless Chromium, driven by
selenium through the distribution's chromedriver (nothing is downloaded: selenium's driver
manager is made to fail if anything calls it).

The site is served by an HTTP server on 127.0.0.1 inside the test. The reader opens the
index, clicks through to a figure and to the claim in force, at 1280 px and at 375 px;
the console must stay free of errors, no request may leave the site, and the body must
not scroll sideways on the phone. Screenshots are kept under tests/artifacts/browser (or
$TALLY_TEST_ARTIFACTS), printed at the start of the test.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from published_site import BODIES, HOSTILE_QUOTE, REPORTS, Published, published_site

from tally.projections.publish.site.paths import figure_page
from tally.projections.publish.site.render import shown

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("TALLY_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[1] / "artifacts" / "browser"))
WIDTHS = (1280, 375)

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"NO BROWSER TEST: {CHROMIUM} or {CHROMEDRIVER} is missing; install the "
                "Debian packages 'chromium' and 'chromium-driver' (.ci/run does)",
                allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.selenium_manager import SeleniumManager  # noqa: E402


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    yield from published_site(tmp_path_factory)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1 (a free port), stopped when the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _no_driver_download(*_: Any, **__: Any) -> None:
    raise AssertionError("selenium's driver manager ran: it may download a browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SeleniumManager, "binary_paths", _no_driver_download)
        patch.setenv("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-default-apps", "--disable-sync", "--window-size=1280,900"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                                  options=options)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


def _width(driver: Any, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})


def _requests(driver: Any) -> list[str]:
    """The URLs the browser asked for since the last call (Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _check_page(driver: Any, base: str, name: str, width: int) -> None:
    """What every page must do: load only from the site, log no error, run no script,
    and (on a phone) not make the body scroll sideways. Saves a full-page screenshot."""
    requests = _requests(driver)
    assert requests, "the performance log recorded no request"
    assert all(url.startswith(base) for url in requests), requests
    assert _errors(driver) == []
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - reading it is the check
    sizes = driver.execute_script(
        "const d = document.documentElement;"
        "return [d.scrollWidth, d.clientWidth, document.body.scrollWidth, d.scrollHeight];")
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[1], (name, width, sizes)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(sizes[3], 6000), "deviceScaleFactor": 1,
        "mobile": width < 600})
    driver.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
    _width(driver, width)


def test_a_reader_clicks_from_the_index_to_a_figure_and_its_claim(
        browser: Any, published: Published) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {ARTIFACTS}", file=sys.stderr)
    show = published.model.show(BODIES)
    assert show.claim is not None and show.value is not None and show.as_of is not None
    in_force = show.claim.claim_id
    assert in_force == published.claims["hostile"]  # the latest as_of: its quote is hostile
    kinds = {label: published.claims[label] for label, r in REPORTS.items() if r[0] == BODIES}
    with serving(published.directory) as base:
        for width in WIDTHS:
            _width(browser, width)
            _requests(browser), _errors(browser)  # start both logs afresh
            browser.get(base + "index.html")
            assert browser.title.startswith("Figures")
            _check_page(browser, base, "index", width)

            browser.find_element(By.LINK_TEXT, BODIES).click()
            assert browser.current_url == base + figure_page(BODIES)
            headline = browser.find_element(By.ID, "value-in-force").text
            assert headline.startswith(f"{show.value.written} bodies as of {show.as_of.text}")
            chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
            assert chart.is_displayed() and chart.size["width"] <= width
            marks = chart.find_elements(By.CSS_SELECTOR, "g.mark")
            assert {m.get_attribute("data-claim") for m in marks} == set(kinds.values())
            for kind, element in {"at_least": "path.arrow", "more_than": "circle.dot.open",
                                  "at_most": "path.arrow", "fewer_than": "circle.dot.open",
                                  "about": "rect.band", "range": "rect.bar",
                                  "exact": "circle.dot", "retracted": "path.cross",
                                  "corrected": "circle.reported"}.items():
                found = chart.find_elements(
                    By.CSS_SELECTOR, f'g.mark[data-claim="{kinds[kind]}"] {element}')
                assert len(found) == 1, kind
            assert not chart.find_elements(
                By.CSS_SELECTOR, f'g.mark[data-claim="{kinds["retracted"]}"] .dot')
            ring = chart.find_elements(By.CSS_SELECTOR, f'g.in-force[data-claim="{in_force}"]')
            assert len(ring) == 1
            _check_page(browser, base, "figure", width)

            box = browser.find_element(By.CSS_SELECTOR, "section.in-force-box")
            box.find_element(By.PARTIAL_LINK_TEXT, in_force[:12]).click()
            assert browser.current_url.endswith(f"claims/{in_force}.html")
            assert browser.find_element(By.ID, "quote").text == shown(HOSTILE_QUOTE).strip()
            assert browser.find_element(By.ID, "signature-status").text.startswith("✓ valid")
            command = browser.find_element(By.ID, "verify-command").text
            assert command.startswith(f"tally verify-proof {in_force}.tlog-proof")
            _check_page(browser, base, "claim", width)


def test_the_site_reads_from_file_urls_with_its_style_and_no_error(
        browser: Any, published: Published) -> None:
    _width(browser, 1280)
    _requests(browser), _errors(browser)
    browser.get((published.directory / figure_page(BODIES)).as_uri())
    requests = _requests(browser)
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert _errors(browser) == []
    # the stylesheet applied (Content-Security-Policy 'self' lets it load from file://)
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart").size["width"] <= 720
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('.in-force-box')).borderLeftWidth"
    ) == "4px"
