"""Errors a user can act on: one line, naming the thing at fault; the CLI maps them to exit code 2."""

from __future__ import annotations


class RobustxError(Exception):
    """A usage or input error. ``str(err)`` is the one line shown to the user."""

    exit_code = 2


class DataError(RobustxError):
    """A data file or directory is missing, unreadable or malformed."""


class ModelError(RobustxError):
    """A checkpoint is missing, unreadable, or does not fit the task."""


class SpecError(RobustxError):
    """An attack/task specification string is malformed or names something unknown."""


class RunConflictError(RobustxError):
    """The output directory holds a run with a different configuration."""
