"""Run `finsentry dispatch` as a real subprocess (a webhook pager and an SMTP desk, every alert
to both), and what file mode fires on the same news: the alerts the live stages must deliver."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import orjson

from finsentry.filemode import score_file
from finsentry.models import load_models
from finsentry.settings import Settings
from tests.kafka_helpers import free_port_pair


def file_mode_alerts(news: list[bytes], workdir: Path, model_dir: Path) -> list[dict[str, object]]:
    """`news` scored in file mode with the model in `model_dir`: the alert records, in order."""
    settings = Settings()
    settings.sentiment.model_dir = model_dir
    src, alerts = workdir / "news.jsonl", workdir / "alerts.jsonl"
    src.write_bytes(b"\n".join(news) + b"\n")
    models = load_models(settings, "default", build_default=False)
    score_file(src, workdir / "enriched.jsonl", models, settings, alerts_out=alerts)
    return [orjson.loads(line) for line in alerts.read_bytes().splitlines()]


class DispatcherProc:
    """`finsentry dispatch` as a real subprocess, metrics on `metrics_port + 1`."""

    def __init__(
        self,
        bootstrap: str,
        workdir: Path,
        hook_url: str,
        smtp_port: int,
        env: dict[str, str] | None = None,
        *,
        group: str | None = None,
    ) -> None:
        routing = workdir / "routing.toml"
        routing.write_text(
            f'[receivers.pager]\ntype = "webhook"\nurl = "{hook_url}"\nsecret_env = "HOOK_SECRET"\n\n'
            f'[receivers.desk]\ntype = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\n'
            'tls = "none"\nfrom = "finsentry@example.com"\nto = ["desk@example.com"]\n\n'
            '[default_route]\nreceivers = ["pager", "desk"]\n'
        )
        self.metrics_port = free_port_pair()
        self.log_path = workdir / "dispatcher.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "finsentry.cli", "dispatch", "--routing", str(routing)],
            env={
                **os.environ,
                "FINSENTRY_KAFKA": bootstrap,
                "FINSENTRY_METRICS__PORT": str(self.metrics_port - 1),
                "FINSENTRY_DISPATCH__GROUP_ID": group or f"dispatch-{uuid.uuid4().hex[:8]}",
                "FINSENTRY_DISPATCH__STATE_DIR": str(workdir / "dispatch"),
                "FINSENTRY_DISPATCH__POLL_TIMEOUT_S": "0.2",
                "FINSENTRY_LOG_LEVEL": "INFO",
                "HOOK_SECRET": "hook-secret",
                **(env or {}),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode
