# ecg-lstm: `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DATA   ?= data
DB     ?= mitdb
# A local copy or http mirror of PhysioNet replaces the download source when set.
ECG_MIRROR ?=
export ECG_MIRROR
# Where the dataset, training and evaluation read the database from.
ECG_DATA_DIR ?= $(DATA)/$(DB)

.PHONY: help setup data dashboard test test-slow test-all dataset train ablate evaluate \
        train-rhythm evaluate-rhythm bench bench-qrs bench-dashboard clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed  ## create .venv and install the pinned requirements (with test and benchmark tools)

.PHONY: setup-scale
$(VENV)/.installed-scale: $(VENV)/.installed requirements-scale.txt
	$(PY) -m pip install -q -r requirements-scale.txt
	touch $@

setup-scale: $(VENV)/.installed-scale  ## also install Ray (optional): `python -m ecg_lstm batch`, bench-scale

.PHONY: batch-report
ARCHIVE ?= out/batch
batch-report: setup  ## HTML summary of a batch archive (ARCHIVE=out/batch): AF/PVC burden, HR, top events, failures
	$(PY) -m ecg_lstm.batch.report $(ARCHIVE)

data: setup  ## download MIT-BIH (DB=name for another PhysioNet database) into data/, verified
	$(PY) -m data_scripts.download --db $(DB) --out $(DATA)

dashboard: setup  ## serve the dashboard on http://127.0.0.1:8501 (fetches a few sample records first)
	-$(PY) -m data_scripts.download --db mitdb --out $(DATA) --records 100 119 203 208 233 --quiet
	$(PY) -m streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port 8501

test: setup  ## run the test suite (the slow checks are left to test-slow)
	$(PY) -m pytest -m "not slow" -q

.PHONY: test-fast
test-fast: setup  ## the fast tier: tests on synthetic or shipped signals only (no MIT-BIH, no browser)
	$(PY) -m pytest -m "not slow and not mitdb and not browser" -q

test-slow: setup  ## run only the slow checks
	$(PY) -m pytest -m slow -q

.PHONY: test-hostile
test-hostile: setup  ## hostile inputs (incl. 200 MB uploads) through the reader: bench/results/hostile.txt
	$(PY) tests/hostile_corpus.py --heavy --report bench/results/hostile.txt

dataset: setup  ## build the beat dataset from data/mitdb (cached under data/processed/)
	$(PY) -m ecg_lstm.classifier.dataset --data-dir $(ECG_DATA_DIR)

# Reviewer corrections (<record>.cor files) added to training: `make train CORRECTIONS=DIR` (DS2 refused).
CORRECTIONS ?=
# `make train NPROC=N`: N processes with DistributedDataParallel (torchrun; NCCL on GPUs, gloo on CPUs).
NPROC ?= 1
TRAIN_CMD = $(if $(filter-out 1,$(NPROC)),$(PY) -m torch.distributed.run --standalone --nproc_per_node=$(NPROC) -m ecg_lstm.classifier.train,$(PY) -m ecg_lstm.classifier.train)
train: setup  ## train the beat classifier on DS1 (GPU when present; NPROC=N: N processes, DDP) into runs/, install it
	$(TRAIN_CMD) --data-dir $(ECG_DATA_DIR) --install $(if $(CORRECTIONS),--corrections $(CORRECTIONS))

ablate: setup  ## ablation of the beat classifier (sequence context, RR features) on DS2
	$(PY) -m ecg_lstm.evaluation.ablation --data-dir $(ECG_DATA_DIR)

evaluate: setup  ## EC57 report on DS2 (automatic, adapted, k reviewed beats, first 5 min) into reports/
	$(PY) -m ecg_lstm.evaluation.beat_classifier --data-dir $(ECG_DATA_DIR)

.PHONY: adapt-select
adapt-select: setup  ## compare per-record adaptation settings on DS1 only (held-out records + record-wise CV)
	$(PY) -m ecg_lstm.evaluation.adapt_select --data-dir $(ECG_DATA_DIR)

