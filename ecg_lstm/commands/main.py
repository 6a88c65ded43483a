"""Command line: ``python -m ecg_lstm analyze RECORD [RECORD ...] --out-dir DIR``.

The interface is a contract other tools depend on; keep it stable.

Exit status: 0 every record done, 1 some records failed (each reported on stderr
with the reason, the others still analysed), 2 bad arguments (checked by
:func:`check_arguments` before anything is read or written).
"""
from __future__ import annotations

import argparse
import sys
import time

from ..errors import BadArgumentError, ECGError
from .options import check_arguments, check_outputs, failure_message, parse_lead, record_options, terminal_safe


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ecg_lstm", description="ECG beats, vitals and arrhythmias.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="detect and label beats, compute vitals, write CSV + JSON per record",
                       parents=[record_options()])
    a.add_argument("records", nargs="+", metavar="RECORD",
                   help="WFDB record path without extension, or a file: .edf, .csv, .ecg (ISHNE), "
                        ".dcm (DICOM), .xml (HL7 aECG, Philips)")
    a.add_argument("--out-dir", required=True, help="folder for <record>.csv and <record>.json")
    a.add_argument("--write-annotations", metavar="EXT",
                   help="also write a WFDB annotation file <record>.EXT with the result")
    a.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    a.add_argument("--no-classify", action="store_true", help="only detect beats and compute vitals")
    a.add_argument("--adapt", action="store_true",
                   help="adapt the beat classifier to each record without labels (beat templates)")
    a.add_argument("--labels", metavar="EXT",
                   help="reviewed beats in the WFDB annotation file <record>.EXT (e.g. cor): the classifier "
                        "adapts to them and relabels the record; a file written for another record, cut short "
                        "or too large fails that record (exit 1)")
    from .batch import add_parser as add_batch
    add_batch(sub)
    from .explain import add_parser as add_explain
    add_explain(sub)
    from .studies import add_parser as add_studies
    add_studies(sub)
    return p


def analyze(args) -> int:
    from ..analyze import analyze_record, write_outputs
    from ..io.read import read_record

    # Models are loaded once, then used for every record: on another thread while the first record
    # is read (torch's import and the weights take a second or two; reading a day takes as long).
    clf = rhythm = models = None
    if not args.no_classify:
        from concurrent.futures import ThreadPoolExecutor

        def load():
            from ..classifier.predict import BeatClassifier
            from ..rhythm.predict import RhythmClassifier

            return BeatClassifier.load(args.model), RhythmClassifier.load(args.rhythm_model)

        pool = ThreadPoolExecutor(1)
        models = pool.submit(load)
        pool.shutdown(wait=False)
    failed = 0
    lead = parse_lead(args.lead)
    written: set[str] = set()
    for path in args.records:
        t0 = time.perf_counter()
        try:
            # The reader checks the chosen lead (not the default one) for content.
            rec = read_record(path, lead=lead, annotator=args.annotator, fs=args.fs, max_hours=args.max_hours,
                              max_signal_mb=args.max_signal_mb)
            check_outputs(path, rec.name, args.out_dir, args.write_annotations, args.annotator, written)
            if models is not None:
                try:
                    clf, rhythm = models.result()
                except ECGError as e:  # a --model that cannot load is a bad argument, found before any output
                    print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
                    return 2
                models = None
            reviewed = None
            if getattr(args, "labels", None) and clf is not None:
                from ..beats.corrections import labels_path, read_file

                # Checked against the record read (identity, size, beats): a refusal fails this record alone.
                cor_path = labels_path(path, args.labels)
                cor = read_file(cor_path, rec, lead=lead)
                for note in cor.notes():
                    print(f"note: {terminal_safe(str(cor_path))}: {terminal_safe(note)}", file=sys.stderr)
                reviewed = (cor.samples, cor.labels)
            res = analyze_record(rec, lead=lead, reference_beats=args.reference_beats,
                                 classifier=clf, rhythm=rhythm, adapt=getattr(args, "adapt", False),
                                 reviewed=reviewed)
            write_outputs(res, args.out_dir, annotation_ext=args.write_annotations)
            written.add(rec.name)
        except Exception as e:  # one record's failure never stops the others
            failed += 1
            print(f"error: {terminal_safe(path)}: {failure_message(e)}", file=sys.stderr)
            continue
        print(f"{terminal_safe(rec.name)}: {len(res.beats)} beats, {time.perf_counter() - t0:.2f} s")
    if models is not None:  # no record could be read: a model that cannot load is still named
        try:
            models.result()
        except ECGError as e:
            print(f"error: {terminal_safe(str(e))}", file=sys.stderr)
            return 2
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # argparse's own errors exit with status 2
    try:
        check_arguments(args)
    except BadArgumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "analyze":
        return analyze(args)
    if args.command == "batch":
        from .batch import run as batch

        return batch(args)
    if args.command == "explain":
        from .explain import run as explain

        return explain(args)
    if args.command == "studies":
        from .studies import run as studies

        return studies(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
