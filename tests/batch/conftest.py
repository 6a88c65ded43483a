"""A local Ray for the batch tests (two workers), started once per test module."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_local():
    pytest.importorskip("ray", reason="ray is not installed: run `make setup-scale` (CI installs it)")
    from ecg_lstm.batch.runner import start_ray

    ray = start_ray(None, workers=2)
    yield ray
    ray.shutdown()
