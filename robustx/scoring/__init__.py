"""Task metrics computed the way published XTREME numbers are, per example so statistics can resample.

* :mod:`robustx.scoring.chunks`: seqeval-style entity chunks and per-sentence tp/fp/fn (NER and POS);
* :mod:`robustx.scoring.squad`: SQuAD v1.1 and MLQA answer normalisation, EM and F1;
* :mod:`robustx.scoring.mining`: cosine / margin retrieval, BUCC mining, threshold and F1;
* :mod:`robustx.scoring.cells`: metrics.json cells (clean, attacked, drop, CIs) from stored records.
"""
