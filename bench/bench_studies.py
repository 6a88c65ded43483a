"""The study store at Holter scale, on SQLite and on PostgreSQL.

Measures, on this machine, for each database:
  * opening a stored 24 h study: its files read back (checked against their SHA-256), the record
    read from them and its saved analysis loaded: what the Studies page does before the trace;
    and the same through the page (Streamlit's AppTest: the Studies page's Open to the record
    page drawn, server side, without a browser);
  * a correction on the 24 h study: the action saved (one transaction, audit entry included),
    the analysis with the new labels kept beside it (so that reopening needs no relabelling);
    and, once (it does not depend on the database), the recompute the page then does (labels,
    vitals, rhythm, events) with its one-time adapter build;
  * 1,000 studies: the worklist query, and the Studies page drawn (AppTest).
The 24 h record joins all 48 MIT-BIH records (as ``bench_speed.py``), analysed once with both
classifiers, adapted to the record (as the page opens it).

Figures are printed and written to ``bench/results/studies.json``.
Usage: python bench/bench_studies.py [--data-dir data/mitdb] [--backends sqlite postgresql]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULTS = ROOT / "bench" / "results"


@contextlib.contextmanager
def database(backend: str, folder: Path):
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'studies.sqlite'}"
        return
    from tests.studies import postgres

    why = postgres.why_not()
    if why:
        raise RuntimeError(f"no PostgreSQL server: {why}")
    with postgres.server() as url:
        yield postgres.new_database(url)


def clone_studies(store, sid: int, n: int) -> None:
    """``n`` more rows like study ``sid`` (same files and analysis): a worklist of that size."""
    from sqlalchemy import insert, select

    from ecg_lstm.studies.tables import study

    with store.engine.begin() as c:
        row = dict(c.execute(select(study).where(study.c.id == sid)).mappings().first())
        row.pop("id")
        rows = [{**row, "label": f"Holter {i:04d}", "manifest": f"{i:064x}"} for i in range(n)]
        c.execute(insert(study), rows)


def page_times(url: str, folder: Path, sid: int) -> dict:
    """(Studies page drawn, study opened to the record page drawn), s, through AppTest."""
    from streamlit.testing.v1 import AppTest

    from dashboard import studies_session

    os.environ["ECG_STUDY_DB"], os.environ["ECG_STUDY_FILES"] = url, str(folder)
    os.environ["ECG_DATA_DIR"] = "/nonexistent-ecg-data"
    studies_session._open_store.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("studies_page.py")
    t0 = time.perf_counter()
    at.run()
    worklist_s = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    shown = len(at.dataframe(key="worklist_table").value)
    ids = list(at.dataframe(key="worklist_table").value["study"])
    at.session_state["worklist_table"] = {"selection": {"rows": [ids.index(sid)], "columns": []}}
    at.run()
    at.button(key="worklist_open").click()
    t0 = time.perf_counter()
    at.run()
    open_s = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["study_id"] == sid
    return {"worklist_page_s": round(worklist_s, 2), "worklist_rows_shown": shown, "open_in_page_s": round(open_s, 2)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument("--worklist", type=int, default=1000, help="studies in the worklist measured")
    args = p.parse_args(argv)
    from bench_speed import join_records, timed

    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.upload import read_record_from_files
    from ecg_lstm.paths import default_data_dir
    from ecg_lstm.review import record_adapter, relabelled_analysis
    from ecg_lstm.studies import StudyStore, summary_of

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    out: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory(prefix="ecg-bench-studies-") as tmp:
        tmp = Path(tmp)
        join_records(data_dir, tmp)
        files = {p.name: p.read_bytes() for p in tmp.glob("joined24h.*")}
        t0 = time.perf_counter()
        analysis = analyze_record(read_record_from_files(files), adapt=True)
        out["analyse_24h_s"] = round(time.perf_counter() - t0, 1)
        out["hours"] = round(analysis.record.duration_s / 3600, 2)
        out["beats"] = int(len(analysis.beats))
        print(f"24 h record: {out['hours']} h, {out['beats']:,} beats, analysed in {out['analyse_24h_s']} s")

        # The recompute after one correction (library; the same whatever the database).
        from ecg_lstm.classifier.predict import BeatClassifier
        from ecg_lstm.rhythm.predict import RhythmClassifier

        clf, rhythm = BeatClassifier.load(), RhythmClassifier.load()
        t0 = time.perf_counter()
        ad = record_adapter(clf, analysis)  # the adapted analysis's own: reused, not built again
        out["adapter_build_s"] = round(time.perf_counter() - t0, 2)
        first = int(analysis.beats["sample"].iloc[100])
        rev = {"corrections": {first: "V"}, "adapted": False}
        t0 = time.perf_counter()
        relabelled = relabelled_analysis(analysis, ad, rev, rhythm)
        out["recompute_after_correction_s"] = round(time.perf_counter() - t0, 2)
        print(f"one correction on 24 h: recompute {out['recompute_after_correction_s']} s "
              f"(adapter, kept by the analysis: {out['adapter_build_s']} s)")

        for backend in args.backends:
            folder = tmp / backend
            with database(backend, folder) as url:
                store = StudyStore(url, folder)
                t0 = time.perf_counter()
                sid = store.add(files, analysis, who="bench", label="24 h join")
                r = {"add_24h_s": round(time.perf_counter() - t0, 2)}

                def open_stored():
                    rec = read_record_from_files(store.files(sid))
                    return store.analysis(sid, rec)

                r["open_stored_24h_s"] = round(timed(open_stored, 3), 2)
                n = [0]

                def correct():
                    n[0] += 1
                    before = {first: "V"} if n[0] % 2 == 0 else {}
                    after = {} if n[0] % 2 == 0 else {first: "V"}
                    store.save_review(sid, "bench", "relabel beat", (before, False), (after, False),
                                      summary=summary_of(relabelled))

                r["save_correction_ms"] = round(1000 * timed(correct, 8), 1)  # 9 saves: one correction stays
                # As the page does after a save: the analysis with the review's labels kept with it.
                from ecg_lstm.review import signature

                t0 = time.perf_counter()
                store.keep_reviewed_analysis(sid, signature(store.review(sid)), relabelled)
                r["keep_reviewed_analysis_s"] = round(time.perf_counter() - t0, 2)
                clone_studies(store, sid, args.worklist - 1)
                r["worklist_query_ms"] = round(1000 * timed(lambda: store.list(), 5), 1)
                r["studies"] = store.count()
                r.update(page_times(url, folder, sid))
                store.close()
            out[backend] = r
            print(f"{backend}: add {r['add_24h_s']} s · open stored 24 h {r['open_stored_24h_s']} s (library), "
                  f"{r['open_in_page_s']} s (page, server side) · save a correction {r['save_correction_ms']} ms "
                  f"(+ {r['keep_reviewed_analysis_s']} s keeping the relabelled analysis) · "
                  f"{r['studies']:,} studies: query {r['worklist_query_ms']} ms, page {r['worklist_page_s']} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "studies.json").write_text(json.dumps(out, indent=2))
    print(f"written to {RESULTS / 'studies.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
