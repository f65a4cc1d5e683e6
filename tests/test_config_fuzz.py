"""Config fuzz: invalid YAML and environment values are never accepted, and nothing else escapes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toridaemon.settings import Settings, SettingsError, load_settings

NEGATIVE = st.one_of(st.integers(max_value=-1), st.floats(max_value=-0.001, allow_nan=False))
NOT_A_NUMBER = st.sampled_from(["abc", "1e", "--5", "", "null-ish", "[1]", "{}", "one"])
BAD_VALUES: dict[str, st.SearchStrategy[object]] = {
    "max_parallel_workers": st.one_of(st.integers(max_value=0), st.integers(min_value=257), NOT_A_NUMBER),
    "file_timeout_seconds": st.one_of(NEGATIVE, st.just(0), NOT_A_NUMBER),
    "stability_seconds": st.one_of(NEGATIVE, NOT_A_NUMBER),
    "rescan_interval_seconds": st.one_of(NEGATIVE, st.just(0), NOT_A_NUMBER),
    "max_file_bytes": st.one_of(st.integers(max_value=0), NOT_A_NUMBER),
    "max_pages": st.one_of(st.integers(max_value=0), NOT_A_NUMBER),
    "metrics_port": st.one_of(st.integers(max_value=-1), st.integers(min_value=65536), NOT_A_NUMBER),
    "max_attempts": st.one_of(st.integers(max_value=0), st.integers(min_value=101), NOT_A_NUMBER),
    "watch_mode": st.text(min_size=1).filter(lambda s: s not in ("auto", "inotify", "polling")),
    "on_success": st.text(min_size=1).filter(lambda s: s not in ("move", "delete", "keep")),
    "log_format": st.text(min_size=1).filter(lambda s: s not in ("auto", "json", "console")),
    "log_level": st.text(min_size=1).filter(lambda s: s.lower() not in ("debug", "info", "warning", "error")),
}
FIELD_AND_VALUE = st.sampled_from(sorted(BAD_VALUES)).flatmap(lambda f: st.tuples(st.just(f), BAD_VALUES[f]))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for key in [key for key in os.environ if key.startswith("TORI_")]:
        monkeypatch.delenv(key)
    yield


@FUZZ
@given(FIELD_AND_VALUE)
def test_invalid_yaml_values_are_rejected_naming_field_and_file(tmp_path: Path, case: tuple[str, object]) -> None:
    field, value = case
    config = tmp_path / "fuzz.yaml"
    config.write_text(yaml.safe_dump({field: value}))
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    assert any(problem[0].startswith(field) and str(config) in problem[1] for problem in caught.value.problems)


@FUZZ
@given(FIELD_AND_VALUE)
def test_invalid_environment_values_are_rejected_naming_the_environment(case: tuple[str, object]) -> None:
    field, value = case
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={f"TORI_{field.upper()}": str(value)}, env_file=None)
    assert any(problem[1] == "environment" for problem in caught.value.problems)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_yaml_text_loads_or_is_a_settings_error(tmp_path: Path, text: str) -> None:
    config = tmp_path / "any.yaml"
    config.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        loaded = load_settings(config, environ={}, env_file=None)
    except SettingsError:
        return
    assert isinstance(loaded.settings, Settings)


@FUZZ
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.integers() | st.text(max_size=10), min_size=1))
def test_unknown_keys_are_never_accepted(tmp_path: Path, data: dict[str, object]) -> None:
    unknown = {key: value for key, value in data.items() if key not in Settings.model_fields}
    if not unknown:
        return
    config = tmp_path / "keys.yaml"
    config.write_text(yaml.safe_dump(unknown))
    with pytest.raises(SettingsError):
        load_settings(config, environ={}, env_file=None)
