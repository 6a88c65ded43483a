"""Runs and gaps in masks (ecg_lstm.signal.spans): hand-counted runs, the edges, NaN bridging."""
import numpy as np
import pytest

from ecg_lstm.signal.spans import blocks, bridge_gaps, long_runs, runs


def _mask(text: str) -> np.ndarray:
    """'.##.#' -> [F, T, T, F, T]: masks written so the runs can be counted by eye."""
    return np.array([c == "#" for c in text], dtype=bool)


@pytest.mark.parametrize("text,starts,lengths", [
    ("..###..#.##", [2, 7, 9], [3, 1, 2]),
    ("##...#", [0, 5], [2, 1]),            # runs touching both ends
    ("######", [0], [6]),                  # all True: one run
    ("......", [], []),                    # no run
    ("", [], []),                          # empty mask
    ("#.#.#", [0, 2, 4], [1, 1, 1]),       # single-sample runs
])
def test_runs_hand_counted(text, starts, lengths):
    """Start and length of every True run, as counted by eye in the mask."""
    s, n = runs(_mask(text))
    assert s.tolist() == starts and n.tolist() == lengths


def test_runs_rebuild_the_mask():
    """The runs cover exactly the True samples of a random mask: RLE loses nothing."""
    m = np.random.default_rng(0).random(500) < 0.3
    s, n = runs(m)
    rebuilt = np.zeros_like(m)
    for a, k in zip(s, n):
        rebuilt[a:a + k] = True
    assert np.array_equal(rebuilt, m)
    assert np.all(n > 0) and np.all(np.diff(s) > n[:-1])  # runs apart from each other


def test_runs_of_an_int_mask():
    """A 0/1 integer mask reads like a boolean one (callers pass label comparisons and counts)."""
    s, n = runs(np.array([0, 1, 1, 0, 1]))
    assert s.tolist() == [1, 4] and n.tolist() == [2, 1]


@pytest.mark.parametrize("text,min_len,want", [
    ("..###..#.##", 2, "..###....##"),    # the single sample goes
    ("..###..#.##", 3, "..###......"),    # only the 3-run stays
    ("..###..#.##", 4, "..........."),    # none is long enough
    ("###..##", 3, "###...."),            # run at the start
    ("..#.###", 3, "....###"),            # run at the end
    ("#####", 5, "#####"),                # all True, exactly min_len
    ("#####", 6, "....."),                # all True, too short
    ("", 1, ""),                          # empty
])
def test_long_runs_keeps_only_long_runs(text, min_len, want):
    out = long_runs(_mask(text), min_len)
    assert out.dtype == bool and out.shape == (len(text),)
    assert np.array_equal(out, _mask(want))


def test_long_runs_min_len_one_is_identity():
    m = np.random.default_rng(1).random(300) < 0.5
    assert np.array_equal(long_runs(m, 1), m)


def test_bridge_gaps_without_gaps():
    """A finite lead comes back as is, with no gap mask."""
    x = np.array([1.0, 2.0, 3.0])
    out, gaps = bridge_gaps(x)
    assert gaps is None and np.array_equal(out, x)


def test_bridge_gaps_linear_bridge_and_mask():
    """NaN/inf samples are filled on the straight line between their finite neighbours, the
    input is left untouched, and the mask marks exactly the filled samples."""
    x = np.array([0.0, np.nan, np.nan, 3.0, 4.0, np.inf, 6.0])
    before = x.copy()
    out, gaps = bridge_gaps(x)
    assert gaps.tolist() == [False, True, True, False, False, True, False]
    np.testing.assert_allclose(out, [0, 1, 2, 3, 4, 5, 6])
    assert np.array_equal(np.isnan(x), np.isnan(before))  # the caller's array is not filled in place
    assert np.isfinite(out).all()


def test_bridge_gaps_at_the_ends_hold_the_nearest_value():
    """A gap at the start or end has one neighbour only: it holds that value (np.interp's edges)."""
    x = np.array([np.nan, np.nan, 5.0, 7.0, np.nan])
    out, gaps = bridge_gaps(x)
    np.testing.assert_allclose(out, [5, 5, 5, 7, 7])
    assert gaps.tolist() == [True, True, False, False, True]


def test_blocks_cover_the_signal_once_with_clipped_context():
    """Blocks of 4 samples with 2 of context: every sample in exactly one block, context cut at the ends."""
    out = list(blocks(10, 4, 2))
    assert out == [(0, 0, 6), (4, 2, 10), (8, 6, 10)]
    assert list(blocks(0, 4, 2)) == []
