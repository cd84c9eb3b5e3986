"""Run `finsentry worker` as a real subprocess against the test broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.kafka_helpers import free_port_pair

READY_LINE = "enrich stage reading"


class WorkerProc:
    def __init__(
        self, bootstrap: str, app_id: str, workdir: Path, *, model: str = "noop", env: dict[str, str] | None = None
    ):
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"worker-{app_id}-{time.monotonic_ns()}.log"
        self.metrics_port = free_port_pair()
        full_env = {
            **os.environ,
            "FINSENTRY_KAFKA": bootstrap,
            "FINSENTRY_STREAM__APP_ID": app_id,
            "FINSENTRY_STREAM__DATA_DIR": str(workdir / "faust"),
            "FINSENTRY_METRICS__PORT": str(self.metrics_port),
            "FINSENTRY_LOG_LEVEL": "INFO",
            "COLUMNS": "200",
            **(env or {}),
        }
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "finsentry.cli", "worker", "--model", model],
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if READY_LINE in self.log():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready in {timeout_s}s:\n{self.log()[-4000:]}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)
