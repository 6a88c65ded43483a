"""Inference of the beat and rhythm networks on a 24-hour record: plain torch against the alternatives.

The 24-hour input is all 48 MIT-BIH records joined into one WFDB record (``bench_speed.join_records``; or
``--record`` of one already written); its R peaks are detected once (``--peaks`` keeps them in an .npy).
For each model, the network part only, on the same inputs:

* beat classifier: ``BeatClassifier.probs_from_features`` (CNN per beat, then the LSTM over the overlapping
  beat windows); the alternatives replace the LSTM part (``BeatRuntime.sequence``);
* rhythm classifier: ``RhythmClassifier.probs_from_inputs`` (the LSTM over every beat's RR window); the
  alternatives replace the whole network.

Variants: ``reference`` (the code before the batched runtime: ``sequence_logits`` member by member, rhythm
batches of 4,096), ``torch`` (what the library runs), ``onnxruntime`` (the network exported with
``torch.onnx.export``, run by ONNX Runtime on the CPU with as many threads as torch), ``torchscript``
(``torch.jit.trace`` then ``torch.jit.freeze``) and ``torch.compile`` (Inductor; its compile time is shown
apart). Repeats are interleaved across the variants, so that a change in the machine's load touches them
all alike; the table shows the median wall time (and the median CPU time of the process), the largest
probability difference from ``torch`` and the number of beats whose label differs.

Prints the table and writes ``bench/results/inference.json``.
Usage: python bench/bench_inference.py [--data-dir data/mitdb] [--record /tmp/h24/joined24h]
       [--peaks /tmp/h24/peaks.npy] [--repeat 3] [--threads N] [--skip onnxruntime,compile]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ecg_lstm.classifier.features import beat_features  # noqa: E402
from ecg_lstm.classifier.predict import BeatClassifier, sequence_logits  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402
from ecg_lstm.paths import default_data_dir  # noqa: E402
from ecg_lstm.rhythm.features import rhythm_inputs  # noqa: E402
from ecg_lstm.rhythm.predict import RhythmClassifier  # noqa: E402
from ecg_lstm.signal.checks import check_lead_and_peaks  # noqa: E402
from ecg_lstm.signal.peaks import ecg_peaks  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VARIANTS = ("reference", "torch", "onnxruntime", "torchscript", "torch.compile")


# -- inputs -----------------------------------------------------------------------------------------
def inputs_24h(args) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(beat windows, beat features, peaks, fs) of the 24-hour record."""
    with tempfile.TemporaryDirectory() as tmp:
        path = args.record
        if path is None:
            from bench_speed import join_records

            path = join_records(Path(args.data_dir or default_data_dir()), Path(tmp))
        rec = read_record(path, annotator=None)
        ecg = rec.lead()
    peaks_file = Path(args.peaks) if args.peaks else None
    if peaks_file is not None and peaks_file.exists():
        peaks = np.load(peaks_file)
    else:
        peaks, _ = ecg_peaks(ecg, rec.fs)
        if peaks_file is not None:
            np.save(peaks_file, peaks)
    ecg, peaks = check_lead_and_peaks(ecg, rec.fs, peaks)
    w, rr = beat_features(ecg, rec.fs, peaks.astype(np.int64), BeatClassifier.load().features)
    return w, rr, peaks, float(rec.fs)


# -- the alternatives -------------------------------------------------------------------------------
class EnsembleSequence(nn.Module):
    """The beat runtime's LSTM part as one module: (b, T, members * d) windows -> mean logits (b, T, 5)."""

    def __init__(self, runtime):
        super().__init__()
        self.members, self.d = nn.ModuleList(runtime.members), runtime.d

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        d = self.d
        return torch.stack([m.sequence(z[..., k * d:(k + 1) * d]) for k, m in enumerate(self.members)]).mean(0)


