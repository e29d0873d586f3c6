"""Three-phase training (STILTs): base encoder -> English intermediate task(s) -> English target task.

Entry point: :func:`robustx.transfer.pipeline.train`; task catalogue in :mod:`robustx.transfer.catalog`.
Importing this package is cheap (no torch); heavy imports happen inside the functions that train.
"""
