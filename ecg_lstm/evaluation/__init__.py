"""How well the beat classifier does, by the EC57 protocols: the DS2 report
(:mod:`.beat_classifier`, ``make evaluate``), the ablation (:mod:`.ablation`, ``make ablate``)
and the choice of adaptation settings on DS1 (:mod:`.adapt_select`, ``make adapt-select``).
It runs records end to end through :func:`ecg_lstm.analyze.analyze_record`, so it comes after it.
"""