def onnx_session(module: nn.Module, example: tuple, names: list[str]):
    """An ONNX Runtime CPU session of ``module`` (dynamic batch), with torch's thread count."""
    import onnxruntime as ort

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), example, buf, input_names=names, output_names=["out"], dynamo=False,
                          dynamic_axes={n: {0: "batch"} for n in names})
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = torch.get_num_threads(), 1
    sess = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])

    def run(*tensors):
        feeds = {n: t.numpy() for n, t in zip(names, tensors)}
        return torch.from_numpy(sess.run(None, feeds)[0])

    return run


def alternatives(module: nn.Module, example: tuple, names: list[str], skip: set[str]) -> tuple[dict, dict]:
    """{variant: callable with ``module``'s signature}, {variant: build seconds or the reason it is absent}."""
    out, notes = {}, {}
    module = module.eval()
    if "onnxruntime" not in skip:
        t = time.perf_counter()
        try:
            out["onnxruntime"] = onnx_session(module, example, names)
            notes["onnxruntime"] = round(time.perf_counter() - t, 2)
        except ImportError as e:
            notes["onnxruntime"] = f"not installed ({e.name}): pip install onnxruntime onnx"
    if "torchscript" not in skip:
        t = time.perf_counter()
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["torchscript"] = torch.jit.freeze(torch.jit.trace(module, example))
        notes["torchscript"] = round(time.perf_counter() - t, 2)
    if "torch.compile" not in skip:
        out["torch.compile"] = torch.compile(module)
        notes["torch.compile"] = "compiled on first call (see compile_s)"
    return out, notes


# -- timing -----------------------------------------------------------------------------------------
def measure(fns: dict, repeat: int) -> tuple[dict, dict, dict, dict]:
    """One warm-up call of each (its time kept as ``first_s``: for torch.compile, the compilation), then
    ``repeat`` interleaved rounds: ({name: result}, {name: [wall s]}, {name: [cpu s]}, {name: first s})."""
    res, wall, cpu, first = {}, {n: [] for n in fns}, {n: [] for n in fns}, {}
    for name, fn in fns.items():
        t = time.perf_counter()
        res[name] = fn()
        first[name] = time.perf_counter() - t
    for _ in range(repeat):
        for name, fn in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return res, wall, cpu, first


def rows(model: str, res: dict, wall: dict, cpu: dict, first: dict, notes: dict) -> list[dict]:
    base, base_s = res["torch"], statistics.median(wall["torch"])
    out = []
    for name in VARIANTS:
        if name not in res:
            if name in notes:
                out.append({"model": model, "variant": name, "skipped": notes[name]})
            continue
        p = res[name]
        r = {"model": model, "variant": name, "wall_s": round(statistics.median(wall[name]), 3),
             "wall_min_s": round(min(wall[name]), 3), "cpu_s": round(statistics.median(cpu[name]), 3),
             "vs_torch": round(base_s / statistics.median(wall[name]), 2),
             "max_abs_prob_diff": float(np.abs(p - base).max()),
             "labels_differing": int((p.argmax(1) != base.argmax(1)).sum()), "beats": len(p)}
        if name == "torch.compile":
            r["compile_s"] = round(first[name], 1)
        elif isinstance(notes.get(name), float):
            r["build_s"] = notes[name]
        out.append(r)
    return out


def beat_bench(w, rr, repeat: int, skip: set[str]) -> list[dict]:
    clf = BeatClassifier.load(device="cpu")
    rt = clf.runtime
    wt, rt_ = torch.as_tensor(w), torch.as_tensor(rr)

    def reference():
        logits = sequence_logits(clf.model, wt, rt_, clf.seq_len)
        return torch.softmax(logits / clf.temperature, dim=-1).numpy().astype(np.float64)

    example = (torch.as_tensor(np.zeros((8, clf.seq_len, len(rt.members) * rt.d), np.float32)),)
    alts, notes = alternatives(EnsembleSequence(rt), example, ["z"], skip)
    fns = {"reference": reference, "torch": lambda: clf.probs_from_features(w, rr)}
    for name, seq in alts.items():
        fns[name] = lambda seq=seq: rt.probs(w, rr, clf.temperature, sequence=seq)
    return rows("beat", *measure(fns, repeat), notes)


