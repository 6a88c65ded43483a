"""Fan the records of an archive out to Ray workers and gather the results.

One Ray actor per worker holds the models (loaded once) and runs
:class:`~ecg_lstm.batch.worker.RecordWorker`. The driver keeps two records in
flight per actor, so an actor never waits for the driver between records, and
saves each result in ``OUT/_state/`` as it arrives: stopping the batch at any
moment loses at most the records being analysed.

Ray Data was considered; plain actors were chosen because the unit of work is
a whole record (one file in, one partition out), there is no shuffle, and the
resume bookkeeping wants one result per record as soon as it is ready.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..errors import ECGError, MissingDependencyError, ModelError
from . import reaper
from .results import STATUS_OK, consolidate, current_state, done_ids, failure_row, save_result
from .sources import RecordTask
from .worker import AnalysisOptions, RecordWorker

#: Records queued per actor: one running, one waiting, so the actor never idles.
IN_FLIGHT = 2


def import_ray():
    """``ray``, with usage statistics off; a clear error when it is not installed."""
    # Ray's usage statistics are opt-out: switch them off before ray is imported (privacy).
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "batch analysis runs on Ray, which is not installed; run `make setup-scale` "
            "(or `pip install -r requirements-scale.txt`)") from None
    return ray


@dataclass
class BatchSummary:
    """What a batch run did (printed at the end by the CLI)."""

    out: Path
    n_records: int
    n_skipped: int
    n_ok: int
    n_failed: int
    wall_s: float
    workers: int
    ecg_hours: float
    failures: list = field(default_factory=list)  # (record_id, error) of this run's failures

    def text(self) -> str:
        rate = f", {self.ecg_hours / (self.wall_s / 3600):.0f} h of ECG per hour" if self.wall_s > 0 and self.ecg_hours else ""
        ran = (f"{self.ecg_hours:.1f} h of ECG in {self.wall_s:.1f} s on {self.workers} worker(s){rate}"
               if self.workers else "nothing to do")
        lines = [f"{self.n_records} records: {self.n_ok} analysed, {self.n_failed} failed, "
                 f"{self.n_skipped} already done (skipped); {ran}",
                 f"results: {self.out}/records.parquet, events.parquet, beats/"]
        for rid, err in self.failures[:10]:
            lines.append(f"  failed: {rid}: {err}")
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more (status == 'failed' in records.parquet)")
        return "\n".join(lines)


def start_ray(address: str | None = None, workers: int | None = None):
    """Connect to the cluster at ``address``, or start a local Ray on this machine.

    The local instance has no dashboard, listens on 127.0.0.1 only, and gets
    ``workers`` CPUs (default: all of this machine's).
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray
    common = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    if address:
        ray.init(address=address, **common)
        return ray
    # A local Ray advertises and binds the machine's network address by default (it may
    # become a cluster head), and ray.init turns 127.0.0.1 into that address. Ray's own
    # switch for single-machine use (named for the platforms where it is the default)
    # makes every Ray server (GCS, raylet, workers) listen on the loopback only.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # inherited by Ray's processes
    # Ray lowers its workers' priority (nice +15) to keep its own servers responsive; here the
    # workers are the whole job, and on a shared machine a niced worker waits behind everyone.
    os.environ.setdefault("RAY_worker_niceness", "0")
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False  # read at call time; ray may be imported already
    ray.init(num_cpus=workers or len(os.sched_getaffinity(0)), **common)
    reaper.watch()  # a driver killed with -9 leaves no Ray process behind
    return ray


def run_batch(tasks: list[RecordTask], out: str | Path, opts: AnalysisOptions = AnalysisOptions(), *,
              address: str | None = None, workers: int | None = None, progress: bool | None = None) -> BatchSummary:
    """Analyse ``tasks`` on Ray into the Parquet archive ``out``; skip what is done, retry what failed.

    Parameters
    ----------
    tasks : records from :func:`~ecg_lstm.batch.sources.find_records`.
    out : archive folder (created). On a cluster every node must see it at the same path
        (a shared file system): workers write the beats there themselves.
    opts : the analysis options (lead, reference beats, models ...).
    address : Ray cluster address ("auto", "ray://host:10001" ...); None starts Ray on this machine.
    workers : number of actors (default: one per CPU of the machine or cluster).
    progress : progress bar (None: only on a terminal).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    state, stale = current_state(out)
    done = done_ids(out, state)
    todo = [t for t in tasks if t.record_id not in done]
    summary = BatchSummary(out, len(tasks), len(tasks) - len(todo), 0, 0, 0.0, 0, 0.0)
    if todo:
        ray = start_ray(address, workers)
        n = workers or max(1, int(ray.available_resources().get("CPU", 1)))
        n = min(n, len(todo))
        summary.workers = n
        actors = _actors(ray, n, out, opts)
        try:
            _check_ready(ray, actors)
            if not address:
                reaper.watch()  # the workers, now started
            _drive(ray, actors, todo, out, summary, progress)
        finally:  # free the workers' CPUs (and the models' memory) now, also after an error
            for a in actors:
                ray.kill(a)
    if todo or stale:
        consolidate(out)
    summary.wall_s = time.perf_counter() - t0
    return summary


def _check_ready(ray, actors: list) -> None:
    """Wait for every actor to load the models; a model that does not load stops the batch with the reason."""
    try:
        errors = [e for e in ray.get([a.ready.remote() for a in actors]) if e]
    except Exception as e:  # noqa: BLE001 - a worker process that cannot even start (import, memory)
        first = (str(e).strip().splitlines() or [""])[-1][:300]
        raise ECGError(f"the Ray workers could not start ({type(e).__name__}: {first}); on a cluster, every "
                       "node needs ecg-lstm and requirements-scale.txt installed") from None
    if errors:  # it would fail every record: stop now
        raise ModelError(errors[0])


def _actors(ray, n: int, out: Path, opts: AnalysisOptions) -> list:
    """``n`` RecordWorker actors; each gets a GPU share where the cluster has GPUs."""
    gpus = float(ray.cluster_resources().get("GPU", 0))
    per_gpu = min(1.0, gpus / n) if gpus else 0.0
    # max_restarts: an actor killed by the OS (memory) comes back for the next records;
    # the record it held is reported failed, not retried forever.
    Actor = ray.remote(RecordWorker).options(num_cpus=1, num_gpus=per_gpu, max_restarts=3, max_task_retries=0)
    return [Actor.remote(str(out.resolve()), opts, "cuda" if per_gpu else "cpu") for _ in range(n)]


def _drive(ray, actors: list, todo: list[RecordTask], out: Path, summary: BatchSummary, progress) -> None:
    queue = deque(todo)
    pending: dict = {}  # object ref -> (task, actor index)
    load = [0] * len(actors)

    def submit(i: int) -> None:
        while queue and load[i] < IN_FLIGHT:
            task = queue.popleft()
            pending[actors[i].run.remote(task)] = (task, i)
            load[i] += 1

    for i in range(len(actors)):
        submit(i)
    with tqdm(total=len(todo), unit="record", desc="batch", disable=None if progress is None else not progress) as bar:
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            task, i = pending.pop(ref)
            load[i] -= 1
            try:
                row, events = ray.get(ref)
            except Exception as e:  # noqa: BLE001 - the worker process died (memory, signal) on this record
                row = failure_row(task.record_id, task.path, f"worker lost while analysing it ({type(e).__name__})",
                                  "WorkerDied")
                row["finished_at"], events = dt.datetime.now(dt.timezone.utc), None
            save_result(out, row, events)
            if row["status"] == STATUS_OK:
                summary.n_ok += 1
                summary.ecg_hours += float(row.get("duration_s") or 0) / 3600
            else:
                summary.n_failed += 1
                summary.failures.append((task.record_id, row["error"]))
            bar.update()
            bar.set_postfix(failed=summary.n_failed, refresh=False)
            submit(i)

