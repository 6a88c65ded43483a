"""Scale-out: batch analysis on Ray vs the sequential CLI, a cluster projection, and DDP training.

Measures, on this machine:
  * the 48 MIT-BIH records repeated ``--repeat`` times (10: 480 records, 240 h of ECG) analysed
    by the plain sequential CLI (``analyze``, one process, models loaded once) and by
    ``batch`` on a local Ray with 1 and 2 workers: wall time, throughput (hours of ECG per
    hour), and Ray's overhead at 1 worker (target <= 15 %); a no-op rerun (resume);
  * from the per-record costs the 1-worker batch recorded (read, analysis, models, write)
    and the bytes read and written, a projection of 10,000 24-h records on a cluster of
    16-core nodes: hours per node count, and which of CPU, storage and driver bounds it;
  * DDP: the beat classifier trained for ``--ddp-epochs`` epochs by train.py (1 process) and
    by torchrun with 2 gloo processes, same seeds: validation score of each (DS1 validation
    records; DS2 is never read), against the spread between two seeds of 1 process.

Every wall time includes process start-up and model loading (what a user waits for).
Figures are printed and written to ``bench/results/scale.json``.

Usage: python bench/bench_scale.py [--data-dir data/mitdb] [--repeat 10] [--workers 1 2]
                                   [--ddp-epochs 4] [--skip-ddp] [--skip-batch]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
sys.path.insert(0, str(ROOT))

#: Projection: 10,000 Holter records of 24 h on nodes of 16 cores.
N_RECORDS, RECORD_H, CORES = 10_000, 24.0, 16
NODES = (1, 2, 4, 8, 16, 32, 64, 128)


LAST_CPU = [0.0]  # CPU seconds of the last command run, all its processes together
_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int, seen: dict) -> None:
    """Update ``seen[pid]`` with the CPU seconds (user + system) of every
    process descending from ``root`` (Linux /proc; Ray's servers and workers included)."""
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                raw = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            f = raw[raw.rindex(")") + 2:].split()  # fields after the command name
            # ppid; utime + stime (not the reaped children's: those are sampled themselves)
            stats[int(d)] = (int(f[1]), (int(f[11]) + int(f[12])) / _TICK)
    kids, todo = set(), [root]
    while todo:
        p = todo.pop()
        kids.add(p)
        todo += [c for c, (pp, _) in stats.items() if pp == p and c not in kids]
    for p in kids:
        seen[p] = max(seen.get(p, 0.0), stats[p][1])


def run(cmd: list[str], env=None, label: str = "") -> float:
    """Wall time of ``cmd`` (raises with its stderr when it fails); its CPU time goes to LAST_CPU.

    The CPU time, summed over the command's process tree sampled every 0.2 s, hardly depends
    on what else the machine runs, unlike the wall time on a shared machine.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict = {}
    while proc.poll() is None:
        _tree_cpu(proc.pid, seen)
        time.sleep(0.2)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    LAST_CPU[0] = sum(seen.values())
    if proc.returncode not in (0, 1):  # 1: some records failed, reported by the command itself
        raise RuntimeError(f"{label or cmd[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    return wall


def make_archive(data_dir: Path, dest: Path, repeat: int) -> tuple[list[str], float, int]:
    """``dest/rNN_<record>``: every MIT-BIH record ``repeat`` times; (paths, hours of ECG, .dat bytes).

    Each copy gets its own record name (a rewritten header; signal and annotation files are
    links), so that the CLI, which refuses two records of one name in one run, takes them all.
    """
    names = (data_dir / "RECORDS").read_text().split()
    dest.mkdir(parents=True)
    paths, nbytes = [], 0
    for k in range(repeat):
        for n in names:
            new = f"r{k:02d}_{n}"
            lines = (data_dir / f"{n}.hea").read_text().splitlines()
            lines[0] = " ".join([new] + lines[0].split()[1:])
            lines = [ln.replace(f"{n}.dat", f"{new}.dat") if not ln.startswith("#") else ln for ln in lines]
            (dest / f"{new}.hea").write_text("\n".join(lines) + "\n")
            for ext in ("dat", "atr"):
                (dest / f"{new}.{ext}").symlink_to((data_dir / f"{n}.{ext}").resolve())
            paths.append(str(dest / new))
            nbytes += (data_dir / f"{n}.dat").stat().st_size
    return paths, len(paths) * 0.5, nbytes  # every MIT-BIH record is 30 min (650,000 samples at 360 Hz)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_batch(args, env, tmp: Path) -> dict:
    import pandas as pd

    paths, hours, in_bytes = make_archive(Path(args.data_dir), tmp / "archive", args.repeat)
    n = len(paths)
    print(f"input: {n} records ({hours:.0f} h of ECG, {in_bytes / 1e6:.0f} MB of signal) = "
          f"MIT-BIH x {args.repeat}", flush=True)
    res = {"records": n, "ecg_hours": hours, "input_bytes": in_bytes}
    cli = run([PY, "-m", "ecg_lstm", "analyze", *paths, "--out-dir", str(tmp / "cli")], env, "analyze")
    n_cli = len(list((tmp / "cli").glob("*.json")))
    if n_cli != n:
        raise RuntimeError(f"the CLI analysed {n_cli} of {n} records")
    cli_cpu = LAST_CPU[0]
    res["cli"] = {"wall_s": cli, "cpu_s": cli_cpu, "ecg_h_per_h": hours / (cli / 3600), "s_per_record": cli / n}
    print(f"sequential CLI: {cli:.1f} s ({cli_cpu:.1f} CPU-s), {cli / n:.3f} s/record, "
          f"{hours / (cli / 3600):.0f} h of ECG per hour", flush=True)
    for w in args.workers:
        out = tmp / f"ray{w}"
        wall = run([PY, "-m", "ecg_lstm", "batch", str(tmp / "archive"), "--out", str(out), "--workers", str(w),
                    "--quiet"], env, f"batch --workers {w}")
        cpu = LAST_CPU[0]
        rec = pd.read_parquet(out / "records.parquet")
        ok = rec[rec["status"] == "ok"]
        fin = ok["finished_at"].sort_values()
        steady = (fin.iloc[-1] - fin.iloc[0]).total_seconds() / max(len(fin) - 1, 1)  # s per record, start-up excluded
        r = {"wall_s": wall, "ok": int(len(ok)), "failed": int(len(rec) - len(ok)), "s_per_record": wall / n,
             "ecg_h_per_h": hours / (wall / 3600), "steady_s_per_record": steady,
             "startup_s": wall - steady * n, "overhead_vs_cli_pct": 100 * (wall - cli) / cli,
             "speedup_vs_cli": cli / wall, "cpu_s": cpu, "cpu_overhead_vs_cli_pct": 100 * (cpu - cli_cpu) / cli_cpu}
        for c in ("read_s", "analyze_s", "model_s", "write_s"):
            r[f"mean_{c}"] = float(ok[c].mean())
        r["output_bytes"] = dir_bytes(out / "beats") + (out / "records.parquet").stat().st_size + \
            (out / "events.parquet").stat().st_size
        res[f"ray_{w}"] = r
        print(f"batch, {w} worker(s): {wall:.1f} s ({r['ok']} ok, {r['failed']} failed), "
              f"{hours / (wall / 3600):.0f} h of ECG per hour, x{cli / wall:.2f} vs CLI, "
              f"overhead {r['overhead_vs_cli_pct']:+.1f} % in wall time, {r['cpu_overhead_vs_cli_pct']:+.1f} % in CPU time "
              f"({cpu:.1f} CPU-s); steady {steady:.3f} s/record, "
              f"start-up and wind-down {r['startup_s']:.1f} s", flush=True)
        if w == args.workers[0]:
            res["driver_s_per_record"] = driver_cost(out, tmp / "driver")
            print(f"driver bookkeeping: {1000 * res['driver_s_per_record']:.1f} ms per record", flush=True)
            rerun = run([PY, "-m", "ecg_lstm", "batch", str(tmp / "archive"), "--out", str(out), "--quiet"], env, "rerun")
            res["rerun_noop_s"] = rerun
            print(f"rerun of a finished batch (all {n} skipped): {rerun:.1f} s", flush=True)
    return res


def driver_cost(out: Path, scratch: Path) -> float:
    """Seconds of driver work per record: saving its row and events, and its share of the final rebuild."""
    import pandas as pd

    from ecg_lstm.batch.results import consolidate, load_state, save_result

    rows = load_state(out)
    events = pd.read_parquet(out / "events.parquet")
    by_rec = dict(tuple(events.groupby("record_id")))
    t0 = time.perf_counter()
    for row in rows.to_dict(orient="records"):
        save_result(scratch, row, by_rec.get(row["record_id"], events.iloc[:0]))
    consolidate(scratch)
    return (time.perf_counter() - t0) / len(rows) if len(rows) else float("nan")


def projection(b: dict, storage_gbs: float, node_mem_gb: float, record_mem_gb: float) -> dict:
    """10,000 x 24 h on 16-core nodes, from the per-record costs of the 1-worker batch."""
    one = b.get("ray_1") or b[next(k for k in b if k.startswith("ray_"))]
    per_h = 2.0  # MIT-BIH records are 0.5 h: costs per hour of ECG are twice the per-record means
    read, analyze, model, write = (one[f"mean_{c}"] * per_h for c in ("read_s", "analyze_s", "model_s", "write_s"))
    core_s_per_h = read + analyze + write  # one worker = one core
    total_h = N_RECORDS * RECORD_H
    in_b, out_b = b["input_bytes"] / b["ecg_hours"], one["output_bytes"] / b["ecg_hours"]
    io_s = total_h * (in_b + out_b) / (storage_gbs * 1e9)
    workers_per_node = min(CORES, int(node_mem_gb // record_mem_gb))
    driver_s = N_RECORDS * b["driver_s_per_record"]  # measured; scheduling itself overlaps the workers
    rows = []
    for n in NODES:
        cpu_s = total_h * core_s_per_h / (n * workers_per_node)
        gpu_cpu_s = total_h * (core_s_per_h - model) / (n * workers_per_node)  # models moved to one GPU per node
        t = {"cpu": cpu_s, "storage": io_s, "driver": driver_s}
        bound = max(t, key=t.get)
        tg = {"cpu": gpu_cpu_s, "storage": io_s, "driver": driver_s}
        rows.append({"nodes": n, "hours": max(t.values()) / 3600, "bound": bound,
                     "hours_with_gpu": max(tg.values()) / 3600, "bound_with_gpu": max(tg, key=tg.get)})
    return {"records": N_RECORDS, "record_hours": RECORD_H, "cores_per_node": CORES,
            "workers_per_node": workers_per_node, "core_s_per_ecg_hour": core_s_per_h,
            "split_s_per_ecg_hour": {"read": read, "analysis_without_models": analyze - model, "models": model,
                                     "write": write},
            "input_mb_per_ecg_hour": in_b / 1e6, "output_mb_per_ecg_hour": out_b / 1e6,
            "assumed_storage_gb_per_s": storage_gbs, "assumed_node_memory_gb": node_mem_gb,
            "assumed_memory_per_24h_record_gb": record_mem_gb, "storage_hours": io_s / 3600, "rows": rows}


def print_projection(p: dict) -> None:
    s = p["split_s_per_ecg_hour"]
    print(f"\nprojection: {p['records']:,} records x {p['record_hours']:.0f} h on {p['cores_per_node']}-core nodes "
          f"({p['workers_per_node']} workers each); per hour of ECG: {p['core_s_per_ecg_hour']:.2f} core-s "
          f"(read {s['read']:.2f}, analysis {s['analysis_without_models']:.2f}, models {s['models']:.2f}, "
          f"write {s['write']:.2f}), {p['input_mb_per_ecg_hour']:.1f} MB in, {p['output_mb_per_ecg_hour']:.1f} MB out; "
          f"storage at {p['assumed_storage_gb_per_s']} GB/s alone needs {p['storage_hours']:.2f} h")
    print(f"{'nodes':>6} {'hours':>8} {'bound by':>9} {'with a GPU/node':>16} {'bound by':>9}")
    for r in p["rows"]:
        print(f"{r['nodes']:>6} {r['hours']:>8.2f} {r['bound']:>9} {r['hours_with_gpu']:>16.2f} {r['bound_with_gpu']:>9}")


def bench_ddp(args, env, tmp: Path) -> dict:
    """1 process vs 2 gloo processes, same seeds and epochs; the seed spread of 1 process for scale."""
    common = ["--epochs", str(args.ddp_epochs), "--data-dir", str(args.data_dir), "--quiet"]
    out = {}
    for seed in args.ddp_seeds:
        for nproc in (1, 2):
            run_dir = tmp / f"ddp_{nproc}_{seed}"
            if nproc == 1:
                cmd = [PY, "-m", "ecg_lstm.classifier.train", "--device", "cpu"]
            else:
                cmd = [PY, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                       "-m", "ecg_lstm.classifier.train", "--backend", "gloo"]
            wall = run(cmd + common + ["--seeds", str(seed), "--out", str(run_dir)], env, f"train x{nproc}")
            cfg = json.loads((run_dir / "beat_lstm.json").read_text())
            v = cfg["validation"]["uncalibrated"]
            out[f"{nproc}proc_seed{seed}"] = {"processes": nproc, "seed": seed, "wall_s": wall, "score": v["score"],
                                              "accuracy": v["accuracy"], "VEB_Se": v["VEB_Se"], "SVEB_Se": v["SVEB_Se"],
                                              "best_epoch": cfg["best_epoch"][0]}
            print(f"train, {nproc} process(es), seed {seed}, {args.ddp_epochs} epochs: {wall:.0f} s; validation "
                  f"score {v['score']:.3f}, accuracy {v['accuracy']:.3f}", flush=True)
    seeds = args.ddp_seeds
    diff = [abs(out[f"1proc_seed{s}"]["score"] - out[f"2proc_seed{s}"]["score"]) for s in seeds]
    out["max_abs_score_diff_1_vs_2"] = max(diff)
    if len(seeds) > 1:
        sc = [out[f"1proc_seed{s}"]["score"] for s in seeds]
        out["seed_spread_1proc"] = max(sc) - min(sc)
        print(f"DDP vs 1 process: |score difference| <= {max(diff):.3f}; spread between seeds (1 process): "
              f"{out['seed_spread_1proc']:.3f}", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=os.environ.get("ECG_DATA_DIR", str(ROOT / "data" / "mitdb")))
    p.add_argument("--repeat", type=int, default=10, help="copies of the 48 records (10: 480 records, 240 h)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--storage-gbs", type=float, default=1.0, help="assumed shared storage bandwidth, GB/s")
    p.add_argument("--node-mem-gb", type=float, default=64.0, help="assumed memory per node")
    p.add_argument("--record-mem-gb", type=float, default=2.5,
                   help="assumed peak memory of one 24-h record (README: 1.9 GB without the classifiers)")
    p.add_argument("--ddp-epochs", type=int, default=4)
    p.add_argument("--ddp-seeds", type=int, nargs="+", default=[1337, 7])
    p.add_argument("--name", help="results file name (default scale.json, or scale_batch/scale_ddp.json with --skip-*)")
    p.add_argument("--skip-batch", action="store_true")
    p.add_argument("--skip-ddp", action="store_true")
    args = p.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "ECG_DATA_DIR": str(args.data_dir)}
    res = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "load_avg_at_start": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="ecg-bench-scale-") as tmp:
        tmp = Path(tmp)
        if not args.skip_batch:
            res["batch"] = bench_batch(args, env, tmp)
            res["projection"] = projection(res["batch"], args.storage_gbs, args.node_mem_gb, args.record_mem_gb)
            print_projection(res["projection"])
        if not args.skip_ddp:
            res["ddp"] = bench_ddp(args, env, tmp)
    res["load_avg_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = args.name or ("scale.json" if not (args.skip_batch or args.skip_ddp) else
                         ("scale_ddp.json" if args.skip_batch else "scale_batch.json"))
    (RESULTS / name).write_text(json.dumps(res, indent=2, default=str))
    print(f"load average {res['load_avg_at_start'][0]:.1f} at start, {res['load_avg_at_end'][0]:.1f} at end "
          f"(2 cores shared: timings are pessimistic); written to {RESULTS / name}")


if __name__ == "__main__":
    main()