def rhythm_bench(peaks, fs: float, repeat: int, skip: set[str]) -> tuple[list[dict], float]:
    rc = RhythmClassifier.load(device="cpu")
    t = time.perf_counter()
    seq, feat = rhythm_inputs(peaks, fs, None, rc.window)
    inputs_s = time.perf_counter() - t

    @torch.inference_mode()
    def reference():
        return np.concatenate([torch.softmax(rc.model(torch.from_numpy(seq[i:i + 4096]),
                                                      torch.from_numpy(feat[i:i + 4096])), dim=1).numpy()
                               for i in range(0, len(seq), 4096)])

    example = (torch.from_numpy(seq[:8].copy()), torch.from_numpy(feat[:8].copy()))
    alts, notes = alternatives(rc.model, example, ["seq", "feat"], skip)
    fns = {"reference": reference, "torch": lambda: rc.probs_from_inputs(seq, feat)}
    for name, fwd in alts.items():
        fns[name] = lambda fwd=fwd: rc.probs_from_inputs(seq, feat, forward=fwd)
    return rows("rhythm", *measure(fns, repeat), notes), inputs_s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None, help="MIT-BIH folder (default: $ECG_DATA_DIR, else data/mitdb)")
    ap.add_argument("--record", default=None, help="a 24-hour WFDB record already written (default: join the 48)")
    ap.add_argument("--peaks", default=None, help=".npy of its R peaks: read when present, else written")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: the CPU count)")
    ap.add_argument("--skip", default="", help="variants left out, comma-separated (onnxruntime,torchscript,...)")
    ap.add_argument("--models", default="beat,rhythm", help="which models, comma-separated (default: both)")
    ap.add_argument("--out", default=str(RESULTS / "inference.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    load_before = os.getloadavg()

    models = {m.strip() for m in args.models.split(",")}
    w, rr, peaks, fs = inputs_24h(args)
    table = beat_bench(w, rr, args.repeat, skip) if "beat" in models else []
    rhythm_inputs_s = None
    if "rhythm" in models:
        rhythm_rows, rhythm_inputs_s = rhythm_bench(peaks, fs, args.repeat, skip)
        table += rhythm_rows

    print(f"{len(peaks)} beats ({peaks[-1] / fs / 3600:.1f} h), torch threads {args.threads}, "
          f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'model':7s} {'variant':14s} {'wall s':>7s} {'min s':>7s} {'cpu s':>7s} {'vs torch':>8s} "
          f"{'max |dp|':>9s} {'labels':>6s}  build")
    for r in table:
        if "skipped" in r:
            print(f"{r['model']:7s} {r['variant']:14s} skipped: {r['skipped']}")
            continue
        build = (f"compile {r['compile_s']} s" if "compile_s" in r else f"build {r['build_s']} s" if "build_s" in r
                 else "")
        print(f"{r['model']:7s} {r['variant']:14s} {r['wall_s']:7.3f} {r['wall_min_s']:7.3f} {r['cpu_s']:7.3f} "
              f"{r['vs_torch']:7.2f}x {r['max_abs_prob_diff']:9.1e} {r['labels_differing']:6d}  {build}")
    if rhythm_inputs_s is not None:
        print(f"rhythm inputs (RR windows and their features, the same for every variant): {rhythm_inputs_s:.2f} s")

    out = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}",
           "torch": torch.__version__, "threads": args.threads, "repeat": args.repeat,
           "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
           "beats": len(peaks), "hours": round(float(peaks[-1]) / fs / 3600, 2),
           "rhythm_inputs_s": None if rhythm_inputs_s is None else round(rhythm_inputs_s, 3), "rows": table}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
