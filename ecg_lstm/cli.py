"""Command line: ``python -m ecg_lstm analyze RECORD [RECORD ...] --out-dir DIR``.

The interface is a contract other tools depend on; keep it stable.
"""
from __future__ import annotations

import argparse
import sys
import time

from .errors import ECGError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ecg_lstm", description="ECG beats, vitals and arrhythmias.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="detect and label beats, compute vitals, write CSV + JSON per record")
    a.add_argument("records", nargs="+", metavar="RECORD",
                   help="WFDB record path without extension, or an .edf / .csv file")
    a.add_argument("--out-dir", required=True, help="folder for <record>.csv and <record>.json")
    a.add_argument("--lead", help="lead name or index (default: MLII/II, else the first ECG lead)")
    a.add_argument("--reference-beats", action="store_true",
                   help="take beat positions from the reference annotation file instead of detecting them")
    a.add_argument("--annotator", default="atr", help="reference annotation extension (default: atr)")
    a.add_argument("--write-annotations", metavar="EXT",
                   help="also write a WFDB annotation file <record>.EXT with the result")
    a.add_argument("--fs", type=float, help="sampling rate in Hz, for a CSV without a time column")
    a.add_argument("--model", help="beat classifier weights (default: the shipped model)")
    a.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    a.add_argument("--no-classify", action="store_true", help="only detect beats and compute vitals")
    a.add_argument("--max-hours", type=float, default=48.0, help="refuse records longer than this (default 48)")
    from .batch.cli import add_parser as add_batch  # the batch options live beside the batch code
    add_batch(sub)
    return p


def _lead(value: str | None):
    return int(value) if value is not None and value.isdigit() else value


def analyze(args) -> int:
    from .analyze import analyze_record, write_outputs
    from .record import read_record

    # Models are loaded once, then used for every record.
    clf = rhythm = None
    if not args.no_classify:
        from .classifier.predict import BeatClassifier
        from .rhythm.predict import RhythmClassifier

        try:
            clf = BeatClassifier.load(args.model)
            rhythm = RhythmClassifier.load(args.rhythm_model)
        except ECGError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    failed = 0
    for path in args.records:
        t0 = time.perf_counter()
        try:
            rec = read_record(path, annotator=args.annotator, fs=args.fs, max_hours=args.max_hours)
            res = analyze_record(rec, lead=_lead(args.lead), reference_beats=args.reference_beats,
                                 classifier=clf, rhythm=rhythm)
            write_outputs(res, args.out_dir, annotation_ext=args.write_annotations)
        except ECGError as e:
            failed += 1
            print(f"error: {path}: {e}", file=sys.stderr)
            continue
        print(f"{rec.name}: {len(res.beats)} beats, {time.perf_counter() - t0:.2f} s")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "analyze":
        return analyze(args)
    if args.command == "batch":
        from .batch.cli import run as batch

        return batch(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
