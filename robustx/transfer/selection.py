"""Model selection on the English dev subset, hooked into ``Trainer`` through a callback.

At every checkpoint save the main process scores the model on the dev subset, appends the score to
``dev_scores.json`` and, when it is the best so far, keeps the trainable weights in
``best.safetensors`` (atomic writes). Both survive an interruption, so a resumed phase selects
exactly as an uninterrupted one. The callback also times optimizer steps and prints progress.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from robustx.store import atomic_write_json
from robustx.transfer.heads import trainable_state

Scorer = Callable[[Any], dict[str, Any]]
Stamp = Callable[[Path, dict[str, Any]], None]


class Selector:
    def __init__(self, work_dir: Path, scorer: Scorer, stamp: Stamp | None = None, every: int = 1) -> None:
        self.work_dir, self.scorer, self.stamp, self.every = work_dir, scorer, stamp, every
        self.scores_path = work_dir / "dev_scores.json"
        self.best_path = work_dir / "best.safetensors"

    def history(self) -> list[dict[str, Any]]:
        if not self.scores_path.is_file():
            return []
        return list(json.loads(self.scores_path.read_text(encoding="utf-8")))

    def due(self, step: int, max_steps: int) -> bool:
        """Dev scoring every ``every`` steps and at the last step; other checkpoints only resume."""
        return step % self.every == 0 or step >= max_steps

    def mark(self, checkpoint: Path) -> None:
        """Stamp a checkpoint that is not scored with the latest score so far."""
        history = self.history()
        if self.stamp is not None and checkpoint.is_dir():
            self.stamp(checkpoint, history[-1] if history else {"step": 0})

    def best(self) -> dict[str, Any] | None:
        history = self.history()
        return max(history, key=lambda r: (r["score"], -r["step"])) if history else None

    def score(self, model: Any, step: int, checkpoint: Path | None) -> dict[str, Any]:
        was_training = model.training
        model.eval()
        started = time.perf_counter()
        try:
            result = {**self.scorer(model), "step": step}
        finally:
            model.train(was_training)
        result["seconds"] = round(time.perf_counter() - started, 3)
        previous = self.best()
        history = [r for r in self.history() if r["step"] != step] + [result]
        if previous is None or result["score"] > previous["score"]:
            self._save_best(model)
        atomic_write_json(self.scores_path, history)
        if checkpoint is not None and self.stamp is not None and checkpoint.is_dir():
            self.stamp(checkpoint, result)
        return result

    def _save_best(self, model: Any) -> None:
        from safetensors.torch import save_file

        fd, tmp = tempfile.mkstemp(prefix=".best.", suffix=".tmp", dir=self.work_dir)
        os.close(fd)
        try:
            save_file(trainable_state(model), tmp)
            os.replace(tmp, self.best_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_best(self, model: Any) -> dict[str, Any] | None:
        """Put the selected weights into ``model``; returns the selected score record."""
        from safetensors.torch import load_file

        best = self.best()
        if best is None or not self.best_path.is_file():
            return None
        missing, unexpected = model.load_state_dict(load_file(str(self.best_path)), strict=False)
        if unexpected:
            raise RuntimeError(f"{self.best_path} does not fit the model ({unexpected[:3]})")
        return best


class Progress:
    """Step timing (optimizer steps only, not dev scoring) and one-line progress reports."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet = label, quiet
        self.step_seconds: list[float] = []
        self._started: float | None = None

    def begin(self) -> None:
        self._started = time.perf_counter()

    def end(self) -> None:
        if self._started is not None:
            self.step_seconds.append(time.perf_counter() - self._started)
            self._started = None

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"[{self.label}] {text}", file=sys.stderr, flush=True)

    def mean_step(self) -> float | None:
        return sum(self.step_seconds) / len(self.step_seconds) if self.step_seconds else None


def make_callback(selector: Selector, progress: Progress) -> Any:
    """A ``TrainerCallback`` wiring the selector and the progress reports into ``Trainer``."""
    from transformers import TrainerCallback

    class RobustxCallback(TrainerCallback):
        def __init__(self) -> None:
            self.checked_resume = False

        def on_step_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            if not self.checked_resume:
                self.checked_resume = True
                self._score_resumed(args, state, model)
            progress.begin()

        def _score_resumed(self, args: Any, state: Any, model: Any) -> None:
            """A kill between a checkpoint and its dev score: score the resumed weights first."""
            done = {r["step"] for r in selector.history()}
            step = state.global_step
            if (
                state.is_world_process_zero
                and step > 0
                and step not in done
                and selector.due(step, state.max_steps)
            ):
                selector.score(
                    model, state.global_step, Path(args.output_dir) / f"checkpoint-{state.global_step}"
                )

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            progress.end()

        def on_save(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            if not state.is_world_process_zero:
                return
            checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if not selector.due(state.global_step, state.max_steps):
                selector.mark(checkpoint)
            else:
                result = selector.score(model, state.global_step, checkpoint)
                progress.say(
                    f"step {state.global_step}/{state.max_steps}: dev {result['metric']} {result['score']:.2f}"
                )

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if state.is_world_process_zero and logs and "loss" in logs:
                mean = progress.mean_step()
                timing = f", {mean:.3f} s/step" if mean else ""
                progress.say(f"step {state.global_step}/{state.max_steps}: loss {logs['loss']:.4f}{timing}")

    return RobustxCallback()
