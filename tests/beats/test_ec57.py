"""EC57 arithmetic against hand-computed values."""
import numpy as np
import pytest

from ecg_lstm.beats.ec57 import confusion, ec57_stats, end_to_end_confusion, expected_calibration_error, match_beats

# rows: reference N S V F Q; columns: predicted N S V F Q
CM = np.array([
    [100, 4, 2, 1, 0],   # N
    [5, 20, 1, 0, 1],    # S
    [3, 2, 40, 1, 1],    # V
    [2, 0, 6, 10, 0],    # F
    [1, 1, 1, 0, 2],     # Q
])


def test_gross_statistics_by_hand():
    st = ec57_stats(CM)
    # SVEB: TP=Ss=20, FN=Sn+Sv+Sf+Sq=7, FP=Ns+Vs+Fs=6 (the Q row does not count)
    assert st["SVEB_TP"] == 20 and st["SVEB_FN"] == 7 and st["SVEB_FP"] == 6
    assert st["SVEB_Se"] == pytest.approx(20 / 27)
    assert st["SVEB_P"] == pytest.approx(20 / 26)
    # VEB: TP=40, FN=3+2+1+1=7, FP=Nv+Sv=3: F called V (6) is not a false positive, nor Q called V
    assert st["VEB_TP"] == 40 and st["VEB_FN"] == 7 and st["VEB_FP"] == 3
    assert st["VEB_P"] == pytest.approx(40 / 43)
    # VEB TN: non-Q beats outside row V and column V: 107+27+18 - (2+1+6) = 143
    assert st["VEB_FPR"] == pytest.approx(3 / (3 + 143))
    assert st["accuracy"] == pytest.approx((100 + 20 + 40 + 10 + 2) / CM.sum())
    assert st["Se_F"] == pytest.approx(10 / 18) and st["P_N"] == pytest.approx(100 / 111)


def test_confusion_counts_and_empty_classes():
    cm = confusion([0, 0, 1, 2, 2], [0, 1, 1, 2, 0])
    assert cm.tolist()[:3] == [[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 1, 0, 0]]
    st = ec57_stats(confusion([0, 0], [0, 0]))
    assert st["SVEB_Se"] is None and st["accuracy"] == 1.0


def test_matching_closest_first_one_to_one():
    ref = np.array([100, 200, 300, 1000])
    det = np.array([105, 190, 195, 560, 1040])
    mr, md = match_beats(ref, det, tol=50)
    assert mr.tolist() == [0, 1, 3] and md.tolist() == [0, 2, 4]  # 195 beats 190 for ref 200; 300 unmatched


def test_end_to_end_missed_and_extra():
    ref_s, ref_y = np.array([100, 200, 300]), np.array([0, 1, 2])      # N S V
    det_s, det_y = np.array([101, 305, 700]), np.array([0, 2, 1])      # N, V, extra S
    cm = end_to_end_confusion(ref_s, ref_y, det_s, det_y, tol=54)
    assert cm[0, 0] == 1 and cm[2, 2] == 1 and cm[1, 5] == 1 and cm[5, 1] == 1
    st = ec57_stats(cm)
    assert st["SVEB_Se"] == 0.0 and st["SVEB_FP"] == 1 and st["VEB_Se"] == 1.0
    assert st["accuracy"] == pytest.approx(2 / 4)  # 3 reference beats + 1 extra


def test_ece():
    probs = np.array([[0.9, 0.1, 0, 0, 0]] * 10)
    labels = np.array([0] * 9 + [1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-12)
    labels = np.array([0] * 5 + [1] * 5)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.4)
