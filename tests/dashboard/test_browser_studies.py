"""The study store in a real browser (headless Chromium): a review survives a ``kill -9`` of the
server and a new browser session; two sessions on different studies never see each other's data,
and on the same study the second sees the first's changes (last writer wins, both in the trail)."""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from dashboard import browser
from tests.dashboard.test_browser import _body, _click_key, require_chromium
from tests.dashboard.test_browser import _open_tab as _open_tab_once

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_ok():
    require_chromium()


@pytest.fixture(scope="module")
def cuts(mitdb_dir, tmp_path_factory) -> Path:
    import wfdb

    out = tmp_path_factory.mktemp("browser_study_cuts")
    for name in ("232", "208"):
        rec = wfdb.rdrecord(str(mitdb_dir / name), sampto=360 * 120, physical=False)
        rec.record_name, rec.file_name = f"b{name}", [f"b{name}.dat"] * rec.n_sig
        rec.wrsamp(write_dir=str(out))
    return out


def _files(cuts: Path, name: str) -> list[Path]:
    return [cuts / f"b{name}.{e}" for e in ("hea", "dat")]


def _env(tmp_path: Path) -> dict:
    empty = tmp_path / "no-samples"
    empty.mkdir(exist_ok=True)
    return {"ECG_DATA_DIR": str(empty), "ECG_STUDY_FILES": str(tmp_path / "studies"), "ECG_STUDY_DB": ""}


def _open(driver, url: str, files: list[Path], reviewer: str) -> None:
    driver.get(url)
    browser.wait_ready(driver, timeout_s=60)
    box = browser.wait_for(driver, lambda d: d.find_elements("css selector", 'input[aria-label="Reviewer"]'), 30,
                           "the reviewer box")[0]
    box.send_keys(reviewer + "\n")
    browser.wait_for(driver, lambda d: d.find_elements("css selector", 'input[aria-label="Reviewer"]')[0]
                     .get_attribute("value") == reviewer, 10, "the reviewer's name")
    time.sleep(0.5)
    browser.upload(driver, files)
    browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the analysed trace")


def _open_tab(driver, label: str) -> None:
    """Open a tab, again if the page was redrawn under the click (a change by the other session
    reruns the whole page, replacing the tab bar)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for attempt in range(3):
        try:
            return _open_tab_once(driver, label)
        except StaleElementReferenceException:
            if attempt == 2:
                raise
            time.sleep(1.0)


def _reviewed(driver) -> int:
    m = re.search(r"([\d,]+) reviewed beats", _body(driver))
    return int(m.group(1).replace(",", "")) if m else -1


def _review_tab(driver) -> None:
    """Open the Review tab once the page is idle; again if a whole-page rerun (another session's
    change being loaded) swallowed the click."""
    for attempt in range(4):
        browser.wait_for(driver, lambda d: not browser.running(d), 60, "the page to finish its run")
        _open_tab(driver, "Review")
        try:
            browser.wait_for(driver, lambda d: _reviewed(d) >= 0, 20, "the review tab")
            return
        except TimeoutError:
            if attempt == 3:
                raise


def _store(tmp_path: Path):
    from ecg_lstm.studies import StudyStore

    return StudyStore(f"sqlite:///{tmp_path / 'studies' / 'studies.sqlite'}", tmp_path / "studies")


def test_review_survives_kill_9_and_a_new_browser(chromium_ok, cuts, tmp_path):
    env = _env(tmp_path)
    with browser.server(env=env) as (url, proc), browser.chromium() as d1:
        _open(d1, url, _files(cuts, "232"), "Night Tech")
        _review_tab(d1)
        assert _reviewed(d1) == 0
        _click_key(d1, "template_as_V")
        browser.wait_for(d1, lambda d: _reviewed(d) > 0, 60, "the relabelled template")
        n = _reviewed(d1)
        _click_key(d1, "review_adapt")
        browser.wait_for(d1, lambda d: "rest of the record adapted" in _body(d), 60, "the adapted labels")
        os.kill(proc.pid, signal.SIGKILL)  # the server dies in the middle of the review
        proc.wait(10)
    trail = _store(tmp_path).audit_trail(1)
    assert list(trail["action"]) == ["study added", "relabel template", "adapt"]
    assert set(trail["who"]) == {"Night Tech"}

    with browser.server(env=env) as (url, _), browser.chromium() as d2:
        d2.get(url + "/studies")
        browser.wait_for(d2, lambda d: "1 study." in _body(d), 60, "the worklist")
        _open(d2, url, _files(cuts, "232"), "Day Tech")
        _review_tab(d2)
        assert _reviewed(d2) == n and "rest of the record adapted" in _body(d2)
        assert browser.errors_on_page(d2) == []


def test_two_browser_sessions(chromium_ok, cuts, tmp_path):
    env = _env(tmp_path)
    with browser.serve(env=env) as url, browser.chromium() as a, browser.chromium() as b:
        _open(a, url, _files(cuts, "232"), "Alice")
        _open(b, url, _files(cuts, "208"), "Bob")
        _review_tab(a)
        _review_tab(b)
        _click_key(a, "template_as_V")
        browser.wait_for(a, lambda d: _reviewed(d) > 0, 60, "Alice's relabelled template")
        n = _reviewed(a)
        # Different studies: Bob's page, run again, holds none of Alice's corrections.
        _open_tab(b, "Events")
        _review_tab(b)
        assert _reviewed(b) == 0
        # The same study: Bob opens 232 (a new page) and finds Alice's corrections; his change reaches her.
        _open(b, url, _files(cuts, "232"), "Bob")
        _review_tab(b)
        browser.wait_for(b, lambda d: _reviewed(d) == n, 60, "Alice's corrections on Bob's page")
        _click_key(b, "review_next")
        _click_key(b, "beat_as_S")
        browser.wait_for(b, lambda d: _reviewed(d) == n + 1, 60, "Bob's relabelled beat")
        _open_tab(a, "Events")
        _review_tab(a)
        browser.wait_for(a, lambda d: "changed in another session (by Bob)" in _body(d), 30, "the note on Alice's page")
        assert browser.errors_on_page(a) == [] and browser.errors_on_page(b) == []
    trail = _store(tmp_path).audit_trail(1)
    assert list(trail["who"]) == ["Alice", "Alice", "Bob"]