train-rhythm: setup  ## train the rhythm (atrial fibrillation) classifier on DS1, install it in models/
	$(PY) -m ecg_lstm.rhythm.train --data-dir $(ECG_DATA_DIR) --install

evaluate-rhythm: setup  ## AF episode and duration statistics on DS2 into reports/
	$(PY) -m ecg_lstm.rhythm.evaluate --data-dir $(ECG_DATA_DIR)

.PHONY: bench-af
bench-af: setup  ## paroxysmal AF stress test on DS1 (spliced paroxysms, 200 Hz, second lead, ectopy) into reports/
	$(PY) -m ecg_lstm.rhythm.stress --data-dir $(ECG_DATA_DIR)

.PHONY: explain-index
explain-index: setup  ## similar-beat index of the explainer from DS1 beats (models/explain_index.npz, < 2 MB)
	$(PY) -m ecg_lstm.explain.neighbours --data-dir $(ECG_DATA_DIR)

.PHONY: evaluate-explain
evaluate-explain: setup  ## deletion test of the beat explanations on DS2 into reports/ and models/explain_deletion.png
	$(PY) -m ecg_lstm.explain.faithfulness --data-dir $(ECG_DATA_DIR)

.PHONY: bench-explain
bench-explain: setup  ## time per beat explanation (target < 1 s) into bench/results/explain.json
	$(PY) bench/bench_explain.py --data-dir $(ECG_DATA_DIR)

bench: setup  ## speed and memory of analyze and of the classifier, vs NeuroKit2
	$(PY) bench/bench_speed.py --data-dir $(ECG_DATA_DIR)
	$(PY) bench/bench_classifier.py --data-dir $(ECG_DATA_DIR)
	$(PY) bench/bench_vitals.py

.PHONY: bench-hrv
bench-hrv: setup  ## HRV on all 48 MIT-BIH records: Welch vs Lomb-Scargle coverage, applicability, vs NeuroKit2
	$(PY) bench/bench_hrv.py --data-dir $(ECG_DATA_DIR)

bench-qrs: setup  ## R-peak detection vs wfdb and NeuroKit2 on all 48 MIT-BIH records
	$(PY) bench/bench_qrs.py --data-dir $(ECG_DATA_DIR)

bench-dashboard: setup  ## first page after server up, upload-to-results, jump-to-event, 24 h first-trace and lead-switch times (headless Chromium)
	$(PY) bench/bench_dashboard.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-studies
bench-studies: setup  ## the study store on 24 h and 1,000 studies, SQLite and PostgreSQL, into bench/results/studies.json
	$(PY) bench/bench_studies.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-review
bench-review: setup  ## review tab, template relabel, Adapt and .cor times (30 min and 24 h) into bench/results/review.json
	$(PY) bench/bench_review.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-scale
bench-scale: setup-scale  ## batch on Ray (1, 2 workers) vs the CLI on 480 records, cluster projection, DDP vs 1 process
	$(PY) bench/bench_scale.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-holter
bench-holter: setup  ## 30 min to a 14-day patch: time and peak memory stage by stage, recompute after a correction
	$(PY) bench/bench_holter.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-rate-check
bench-rate-check: setup  ## the sampling-rate screen on MIT-BIH: each record at its true rate, at half and twice it
	$(PY) bench/bench_rate_check.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-inference
bench-inference: setup  ## beat and rhythm networks on a 24 h record: torch vs ONNX Runtime, TorchScript, torch.compile
	$(PY) bench/bench_inference.py --data-dir $(ECG_DATA_DIR)

.PHONY: bench-events
bench-events: setup  ## VT, flutter, block and PAC-in-AF events against the MIT-BIH reference rhythms
	$(PY) bench/bench_events.py --data-dir $(ECG_DATA_DIR)

clean:  ## remove caches and outputs (keeps data/ and .venv/)
	rm -rf out reports .pytest_cache .hypothesis bench/results
