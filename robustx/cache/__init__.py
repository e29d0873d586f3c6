"""Content-addressed cache shared by every run and worker: perturbations and clean predictions.

Layout under ``$ROBUSTX_CACHE/cas/`` (default ``~/.cache/robustx/cas/``)::

    perturb/<ab>/<key>.json.gz    one shard's perturbations (robustx.cache.perturbations)
    clean/<ab>/<key>.npy|.json    one shard's clean-pass predictions (robustx.cache.predictions)

A key is the sha256 of everything its value depends on, so an entry is never stale, only unused;
deleting the folder at any time is safe. Writes are atomic (temp file + rename in the same folder):
concurrent workers that compute the same entry write identical bytes, and a reader never sees a
partial file.
"""

from __future__ import annotations

from robustx.cache.cas import ContentStore, cas_root, digest

__all__ = ["ContentStore", "cas_root", "digest"]
