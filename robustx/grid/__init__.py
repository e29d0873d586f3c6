"""Evaluation grids at scale: ``robustx grid run`` (models x tasks x languages x attacks x seeds).

spec.py      the grid file (TOML) and its run options, with errors naming file, key and line
plan.py      cells (run directories, as ``robustx evaluate`` writes them) and their shards, content keys
worker.py    runs shards, keeps models/data/attacks between them, reads and fills the cache
schedule.py  which shard a free worker takes (model affinity)
local_backend.py / ray_backend.py   in-process, or Ray actors on a local instance or a cluster
run.py       the driver: plan, run, finish each run as its last shard arrives, summary
"""
