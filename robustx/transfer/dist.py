"""Process-group helpers: the same command runs as one process or under ``torchrun``/``accelerate launch``.

Every rank builds the same data and models; only the main process writes files; ranks meet at a
barrier between phases so the next phase reads what the main process saved.
"""

from __future__ import annotations

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def init(cpu: bool) -> None:
    """Initialise the process group once (gloo on CPU) when launched with several processes."""
    if world_size() > 1:
        from accelerate import PartialState

        PartialState(cpu=cpu, backend="gloo" if cpu else None)


def barrier() -> None:
    if world_size() > 1:
        from accelerate import PartialState

        PartialState().wait_for_everyone()
