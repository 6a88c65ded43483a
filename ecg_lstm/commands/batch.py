"""The ``batch`` subcommand: parser and entry point (main.py adds it to ``python -m ecg_lstm``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ECGError
from .options import (
    check_out_dir,  # the CLI's own check, shared by every subcommand's output folder
    failure_message,
    record_options,
    terminal_safe,
)


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``batch`` to the subparsers ``sub`` of the main parser."""
    b = sub.add_parser("batch", help="analyse an archive on Ray into Parquet (resumable)",
                       description="Analyse every record of SOURCE(s) on Ray into a Parquet archive: "
                                   "beats/ (partitioned by record), records.parquet, events.parquet. "
                                   "A rerun skips the records already done and retries the failed ones.",
                       parents=[record_options()])
    b.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a folder (searched recursively for .hea/.edf/.csv/.ecg/.dcm/.xml), a text file listing "
                        "record paths, or a PhysioNet database name (downloaded; $ECG_MIRROR honoured)")
    b.add_argument("--out", required=True, help="archive folder (on a cluster: a path every node sees)")
    b.add_argument("--address", help="Ray cluster to join (e.g. auto or ray://head:10001); default: a local Ray")
    b.add_argument("--workers", type=int, help="number of workers, each with the models loaded once "
                                               "(default: one per CPU)")
    b.add_argument("--follow-links", action="store_true",
                   help="follow links to folders inside a SOURCE folder (each folder walked once, loops "
                        "included); by default they are skipped, so a walk stays inside its sources")
    b.add_argument("--download-dir", default="data", help="where a database SOURCE is downloaded (default: data)")
    b.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    b.add_argument("--no-classify", action="store_true", help="only detect beats and compute vitals")
    b.add_argument("--adapt", action="store_true",
                   help="adapt the beat classifier to each record without labels (as analyze --adapt)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--store", metavar="URL",
                   help="also add every record analysed (in this run or an earlier one of the archive) to the study "
                        "store at URL (sqlite:///path/studies.sqlite or postgresql+psycopg://user@host/db); a "
                        "record already there is not added again")
    b.add_argument("--store-files", metavar="DIR",
                   help="folder of the study store's files (default: $ECG_STUDY_FILES, else data/studies)")
    b.add_argument("--who", help="who adds the studies, for their audit trail (default: your user name)")
    return b


def run(args) -> int:
    """Run a batch from parsed arguments; exit status 0, 1 (some records failed) or 2 (nothing ran)."""
    from ..errors import BadArgumentError

    try:  # bad arguments: exit 2 before anything is read, written or started
        check_out_dir(args.out, "--out")
        if args.workers is not None and args.workers < 1:
            raise BadArgumentError(f"--workers must be 1 or more, got {args.workers}")
        if args.store_files and not args.store:
            raise BadArgumentError("--store-files names the study store's folder; give --store URL with it")
    except BadArgumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    store = None
    if args.store:  # a store that cannot be opened is found before the batch runs
        from ..studies import StoreError
        from .studies import open_store

        try:
            store = open_store(args.store, args.store_files)
        except StoreError as e:
            print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
            return 2
    try:
        return _run(args, store)
    finally:
        if store is not None:
            store.close()


def _run(args, store) -> int:
    from ..batch.runner import run_batch
    from ..batch.sources import find_records
    from ..batch.worker import AnalysisOptions

    lead = int(args.lead) if args.lead is not None and args.lead.isdigit() else args.lead
    opts = AnalysisOptions(lead=lead, reference_beats=args.reference_beats, annotator=args.annotator, fs=args.fs,
                           max_hours=args.max_hours, max_signal_mb=args.max_signal_mb, model=args.model,
                           rhythm_model=args.rhythm_model,
                           classify=not args.no_classify, adapt=args.adapt, keep_analysis=store is not None)
    try:
        tasks = find_records(args.sources, download_dir=args.download_dir, exclude=args.out,
                             progress=False if args.quiet else None, follow_links=args.follow_links)
        summary = run_batch(tasks, args.out, opts, address=args.address, workers=args.workers,
                            progress=False if args.quiet else None)
    except ECGError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume (finished records are kept)", file=sys.stderr)
        return 130
    print(summary.text())
    failed = summary.n_failed
    if store is not None:
        from .studies import user_name

        try:
            failed += add_to_store(store, args.out, opts, args.who or user_name())
        except KeyboardInterrupt:
            print("interrupted; run the same command again to add the rest (the studies added are kept)",
                  file=sys.stderr)
            return 130
    return 1 if failed else 0


def add_to_store(store, out, opts, who: str) -> int:
    """Add every record of the archive ``out`` analysed without error to ``store`` (one already there
    is not added again), with the analysis its worker kept; a record without one (analysed before
    ``--store`` was given), or whose files changed since, is analysed again here. Prints how many
    studies the archive has in the store; returns the number of records that failed (on stderr)."""
    from ..analyze import analyze_record
    from ..batch.results import STATUS_OK, analysis_dir, current_state
    from ..batch.worker import load_models
    from ..io.upload import read_record_from_files
    from ..saved_analysis import SavedAnalysisError, load_analysis
    from ..studies import manifest
    from ..studies.intake import record_files, study_options

    state, _ = current_state(Path(out))
    ok = state[state["status"] == STATUS_OK].sort_values("record_id", kind="stable")
    options = study_options(fs=opts.fs, reference_beats=opts.reference_beats, lead=opts.lead)
    models = None
    n_in = n_new = failed = 0
    for rid, path in zip(ok["record_id"], ok["path"]):
        try:
            files = record_files(path, opts.annotator)
            if store.find(manifest(files, options)) is not None:
                n_in += 1
                continue
            rec = read_record_from_files(files, fs=opts.fs, annotator=opts.annotator, max_hours=opts.max_hours,
                                         lead=opts.lead, max_signal_mb=opts.max_signal_mb)
            try:
                analysis = load_analysis(analysis_dir(Path(out), rid), rec)
            except SavedAnalysisError:
                models = models or load_models(opts)
                analysis = analyze_record(rec, lead=opts.lead, reference_beats=opts.reference_beats,
                                          classifier=models[0], rhythm=models[1],
                                          **({"adapt": True} if opts.adapt else {}))
            store.add(files, analysis, who=who, label=rid, source="batch", options=options)
        except Exception as e:  # noqa: BLE001 (one record's failure never stops the others)
            failed += 1
            print(f"error: study store: {terminal_safe(rid)}: {failure_message(e)}", file=sys.stderr)
            continue
        n_in += 1
        n_new += 1
    print(f"{n_in} studies in the store ({n_new} new)")
    return failed
