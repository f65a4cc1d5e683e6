"""The shipped unit: its sandbox rating and that systemd accepts it (or its documented fallback)."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "toridaemon.service"
MAX_EXPOSURE = 2.0
NOTIFY_RELOAD_SINCE = 253
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze not installed (apt-get install -y systemd provides it)"
)
EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)")


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False)


def systemd_version() -> int:
    match = re.match(r"systemd (\d+)", analyze("--version").stdout)
    assert match, "unexpected systemd-analyze --version output"
    return int(match.group(1))


def fallback_unit(text: str) -> str:
    """The unit as the comment in it says to adapt it for systemd < 253."""
    replacement = "Type=notify\nExecReload=/bin/kill -HUP $MAINPID"
    fallback, count = re.subn(r"^Type=notify-reload$", replacement, text, flags=re.MULTILINE)
    assert count == 1
    return fallback


def parse_exposure(output: str) -> float:
    match = EXPOSURE.search(output)
    assert match, f"no exposure figure in:\n{output}"
    return float(match.group(1))


def service_section() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser["Service"]


@needs_analyze
def test_security_exposure_is_at_most_two() -> None:
    result = analyze("security", "--offline=true", "--no-pager", str(UNIT))
    exposure = parse_exposure(result.stdout)
    assert exposure <= MAX_EXPOSURE, result.stdout


def test_exposure_parser_reads_the_figure() -> None:
    assert parse_exposure("→ Overall exposure level for toridaemon.service: 0.9 SAFE 😀") == 0.9
    assert parse_exposure("→ Overall exposure level for x.service: 9.6 UNSAFE 😨") == 9.6


@needs_analyze
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """Verify the unit as shipped, or on systemd < 253 the fallback its comment documents."""
    text = UNIT.read_text()
    if systemd_version() < NOTIFY_RELOAD_SINCE:
        text = fallback_unit(text)
    unit = tmp_path / UNIT.name
    unit.write_text(text)
    result = analyze("verify", "--man=no", str(unit))
    # ExecStart names the installed binary, which a development machine lacks.
    problems = [line for line in result.stderr.splitlines() if "/usr/bin/toridaemon is not executable" not in line]
    assert problems == []


def test_unit_keeps_the_promised_settings() -> None:
    service = service_section()
    assert service["Type"] == "notify-reload"
    assert service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "30"
    assert service["ExecStart"] == "/usr/bin/toridaemon run --config /etc/toridaemon/toridaemon.yaml"
    assert "LoadCredential" in service
    assert "MemoryDenyWriteExecute" in service
    assert service["CacheDirectory"] == "toridaemon"  # $CACHE_DIRECTORY: what workers derive, kept (warmcache)


def test_the_daemon_is_restarted_until_it_can_start() -> None:
    """A full state disk at start is exit 3 (cannot start now); a start limit of five in five minutes left the
    daemon down for good after the disk was freed."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    assert parser["Unit"]["StartLimitIntervalSec"] == "0" and "StartLimitBurst" not in parser["Unit"]
    service = service_section()
    assert service["Restart"] == "on-failure" and "RestartPreventExitStatus" not in service
    assert float(service["RestartSec"]) >= 1


def words(key: str) -> set[str]:
    """Every word assigned to `key` across all its lines (systemd merges repeated list settings)."""
    lines = re.findall(rf"^{key}=(.*)$", UNIT.read_text(), re.MULTILINE)
    return {word for line in lines for word in line.split()}


def test_daemon_paths_are_state_directories_and_writable() -> None:
    state_dirs, writable = words("StateDirectory"), words("ReadWritePaths")
    env_paths = dict(re.findall(r"^Environment=TORI_(\w+)_DIR=(\S+)$", UNIT.read_text(), re.MULTILINE))
    assert set(env_paths) == {"INBOX", "OUTBOX", "PROCESSED", "FAILED", "STATE"}
    for path in env_paths.values():
        assert path in writable
        assert path.removeprefix("/var/lib/") in state_dirs


def test_fallback_swaps_only_the_type_line() -> None:
    fallback = fallback_unit(UNIT.read_text())
    assert "\nType=notify\nExecReload=/bin/kill -HUP $MAINPID\n" in fallback
    assert re.search(r"^Type=notify-reload$", fallback, re.MULTILINE) is None
