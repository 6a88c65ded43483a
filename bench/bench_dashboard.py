"""Dashboard speed through a real browser (headless Chromium + selenium).

Measures, with the dashboard served on a free loopback port:
  * first page after server up: from the server's health endpoint answering to
    the title and the sidebar's upload control drawn in a fresh browser (target
    <= 2 s; the median of 3 fresh servers). The models load after that page.
  * upload -> results: from giving the uploader a 30-min MIT-BIH record's
    .hea/.dat/.atr to the trace drawn and the page idle (target <= 3 s).
    ``cold``: the first upload after the server starts (imports and model loading
    included); ``warm``: another record once the models are loaded (the
    analysis itself is not cached); ``cached``: the same files again.
  * jump to an event: from a click on a row of the event table to the ECG chart
    drawn around the new centre (target <= 1 s). The click itself (selenium's
    pointer actions) is inside the figure.
  * a 24-hour record (the 48 MIT-BIH records joined, as bench_speed.py does):
    from the upload to its first trace drawn (target <= 2 s) and to all results
    (target <= 10 s; a progress bar is expected meanwhile), then a switch of the
    trace to the other lead until the trace of that lead is drawn (target <= 5 s).
  * ``--only upload-memory``: the server's peak memory on a day's upload, as WFDB
    and as a CSV (target <= 1.5 GB).

Figures are printed and written to ``bench/results/dashboard.json``; the last page
is saved as ``bench/results/dashboard_bench.png``.
Usage: python bench/bench_dashboard.py [--data-dir data/mitdb] [--records 208 119] [--jumps 5] [--no-24h]
       python bench/bench_dashboard.py --only first-page   (that figure alone, put into dashboard.json)
       python bench/bench_dashboard.py --only upload-memory [--hours 24]   (server memory on a long upload)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import browser  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UPLOAD_TARGET_S, JUMP_TARGET_S, FIRST_PAGE_TARGET_S = 3.0, 1.0, 2.0
LONG_FIRST_TRACE_TARGET_S, LONG_RESULTS_TARGET_S, LEAD_SWITCH_TARGET_S = 2.0, 10.0, 5.0


def _copy(data_dir: Path, name: str, dest: Path) -> list[Path]:
    out = []
    for ext in ("hea", "dat", "atr"):
        if (data_dir / f"{name}.{ext}").exists():
            shutil.copy(data_dir / f"{name}.{ext}", dest / f"{name}.{ext}")
            out.append(dest / f"{name}.{ext}")
    return out


def time_first_page(env: dict) -> float:
    """Seconds from a fresh server's health endpoint answering to its first page drawn.

    The browser starts before the server (its own start is not the page's), with an empty
    profile: the page's code comes from the server, as on a user's first visit."""
    with browser.chromium() as driver:
        driver.get("about:blank")
        with browser.server(env=env) as (url, _proc):
            t0 = time.perf_counter()
            driver.get(url)
            browser.wait_for(driver, browser.first_page_shown, 120, "the first page")
            dt = time.perf_counter() - t0
            errors = browser.errors_on_page(driver)
            if errors:
                raise RuntimeError(f"error on the first page: {errors[0][:300]}")
    return dt


def first_page(env: dict, servers: int = 3) -> dict:
    """:func:`time_first_page` on ``servers`` fresh servers, one after the other."""
    runs = [round(time_first_page(env), 3) for _ in range(servers)]
    return {"runs": runs, "median": round(statistics.median(runs), 3),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def open_idle(driver, url: str) -> None:
    """A fresh page, once idle. The first page loads the models once drawn; let that finish, as a
    user picking files would (its note on them then goes)."""
    driver.get(url)
    browser.wait_ready(driver)
    time.sleep(1.0)
    browser.wait_for(driver, lambda d: not browser.running(d) and not browser.models_loading(d), 120,
                     "the idle page")


def time_upload(driver, url: str, files: list[Path], name: str) -> float:
    """Fresh page, upload, wait for the trace of this record; seconds."""
    open_idle(driver, url)
    t0 = time.perf_counter()
    browser.upload(driver, files)
    try:
        browser.wait_for(driver, lambda d: _caption(d).startswith(f"upload: {name}") and browser.results_shown(d),
                         180, f"the results of {name}")
    except TimeoutError:
        driver.save_screenshot(str(RESULTS / "dashboard_bench_failed.png"))
        raise
    dt = time.perf_counter() - t0
    errors = browser.errors_on_page(driver)
    if errors:
        raise RuntimeError(f"error on the page after uploading {name}: {errors[0][:300]}")
    return dt


def _caption(driver) -> str:
    els = driver.find_elements("css selector", '[data-testid="stMain"] [data-testid="stCaptionContainer"]')
    return els[0].text.strip() if els else ""


def _centre(driver) -> str:
    els = driver.find_elements("css selector", '.st-key-trace_center_s [data-testid="stSliderThumbValue"]')
    return (els[0].get_attribute("textContent") or "").strip() if els else ""  # hidden: the page shows a clock


def _trace_range(driver):
    """The x range (s) the ECG chart shows now, read from plotly in the page."""
    return driver.execute_script(
        "const p = document.querySelector('.st-key-ecg_chart .js-plotly-plot');"
        "return p && p._fullLayout ? p._fullLayout.xaxis.range : null;")


IN_PAGE_CLOCK = """
window.__jumpDown = null; window.__jumpDone = null;
window.addEventListener('pointerdown', () => { window.__jumpDown = window.__jumpDown || performance.now() },
                        {capture: true, once: true});
const before = JSON.stringify(arguments[0]);
(function poll() {
  const p = document.querySelector('.st-key-ecg_chart .js-plotly-plot');
  const r = p && p._fullLayout ? JSON.stringify(p._fullLayout.xaxis.range) : before;
  if (r !== before) window.__jumpDone = performance.now(); else requestAnimationFrame(poll);
})();
"""


def time_jump(driver, row: int) -> tuple[float | None, str, str, float | None]:
    """Click row ``row`` of the event table (its selection checkbox); seconds until the
    ECG chart shows the new window. Returns (seconds, centre before, centre after, seconds
    from the pointer down to the new range by the page's clock)."""
    from selenium.webdriver.common.action_chains import ActionChains

    table = driver.find_element("css selector", ".st-key-events_table")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", table)
    time.sleep(0.3)
    grid = table.find_element("css selector", "canvas") if table.find_elements("css selector", "canvas") else table
    before, range_before = _centre(driver), _trace_range(driver)
    w, h = grid.size["width"], grid.size["height"]
    # Glide data grid: 35 px header, 35 px rows; the selection checkbox is the first column.
    dx, dy = -w / 2 + 18, -h / 2 + 35 + 17 + 35 * row
    # The page's own clock too: from the pointer going down to the chart's new range, without
    # the WebDriver round trips (a few hundred ms on a loaded machine) that the wall time holds.
    driver.execute_script(IN_PAGE_CLOCK, range_before)
    t0 = time.perf_counter()
    ActionChains(driver).move_to_element_with_offset(grid, int(dx), int(dy)).click().perform()
    def moved(d) -> bool:
        # The slider shows the new centre and the ECG chart is drawn around it.
        centre, shown = _centre(d), _trace_range(d)
        if not shown or shown == range_before:
            return False
        return abs((shown[0] + shown[1]) / 2 - float(centre.split()[0])) <= (shown[1] - shown[0]) / 2

    try:
        browser.wait_for(driver, moved, 10, "the trace at the event")
    except TimeoutError:
        if _centre(driver) == before or _trace_range(driver) == range_before:
            # An event at the same second as the last one, or near the record's start or end
            # (the window is clamped there and stays put): nothing to move.
            return None, before, _centre(driver), None
        driver.save_screenshot(str(RESULTS / "dashboard_bench_failed.png"))
        raise
    dt = time.perf_counter() - t0
    in_page = browser.wait_for(driver, lambda d: d.execute_script(
        "return window.__jumpDone && window.__jumpDown ? window.__jumpDone - window.__jumpDown : null"), 5,
        "the in-page timing")
    return dt, before, _centre(driver), in_page / 1000.0


def _trace_title(driver) -> str | None:
    """The y-axis title of the ECG chart (the lead shown), read from plotly in the page."""
    return driver.execute_script(
        "const p = document.querySelector('.st-key-ecg_chart .js-plotly-plot');"
        "return p && p._fullLayout && p._fullLayout.yaxis.title ? p._fullLayout.yaxis.title.text : null;")


def upload_timed(driver, files: list[Path], name: str, timeout_s: float = 600, on_poll=None) -> tuple[float, float]:
    """Give the uploader ``files`` (record ``name``): seconds to its first trace (a long record's first
    seconds drawn while it is analysed, else the results) and to all results; an error on the page
    is raised. ``on_poll(driver, seconds)`` is called at each look at the page."""
    first = []

    def shown(d) -> bool:
        now = time.perf_counter() - t0
        if on_poll is not None:
            on_poll(d, now)
        done = _caption(d).startswith(f"upload: {name}") and browser.results_shown(d)
        if not first and (done or d.find_elements("css selector", ".st-key-preview_chart .main-svg")):
            first.append(now)
        return done

    t0 = time.perf_counter()
    browser.upload(driver, files)
    try:
        browser.wait_for(driver, shown, timeout_s, f"the results of {name}")
    except TimeoutError:
        driver.save_screenshot(str(RESULTS / "dashboard_bench_failed.png"))
        raise
    results = time.perf_counter() - t0
    errors = browser.errors_on_page(driver)
    if errors:
        raise RuntimeError(f"error on the page after uploading {name}: {errors[0][:300]}")
    return (first[0] if first else results), results


def time_long_record(driver, url: str, files: list[Path], name: str) -> dict:
    """Upload a 24 h record: seconds to its first trace (and whether a progress bar showed),
    then seconds from a click on the other lead to that lead's trace drawn."""
    open_idle(driver, url)
    seen_bar = []

    def bar(d, now: float) -> None:
        if not seen_bar and d.find_elements("css selector", '[data-testid="stProgress"]'):
            seen_bar.append(now)

    first, results = upload_timed(driver, files, name, on_poll=bar)
    browser.wait_for(driver, lambda d: not browser.running(d), 120, "the idle page")
    before = _trace_title(driver) or ""
    buttons = driver.find_elements("css selector", ".st-key-trace_lead button")
    other = next(b for b in buttons if b.text.strip() and not before.startswith(b.text.strip()))
    lead = other.text.strip()
    t1 = time.perf_counter()
    other.click()
    browser.wait_for(driver, lambda d: (_trace_title(d) or "").startswith(lead) and browser.results_shown(d), 120,
                     f"the trace of lead {lead}")
    switch = time.perf_counter() - t1
    driver.save_screenshot(str(RESULTS / "dashboard_bench_24h.png"))
    return {"record": name, "first_trace": round(first, 3), "results": round(results, 3),
            "lead_switch": round(switch, 3),
            "lead_switched_to": lead, "progress_bar_seen": bool(seen_bar),
            "progress_bar_seen_from_s": round(seen_bar[0], 2) if seen_bar else None}


def analysis_only(data_dir: Path, name: str) -> float:
    """Seconds of read + analyze_record for the record in this process (models loaded first):
    the part of the upload time that is the library's, not the page's."""
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.classifier.predict import BeatClassifier
    from ecg_lstm.errors import ECGError
    from ecg_lstm.io.upload import read_record_from_files
    from ecg_lstm.rhythm.predict import RhythmClassifier

    loaded = []
    for cls in (BeatClassifier, RhythmClassifier):
        try:
            loaded.append(cls.load())
        except ECGError:  # as in the dashboard: a model that cannot load is skipped
            loaded.append(None)
    clf, rhythm = loaded
    files = {p.name: p.read_bytes() for p in data_dir.glob(f"{name}.*") if p.suffix in (".hea", ".dat", ".atr")}
    t0 = time.perf_counter()
    analyze_record(read_record_from_files(files), classifier=clf, rhythm=rhythm)
    return time.perf_counter() - t0


def _memory_mb(pid: int) -> dict:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {k: round(int(fields[f].split()[0]) / 1024) for k, f in (("rss_mb", "VmRSS"), ("peak_mb", "VmHWM"))}


def upload_memory(data_dir: Path, hours: float = 24.0) -> dict:
    """A ``hours``-long record (``bench/holter_records.py``) uploaded to a fresh server, once as WFDB
    (.hea + .dat) and once as a CSV of its two leads (rate typed in the sampling-rate box): seconds to
    the first trace and to all results, and the server's resident memory before, at its peak and after
    (``/proc/<pid>/status``; the server is one process). Target: peak <= 1.5 GB for 24 h."""
    from bench.holter_records import csv_copy, join_records

    out = {}
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as empty:
        stem = join_records(data_dir, Path(tmp), hours=hours)
        csv = csv_copy(stem, Path(tmp) / f"{stem.name}.csv")
        cases = {"wfdb": ([stem.with_suffix(".hea"), stem.with_suffix(".dat")], stem.name, None),
                 "csv": ([csv], csv.stem, 360)}
        for kind, (files, name, fs) in cases.items():
            env = {"ECG_DATA_DIR": empty, "ECG_STUDY_FILES": str(Path(tmp) / f"studies-{kind}")}
            with browser.server(env=env) as (url, proc), browser.chromium() as driver:
                open_idle(driver, url)
                before = _memory_mb(proc.pid)
                if fs:
                    box = driver.find_element("css selector", ".st-key-csv_fs input")
                    box.send_keys(str(fs))
                    box.send_keys("\n")
                    time.sleep(1.0)
                    browser.wait_for(driver, lambda d: not browser.running(d), 60, "the rate typed in")
                first, results = upload_timed(driver, files, name)
                browser.wait_for(driver, lambda d: not browser.running(d), 120, "the idle page")
                after = _memory_mb(proc.pid)
                size = sum(f.stat().st_size for f in files)
                out[kind] = {"upload_mb": round(size / 2**20), "first_trace_s": round(first, 2),
                             "results_s": round(results, 2), "rss_before_mb": before["rss_mb"],
                             "peak_mb": after["peak_mb"], "rss_after_mb": after["rss_mb"]}
    return {"hours": hours, **out, "target_peak_mb": 1536}


def only_upload_memory(data_dir: Path, hours: float) -> int:
    """``--only upload-memory``: the server's memory on a long upload, put into dashboard.json."""
    path = RESULTS / "dashboard.json"
    out = json.loads(path.read_text()) if path.exists() else {}
    out["upload_memory"] = m = upload_memory(data_dir, hours)
    out["upload_memory"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
    path.write_text(json.dumps(out, indent=2))
    for kind in ("wfdb", "csv"):
        r = m[kind]
        print(f"{hours:g} h upload as {kind.upper()} ({r['upload_mb']} MB): first trace {r['first_trace_s']} s, "
              f"all results {r['results_s']} s; server memory {r['rss_before_mb']} MB before, peak "
              f"{r['peak_mb']} MB (target <= {m['target_peak_mb']} MB), {r['rss_after_mb']} MB after")
    print(f"written {path}")
    return 0


def add_first_page(out: dict, env: dict) -> None:
    """Measure the first page (:func:`first_page`) into ``out``: figures, target and pass."""
    out["first_page_s"] = first_page(env)
    out.setdefault("targets_s", {})["first_page"] = FIRST_PAGE_TARGET_S
    out.setdefault("pass", {})["first_page"] = out["first_page_s"]["median"] <= FIRST_PAGE_TARGET_S


def print_first_page(fp: dict) -> None:
    print(f"first page after server up: median {fp['median']:.2f} s over {len(fp['runs'])} fresh servers "
          f"{fp['runs']} (target <= {FIRST_PAGE_TARGET_S:g} s); load average {fp['load_average']}")


def only_first_page(data_dir: Path) -> int:
    """``--only first-page``: that figure alone, put into dashboard.json beside the others."""
    path = RESULTS / "dashboard.json"
    out = json.loads(path.read_text()) if path.exists() else {}
    add_first_page(out, {"ECG_DATA_DIR": str(data_dir)})
    path.write_text(json.dumps(out, indent=2))
    print_first_page(out["first_page_s"])
    print(f"written {path}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT / "data" / "mitdb"))
    p.add_argument("--records", nargs=2, default=["208", "119"], help="two 30-min records: cold then warm")
    p.add_argument("--jumps", type=int, default=5)
    p.add_argument("--no-24h", action="store_true", help="skip the 24-hour record")
    p.add_argument("--hours", type=float, default=24.0, help="length of the record for --only upload-memory")
    p.add_argument("--only", choices=["first-page", "upload-memory"],
                   help="measure only this (quick); the other figures in dashboard.json stay as they were")
    args = p.parse_args()
    data_dir = Path(args.data_dir)
    chromium, chromedriver = browser.find_browser()
    if not chromium or not chromedriver:
        print("headless Chromium not installed (apt-get install chromium chromium-driver)", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.only == "first-page":
        return only_first_page(data_dir)
    if args.only == "upload-memory":
        return only_upload_memory(data_dir, args.hours)
    if not (data_dir / f"{args.records[0]}.hea").exists():
        print(f"MIT-BIH not found in {data_dir}; run `make data` or give --data-dir", file=sys.stderr)
        return 2
    load_start = [round(x, 2) for x in os.getloadavg()]
    out: dict = {"machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                             "browser": chromium}, "targets_s": {"upload": UPLOAD_TARGET_S, "jump": JUMP_TARGET_S}}
    # The local records shown, as `make dashboard` serves the page.
    add_first_page(out, {"ECG_DATA_DIR": str(data_dir)})
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as empty:
        files = {r: _copy(data_dir, r, Path(tmp)) for r in args.records}
        # An empty local folder: the page then holds only what the upload brings.
        with browser.serve(env={"ECG_DATA_DIR": empty}) as url, browser.chromium() as driver:
            a, b = args.records
            cold = time_upload(driver, url, files[a], a)
            warm = time_upload(driver, url, files[b], b)
            cached = time_upload(driver, url, files[a], a)
            out["upload_s"] = {"record_cold": a, "cold": round(cold, 3), "record_warm": b, "warm": round(warm, 3),
                               "cached": round(cached, 3)}
            jumps, in_page, row = [], [], 1
            while len(jumps) < args.jumps and row < 4 * args.jumps:
                dt, before, after, page_s = time_jump(driver, row=row % 8)
                row += 1
                if dt is not None:
                    jumps.append(round(dt, 3))
                    in_page.append(round(page_s, 3))
            out["jump_s"] = {"runs": jumps, "median": round(statistics.median(jumps), 3), "max": max(jumps),
                             "in_page_runs": in_page, "in_page_median": round(statistics.median(in_page), 3)}
            driver.save_screenshot(str(RESULTS / "dashboard_bench.png"))
            if not args.no_24h:
                sys.path.insert(0, str(ROOT / "bench"))
                from bench_speed import join_records

                long_dir = Path(tmp) / "long"
                long_dir.mkdir()
                stem = join_records(data_dir, long_dir)
                out["long_record_s"] = time_long_record(driver, url, [stem.with_suffix(".hea"),
                                                                      stem.with_suffix(".dat")], stem.name)
    out["analysis_only_s"] = {"record": args.records[1], "seconds": round(analysis_only(data_dir, args.records[1]), 3)}
    # 1, 5 and 15-min load averages of this shared machine, before and after: the times are
    # pessimistic when they are above the number of cores.
    out["load_average_start"], out["load_average"] = load_start, [round(x, 2) for x in os.getloadavg()]
    out["pass"].update(upload_warm=out["upload_s"]["warm"] <= UPLOAD_TARGET_S,
                       jump=out["jump_s"]["median"] <= JUMP_TARGET_S)
    if "long_record_s" in out:
        lr = out["long_record_s"]
        out["targets_s"].update(long_first_trace=LONG_FIRST_TRACE_TARGET_S, long_results=LONG_RESULTS_TARGET_S,
                                lead_switch=LEAD_SWITCH_TARGET_S)
        out["pass"].update(long_first_trace=lr["first_trace"] <= LONG_FIRST_TRACE_TARGET_S,
                           long_results=lr["results"] <= LONG_RESULTS_TARGET_S,
                           lead_switch=lr["lead_switch"] <= LEAD_SWITCH_TARGET_S)
    (RESULTS / "dashboard.json").write_text(json.dumps(out, indent=2))
    u, j = out["upload_s"], out["jump_s"]
    print_first_page(out["first_page_s"])
    print(f"upload -> results, 30-min record: {u['warm']:.2f} s warm ({b}), {u['cold']:.2f} s cold ({a}, model "
          f"loading included), {u['cached']:.2f} s cached   (target <= {UPLOAD_TARGET_S:g} s)")
    print(f"  of which reading + analyze_record in this process: {out['analysis_only_s']['seconds']:.2f} s; "
          f"load average {out['load_average']}")
    print(f"jump to an event: median {j['median']:.2f} s, max {j['max']:.2f} s over {len(jumps)} clicks "
          f"(target <= {JUMP_TARGET_S:g} s); by the page's clock (pointer down to new range): "
          f"median {j['in_page_median']:.2f} s")
    if "long_record_s" in out:
        lr = out["long_record_s"]
        print(f"24 h record ({lr['record']}): first trace {lr['first_trace']:.1f} s after the upload "
              f"(target <= {LONG_FIRST_TRACE_TARGET_S:g} s), all results {lr['results']:.1f} s "
              f"(target <= {LONG_RESULTS_TARGET_S:g} s; progress bar "
              f"{'shown' if lr['progress_bar_seen'] else 'not seen'}); lead switch to {lr['lead_switched_to']} "
              f"{lr['lead_switch']:.1f} s (target <= {LEAD_SWITCH_TARGET_S:g} s)")
    print(f"written {RESULTS / 'dashboard.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
