"""Driver side of the peers in benchmarks/perturb_throughput.py: where each venv is, how to start a runner.

Each peer runs ``benchmarks/peers/<tool>_runner.py`` with its own venv's Python and answers the protocol
of ``benchmarks/peers/protocol.py`` (one timed round per command, outputs at the end). A venv that is not
there is reported as "not installed" with the command that creates it, never silently skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
SETUP = "bash benchmarks/setup_peers.sh"


@dataclass(frozen=True)
class PeerSpec:
    tool: str
    venv: Path
    attacks: tuple[str, ...]  # robustx-side attack names this peer has an equivalent for
    env: dict[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def runner(self) -> Path:
        return HERE / "peers" / f"{self.tool}_runner.py"

    @property
    def install(self) -> str:
        return f"{SETUP} {self.tool}"


_TEXTATTACK_VENV = HERE / "textattack_venv"
PEERS: dict[str, PeerSpec] = {
    "nlpaug": PeerSpec("nlpaug", HERE / ".venv-nlpaug", ("keyboard", "charswap")),
    "textattack": PeerSpec(
        "textattack",
        _TEXTATTACK_VENV,
        ("charswap",),
        {"TA_CACHE_DIR": str(_TEXTATTACK_VENV / "textattack_cache")},
    ),
}


class PeerError(RuntimeError):
    """A runner that died or answered out of protocol; the message ends with its stderr."""


def missing(spec: PeerSpec) -> dict[str, Any] | None:
    """None when the peer's venv is usable, else the JSON record saying how to create it."""
    if spec.python.exists():
        return None
    return {"status": "not installed", "venv": _rel(spec.venv), "install": spec.install}


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(HERE.parent))
    except ValueError:
        return str(path)


class PeerProcess:
    """One running runner: ``round(attack)`` -> seconds per language (wall, CPU); ``finish()`` -> outputs
    per attack."""

    def __init__(self, spec: PeerSpec, job: dict[str, Any], tmp: Path) -> None:
        self.spec, self.tool = spec, spec.tool
        job_path, self._out_path = tmp / f"{spec.tool}.job.json", tmp / f"{spec.tool}.out.json"
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        self._log_path = tmp / f"{spec.tool}.stderr.log"
        self._log: IO[str] = open(self._log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **spec.env}
        env.pop("PYTHONPATH", None)  # the peer must import its own venv's packages only
        cmd = [str(spec.python), str(spec.runner), "--input", str(job_path), "--output", str(self._out_path)]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )
        self.ready = self._expect("ready")

    def round(self, attack: str) -> tuple[dict[str, float], dict[str, float]]:
        """One timed round: (wall-clock, process CPU) seconds per language."""
        self._send({"cmd": "round", "attack": attack})
        timed = self._expect("timed")
        wall = {k: float(v) for k, v in timed["per_lang"].items()}
        return wall, {k: float(v) for k, v in timed.get("cpu_per_lang", {}).items()}

    def finish(self) -> dict[str, list[str]]:
        self._send({"cmd": "finish"})
        self._expect("done")
        self._proc.wait(timeout=60)
        self._log.close()
        outputs: dict[str, list[str]] = json.loads(self._out_path.read_text(encoding="utf-8"))["outputs"]
        return outputs

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=30)
        self._log.close()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise PeerError(self._failure("the runner exited")) from None

    def _expect(self, event: str) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise PeerError(self._failure(f"the runner exited before '{event}'"))
        message: dict[str, Any] = json.loads(line)
        if message.get("event") != event:
            raise PeerError(self._failure(f"expected '{event}', got {line.strip()[:200]}"))
        return message

    def _failure(self, what: str) -> str:
        self._log.flush()
        tail = self._log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        return f"{self.tool}: {what}; stderr: {tail}"
