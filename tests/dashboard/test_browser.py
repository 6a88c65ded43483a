"""The dashboard in a real browser: headless Chromium uploads MIT-BIH 100 and the
results appear without any error on the page. A screenshot is saved for a look."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from dashboard import browser

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser


def require_chromium() -> None:
    """Skip, saying what to install, where headless Chromium or selenium is missing."""
    chromium, chromedriver = browser.find_browser()
    if not chromium or not chromedriver:
        pytest.skip("headless Chromium not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
                    "apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")


@pytest.fixture(scope="module")
def driver():
    require_chromium()
    with browser.chromium() as d:
        yield d


def test_upload_record_in_browser(driver, mitdb_dir, tmp_path):
    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    empty = tmp_path / "no-samples"
    empty.mkdir()
    with browser.serve(env={"ECG_DATA_DIR": str(empty)}) as url:
        driver.get(url)
        browser.wait_ready(driver, timeout_s=60)
        assert not browser.errors_on_page(driver)
        browser.upload(driver, [tmp_path / f"100.{e}" for e in ("hea", "dat", "atr")])
        browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the analysed trace")
        # The metric cards' code loads on first use: they may still be placeholders for a moment.
        browser.wait_for(driver, lambda d: "HR mean" in _body(d), timeout_s=30, what="the vitals")
        page = driver.find_element("tag name", "body").text
        shot = tmp_path / "dashboard_upload.png"
        driver.save_screenshot(str(shot))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "dashboard_upload.png")
        assert browser.errors_on_page(driver) == []
        assert "HR mean" in page and "bpm" in page
        assert "100" in page  # the record's name in the overview


# --- one review session, end to end ---------------------------------------------------------

def _click_key(driver, key: str) -> None:
    """Click the button of the Streamlit element with ``key``."""
    btn = browser.wait_for(driver, lambda d: d.find_elements("css selector", f".st-key-{key} button"), 30,
                           f"the {key} button")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", btn)
    browser.wait_for(driver, lambda d: btn.is_enabled(), 30, f"{key} enabled")
    btn.click()


def _open_tab(driver, label: str) -> None:
    tab = browser.wait_for(driver, lambda d: [t for t in d.find_elements("css selector", "[role=tab]")
                                              if t.text.strip() == label], 30, f"the {label} tab")[0]
    # Centred first: at the top of the window the page's navigation bar would take the click.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
    tab.click()


def _body(driver) -> str:
    return driver.find_element("tag name", "body").text


def _shot(driver, out: Path, name: str) -> None:
    driver.save_screenshot(str(out / name))


@pytest.fixture()
def shots(tmp_path) -> Path:
    """Screenshots go to bench/results/review_session/ for a look (and the test's tmp folder)."""
    out = ROOT / "bench" / "results" / "review_session"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _fetch_counter():
    """A loopback HTTP server that counts the requests it gets (it must get none)."""
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def test_review_session_in_browser(driver, mitdb_dir, tmp_path, shots):
    """Open a record, relabel a template, adapt, save the corrections (.cor download), open the
    record again with them; then a record whose lead name is a Markdown image fetches nothing."""
    import numpy as np
    import wfdb

    rec = wfdb.rdrecord(str(mitdb_dir / "232"), sampto=360 * 120, physical=False)
    rec.record_name, rec.file_name = "r232", ["r232.dat"] * rec.n_sig
    rec.wrsamp(write_dir=str(tmp_path))
    files = [tmp_path / f"r232.{e}" for e in ("hea", "dat")]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    empty = tmp_path / "no-samples"
    empty.mkdir()
    with browser.serve(env={"ECG_DATA_DIR": str(empty), "ECG_STUDY_FILES": str(tmp_path / "studies")}) as url:
        driver.get(url)
        browser.wait_ready(driver, timeout_s=60)
        browser.upload(driver, files)
        browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the analysed trace")
        _open_tab(driver, "Review")
        browser.wait_for(driver, lambda d: d.find_elements("css selector", ".st-key-review_grid .main-svg"), 60,
                         "the template grid")
        assert "0 reviewed beats" in _body(driver)
        _shot(driver, shots, "1_review_tab.png")
        # Relabel the first template offered as V: its beats become reviewed.
        _click_key(driver, "template_as_V")
        browser.wait_for(driver, lambda d: "0 reviewed beats" not in _body(d) and " reviewed beats" in _body(d), 60,
                         "the relabelled template")
        _shot(driver, shots, "2_template_relabelled.png")
        _click_key(driver, "review_adapt")
        browser.wait_for(driver, lambda d: "rest of the record adapted" in _body(d), 60, "the adapted labels")
        _shot(driver, shots, "3_adapted.png")
        _click_key(driver, "review_save")
        cor = browser.wait_for(driver, lambda d: [p for p in downloads.glob("*.cor")], 30, "the .cor download")[0]
        ann = wfdb.rdann(str(cor.with_suffix("")), "cor")
        beats = [s for s in ann.symbol if s != '"']  # notes ('"') carry the record's identity and the end mark
        assert len(beats) > 0 and set(beats) == {"V"} and '"' in ann.symbol
        assert browser.errors_on_page(driver) == []

    # Another computer (a study store of its own): the record opened with its .cor file.
    with browser.serve(env={"ECG_DATA_DIR": str(empty), "ECG_STUDY_FILES": str(tmp_path / "elsewhere")}) as other:
        driver.get(other)
        browser.wait_ready(driver, timeout_s=60)
        browser.upload(driver, files + [cor])
        browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the record with its corrections")
        browser.wait_for(driver, lambda d: f"{len(beats)} reviewed beats loaded from" in _body(d), 30,
                         "the note on the loaded corrections")
        _shot(driver, shots, "4_reopened_with_corrections.png")
        assert browser.errors_on_page(driver) == []

    with browser.serve(env={"ECG_DATA_DIR": str(empty)}) as url:

        # Record text is plain text: a lead name holding a Markdown image is not fetched.
        server, hits = _fetch_counter()
        try:
            port = server.server_address[1]
            x = np.sin(np.arange(360 * 60) / 360 * 2 * np.pi * 1.2) ** 40 * 1.2
            bad = f"![x](http://127.0.0.1:{port}/p.png)"
            wfdb.wrsamp("hostile", fs=360, units=["mV"], sig_name=[bad], p_signal=x[:, None], fmt=["16"],
                        comments=[f"<img src=http://127.0.0.1:{port}/c.png> {bad}"], write_dir=str(tmp_path))
            driver.get(url)
            browser.wait_ready(driver, timeout_s=60)
            browser.upload(driver, [tmp_path / "hostile.hea", tmp_path / "hostile.dat"])
            browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the hostile record")
            for tab in ("Review", "Rhythm & HRV", "Live monitor", "Export"):
                _open_tab(driver, tab)
                time.sleep(1.5)
            assert bad in _body(driver) or "![x]" in _body(driver)  # shown, as text
            _shot(driver, shots, "5_markdown_lead_name_as_text.png")
            assert hits == [], hits
        finally:
            server.shutdown()
