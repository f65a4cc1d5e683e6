"""Settings: source precedence, provenance, and errors that name the field and the source."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toridaemon.settings import DEFAULT_IGNORE, SettingsError, load_settings, read_config_text

# The levels of the documented order, highest priority first.
LEVELS = ("arguments", "environment", "dotenv", "yaml", "credentials", "default")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No stray `.env`, `TORI_*` variable or credentials directory from the machine leaks in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    for name in [name for name in os.environ if name.startswith("TORI_")]:
        monkeypatch.delenv(name)
    yield


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def write_dotenv(path: Path, data: dict[str, str]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in data.items()))
    return path


def credentials_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, str]) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir(exist_ok=True)
    for key, value in data.items():
        (directory / key).write_text(value)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(directory))
    return directory


# ---- precedence --------------------------------------------------------------------------------


@pytest.mark.parametrize("top", range(len(LEVELS)))
def test_each_level_beats_every_level_below_it(top: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels `top..` all set max_attempts to their own value; the value of `top` must win."""
    values = {"arguments": 9, "environment": 8, "dotenv": 7, "yaml": 6, "credentials": 5, "default": 3}
    present = LEVELS[top:]
    overrides = {"max_attempts": values["arguments"]} if "arguments" in present else {}
    environ = {"TORI_MAX_ATTEMPTS": str(values["environment"])} if "environment" in present else {}
    env_file = write_dotenv(tmp_path / "x.env", {"TORI_MAX_ATTEMPTS": str(values["dotenv"])}) \
        if "dotenv" in present else None
    config = write_yaml(tmp_path / "c.yaml", {"max_attempts": values["yaml"]}) if "yaml" in present else None
    if "credentials" in present:
        credentials_dir(tmp_path, monkeypatch, {"TORI_MAX_ATTEMPTS": str(values["credentials"])})

    loaded = load_settings(config, overrides, environ=environ, env_file=env_file)

    assert loaded.settings.max_attempts == values[LEVELS[top]]
    expected_origin = {
        "arguments": "arguments", "environment": "environment", "dotenv": f".env file {env_file}",
        "yaml": f"YAML file {config}", "credentials": "credentials", "default": "default",
    }[LEVELS[top]]
    assert loaded.provenance["max_attempts"] == expected_origin


def test_process_environment_is_read_when_no_mapping_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"max_attempts": 6, "stability_seconds": 0.5})
    monkeypatch.setenv("TORI_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("TORI_CONFIG", str(config))
    loaded = load_settings(None, env_file=None)
    assert loaded.config_file == config
    assert loaded.settings.max_attempts == 8  # environment over YAML
    assert loaded.settings.stability_seconds == 0.5  # YAML named by TORI_CONFIG was read
    assert loaded.provenance["stability_seconds"] == f"YAML file {config}"


def test_default_dotenv_is_read_from_the_working_directory(tmp_path: Path) -> None:
    write_dotenv(tmp_path / ".env", {"TORI_ON_SUCCESS": "keep"})
    loaded = load_settings(None, environ={})
    assert loaded.settings.on_success == "keep"
    assert loaded.provenance["on_success"].startswith(".env file")


def test_config_argument_wins_over_tori_config(tmp_path: Path) -> None:
    chosen = write_yaml(tmp_path / "chosen.yaml", {"max_attempts": 4})
    other = write_yaml(tmp_path / "other.yaml", {"max_attempts": 5})
    loaded = load_settings(chosen, environ={"TORI_CONFIG": str(other)}, env_file=None)
    assert loaded.config_file == chosen
    assert loaded.settings.max_attempts == 4


@pytest.mark.parametrize(("config", "source"), [("missing.yaml", "--config"), (None, "TORI_CONFIG")])
def test_a_named_config_file_must_exist(config: str | None, source: str, tmp_path: Path) -> None:
    environ = {} if config else {"TORI_CONFIG": str(tmp_path / "nowhere.yaml")}
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ=environ, env_file=None)
    assert caught.value.problems[0][:2] == ("config", source)
    assert "no such file" in str(caught.value)


def test_provenance_names_each_source_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"rescan_interval_seconds": 30})
    env_file = write_dotenv(tmp_path / "x.env", {"TORI_ON_SUCCESS": "delete"})
    credentials_dir(tmp_path, monkeypatch, {"TORI_METRICS_PORT": "9999"})
    loaded = load_settings(config, {"max_attempts": 2}, environ={"TORI_LOG_LEVEL": "DEBUG"}, env_file=env_file)
    s = loaded.settings
    assert (s.max_attempts, s.log_level, s.on_success, s.rescan_interval_seconds, s.metrics_port) == (
        2, "debug", "delete", 30.0, 9999)
    assert loaded.provenance["max_attempts"] == "arguments"
    assert loaded.provenance["log_level"] == "environment"
    assert loaded.provenance["on_success"] == f".env file {env_file}"
    assert loaded.provenance["rescan_interval_seconds"] == f"YAML file {config}"
    assert loaded.provenance["metrics_port"] == "credentials"
    assert loaded.provenance["watch_mode"] == "default"
    assert s.watch_mode == "auto"
    assert s.ignore_patterns == DEFAULT_IGNORE
    assert set(loaded.provenance) == set(type(s).model_fields)


def test_a_valid_higher_source_masks_an_invalid_lower_one_and_says_so(tmp_path: Path) -> None:
    """The file's error went unsaid (`check-config`, a reload) until the variable was gone, and the start failed."""
    config = write_yaml(tmp_path / "c.yaml", {"max_attempts": -1, "ocr": "sometimes", "max_concepts": 12})
    loaded = load_settings(config, environ={"TORI_MAX_ATTEMPTS": "4", "TORI_OCR": "off", "TORI_MAX_CONCEPTS": "20"},
                           env_file=None)
    assert loaded.settings.max_attempts == 4 and loaded.settings.ocr == "off"
    masked = [warning for warning in loaded.warnings if "overridden" in warning]
    assert len(masked) == 2, "a valid value overridden is no warning"
    assert masked[0].startswith(f"max_attempts in the YAML file {config} is invalid")
    assert masked[1].startswith(f"ocr in the YAML file {config} is invalid") and "environment" in masked[1]


# ---- section weights as JSON --------------------------------------------------------------------


def test_section_weights_from_environment_json() -> None:
    loaded = load_settings(None, environ={"TORI_SECTION_WEIGHTS": '{"title": 3, "body": 0.5}'}, env_file=None)
    assert loaded.settings.section_weights == {"title": 3.0, "body": 0.5}
    assert loaded.provenance["section_weights"] == "environment"


def test_section_weights_mapping_in_yaml(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"section_weights": {"abstract": 2.5}})
    assert load_settings(config, environ={}, env_file=None).settings.section_weights == {"abstract": 2.5}


@pytest.mark.parametrize("weights", ['{"title": -1}', '{"title": Infinity}', '{"title": 1e308, "body": 1e308}'],
                         ids=["negative", "infinite", "overflowing"])
def test_a_section_weight_out_of_range_names_the_field_and_source(weights: str) -> None:
    """Infinite or overflowing weights made every score NaN, and the result file invalid JSON."""
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"TORI_SECTION_WEIGHTS": weights}, env_file=None)
    field, source, message = caught.value.problems[0]
    assert field.startswith("section_weights")
    assert source == "environment"
    assert "title" in field + message and ("from 0 to 100" in message or "finite" in message)


def test_unparsable_json_in_environment_is_a_settings_error() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"TORI_SECTION_WEIGHTS": "{not json"}, env_file=None)
    assert "section_weights" in str(caught.value)
    assert "environment" in str(caught.value)


def test_unparsable_json_in_environment_is_not_blamed_on_the_yaml_file(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"max_attempts": 4})
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={"TORI_SECTION_WEIGHTS": "{not json"}, env_file=None)
    assert "section_weights" in str(caught.value)
    assert caught.value.problems[0][1] == "environment"
    assert str(config) not in str(caught.value)


# ---- YAML file problems --------------------------------------------------------------------------


def test_unknown_yaml_key_is_rejected_with_file_name(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"max_attempts": 2, "stabilty_seconds": 1})
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    assert caught.value.problems == [("stabilty_seconds", f"YAML file {config}",
                                      "is no setting; did you mean stability_seconds?")]


def test_invalid_yaml_value_names_field_and_file(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"watch_mode": "fanotify"})
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    message = str(caught.value)
    assert "watch_mode" in message
    assert f"YAML file {config}" in message


def test_invalid_yaml_syntax_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text("stability_seconds: [1,\n  oops: : :\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    assert str(config) in str(caught.value)


def test_yaml_that_is_not_a_mapping_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "scalar.yaml"
    config.write_text("just a string\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    assert str(config) in str(caught.value)


@pytest.mark.parametrize(("text", "says"), [
    ("a: " + "[" * 1000 + "]" * 1000 + "\n", "nests too deeply"),  # the YAML parser recurses per level
    ("# padding\n" * 120_000, "larger than"),
])
def test_deeply_nested_or_huge_yaml_is_a_settings_error_naming_the_file(tmp_path: Path, text: str,
                                                                         says: str) -> None:
    config = tmp_path / "odd.yaml"
    config.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={}, env_file=None)
    assert str(config) in str(caught.value) and says in str(caught.value)


def test_a_fifo_at_the_config_path_is_refused_at_once(tmp_path: Path) -> None:
    """Nobody writes to it: reading would block until a writer came (a reload froze the daemon)."""
    config = tmp_path / "fifo.yaml"
    os.mkfifo(config)
    with pytest.raises(SettingsError, match="not a regular file"):
        load_settings(config, environ={}, env_file=None)
    with pytest.raises(ValueError, match="not a regular file"):
        read_config_text(config)


# ---- other sources name themselves ---------------------------------------------------------------


def test_invalid_dotenv_value_names_the_dotenv_file(tmp_path: Path) -> None:
    env_file = write_dotenv(tmp_path / "x.env", {"TORI_MAX_ATTEMPTS": "0"})
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={}, env_file=env_file)
    assert caught.value.problems[0][:2] == ("max_attempts", f".env file {env_file}")


def test_invalid_credential_names_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials_dir(tmp_path, monkeypatch, {"TORI_METRICS_PORT": "70000"})
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={}, env_file=None)
    assert caught.value.problems[0][:2] == ("metrics_port", "credentials")


def test_every_bad_field_is_listed() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {"max_attempts": 0}, environ={"TORI_STABILITY_SECONDS": "-1"}, env_file=None)
    assert {(field, source) for field, source, _ in caught.value.problems} == {
        ("max_attempts", "arguments"), ("stability_seconds", "environment")}


def test_dask_without_scheduler_is_rejected() -> None:
    with pytest.raises(SettingsError, match="dask_scheduler_address"):
        load_settings(None, environ={"TORI_EXECUTOR": "dask"}, env_file=None)


@pytest.mark.parametrize("address", ["garbage", "inproc://", "tcp://:99999", "tcp://127.0.0.1:99999",
                                     "ucx://127.0.0.1:1", "/run/dask.sock", "tcp://10.0.0.5"])
def test_a_scheduler_address_dask_cannot_use_is_rejected_naming_it(address: str) -> None:
    """Each was accepted, and the daemon retried it for ever, never ready, saying only `dask_connect_failed`."""
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"TORI_EXECUTOR": "dask", "TORI_DASK_SCHEDULER_ADDRESS": address}, env_file=None)
    assert [(field, source) for field, source, _ in caught.value.problems] == [
        ("dask_scheduler_address", "environment")]


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "127.0.0.1:8786", "tls://sched.example.org:8786",
                                     "tcp://[::1]:8786", "ws://dask-1:8786", "tcp://proj_scheduler_1:8786",
                                     "tcp://[fe80::1%eth0]:8786", "TCP://localhost:8786"])
def test_scheduler_addresses_dask_takes_are_accepted(address: str) -> None:
    settings = load_settings(None, environ={"TORI_EXECUTOR": "dask", "TORI_DASK_SCHEDULER_ADDRESS": address},
                             env_file=None).settings
    assert settings.dask_scheduler_address == address


# ---- property: invalid values are never accepted -------------------------------------------------

letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ-_ ", min_size=1, max_size=12)


def _not_in(*allowed: str) -> st.SearchStrategy[str]:
    return letters.filter(lambda value: value not in allowed)


INVALID_TEXT: dict[str, st.SearchStrategy[str]] = {
    "max_attempts": st.one_of(st.integers(max_value=0).map(str), st.integers(min_value=101).map(str), letters),
    "max_parallel_workers": st.one_of(st.integers(max_value=0).map(str), st.integers(min_value=257).map(str)),
    "stability_seconds": st.one_of(st.floats(max_value=-1e-9, allow_nan=False).map(repr), letters,
                                   st.just("nan")),
    "file_timeout_seconds": st.one_of(st.floats(max_value=0.0, allow_nan=False).map(repr), letters),
    "metrics_port": st.one_of(st.integers(max_value=-1).map(str), st.integers(min_value=65536).map(str)),
    "watch_mode": _not_in("auto", "inotify", "polling"),
    "on_success": _not_in("move", "delete", "keep"),
    "log_format": _not_in("auto", "json", "console"),
}

# The autouse fixture only isolates the process environment; nothing in it changes between examples.
NO_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]
WRONG_TYPES = st.one_of(st.none(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                        st.integers(), max_size=2), st.floats(min_value=0.1, max_value=0.9))


@settings(max_examples=100, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(data=st.data(), field=st.sampled_from(sorted(INVALID_TEXT)))
def test_invalid_environment_values_are_rejected(data: st.DataObject, field: str) -> None:
    value = data.draw(INVALID_TEXT[field], label="value")
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={f"TORI_{field.upper()}": value}, env_file=None)
    assert (field, "environment") in {(f, s) for f, s, _ in caught.value.problems}


@settings(max_examples=100, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(field=st.sampled_from(["max_attempts", "metrics_port", "watch_mode", "on_success", "log_format",
                              "stability_seconds"]), value=WRONG_TYPES)
def test_wrong_types_in_arguments_are_rejected(field: str, value: object) -> None:
    if field == "stability_seconds" and isinstance(value, float):
        value = -value
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {field: value}, environ={}, env_file=None)
    assert caught.value.problems[0][0] == field
    assert caught.value.problems[0][1] == "arguments"


@settings(max_examples=60, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(field=st.sampled_from(["watch_mode", "on_success", "log_format"]), value=st.data())
def test_bad_literals_in_yaml_are_rejected(field: str, value: st.DataObject) -> None:
    bad = value.draw(INVALID_TEXT[field])
    with tempfile.TemporaryDirectory() as directory:
        config = write_yaml(Path(directory) / "c.yaml", {field: bad})
        with pytest.raises(SettingsError) as caught:
            load_settings(config, environ={}, env_file=None)
    assert caught.value.problems[0][:2] == (field, f"YAML file {config}")


@pytest.mark.parametrize(("variable", "value", "field", "says"), [
    # An unset `${VAR}` in a unit file: the daemon watched, and emptied, its working directory.
    ("TORI_INBOX_DIR", "", "inbox_dir", "is empty"),
    ("TORI_STATE_DIR", "a\0b", "state_dir", "NUL"),
    # Infinity passed every bound, and was logged as `Infinity`, which is no JSON.
    ("TORI_FILE_TIMEOUT_SECONDS", "inf", "file_timeout_seconds", "finite"),
    ("TORI_ENTROPY_THRESHOLD", "Infinity", "entropy_threshold", "finite"),
    # setrlimit overflowed in every worker's start: the pool was rebuilt forever and no file was handled.
    ("TORI_WORKER_MEMORY_LIMIT_MB", "9000000000000", "worker_memory_limit_mb", "less than or equal"),
    ("TORI_MAX_FILE_BYTES", "100000000000000000000", "max_file_bytes", "less than or equal"),
], ids=["empty-directory", "nul-in-path", "infinite-timeout", "infinite-threshold", "huge-memory-cap",
        "huge-file-cap"])
def test_values_no_daemon_can_use_name_the_field_and_source(variable: str, value: str, field: str,
                                                             says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={variable: value}, env_file=None)
    (named, source, message), = caught.value.problems
    assert named == field and source == "environment" and says in message


def test_an_empty_optional_path_is_unset() -> None:
    assert load_settings(None, environ={"TORI_TESSDATA_DIR": ""}, env_file=None).settings.tessdata_dir is None


def test_paths_that_cannot_be_resolved_name_the_field_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"TORI_INBOX_DIR": str(tmp_path / "loop-a")}, env_file=None)
    assert caught.value.problems[0][:2] == ("inbox_dir", "environment")
    with pytest.raises(SettingsError) as caught:  # the config file itself: it was called missing
        load_settings(tmp_path / "loop-a", environ={}, env_file=None)
    assert caught.value.problems[0][0] == "config" and "symbolic links" in caught.value.problems[0][2]


def test_yaml_reads_off_and_no_as_words_and_refuses_a_key_given_twice(tmp_path: Path) -> None:
    """YAML 1.1 made `ocr: off` and `language: no` (Norwegian) booleans, and both were refused; a repeated key
    was silently replaced by its last value."""
    config = tmp_path / "c.yaml"
    config.write_text("ocr: off\nlanguage: no\nrecursive: yes\nembeddings: false\n")
    settings = load_settings(config, environ={}, env_file=None).settings
    assert (settings.ocr, settings.language, settings.recursive, settings.embeddings) == ("off", "no", True, False)
    config.write_text("max_concepts: 5\nmin_concepts: 2\nmax_concepts: 50\n")
    with pytest.raises(SettingsError, match="'max_concepts' is given twice"):
        load_settings(config, environ={}, env_file=None)


def test_a_dotenv_file_shared_with_other_programs_gives_only_its_tori_variables(tmp_path: Path) -> None:
    """Any other variable in `.env` (a compose file's, another tool's) made the whole configuration invalid."""
    env_file = write_dotenv(tmp_path / "x.env", {"COMPOSE_PROJECT_NAME": "docs", "OCR": "off",
                                                  "TORI_MAX_ATTEMPTS": "4"})
    loaded = load_settings(None, environ={}, env_file=env_file)
    assert loaded.settings.max_attempts == 4 and loaded.settings.ocr == "auto"
    write_dotenv(env_file, {"TORI_MAX_ATTEMPS": "4"})
    with pytest.raises(SettingsError, match=r"tori_max_attemps .*did you mean TORI_MAX_ATTEMPTS"):
        load_settings(None, environ={}, env_file=env_file)
    write_dotenv(env_file, {"TORI_CONFIG": str(tmp_path / "other.yaml")})
    with pytest.raises(SettingsError, match="TORI_CONFIG is read from the environment only"):
        load_settings(None, environ={}, env_file=env_file)
    config = tmp_path / "c.yaml"
    config.write_text("max_concept: 3\n")
    with pytest.raises(SettingsError, match=r"max_concept .*did you mean max_concepts"):
        load_settings(config, environ={}, env_file=None)


@pytest.mark.parametrize("text", [
    # One 10 KB pattern named 200 times: 2 MB of settings from 12 KB (a 180 KB file made 2 GB, hashed on the loop).
    "ignore_patterns:\n- &p '" + "x" * 10_000 + "'\n" + "- *p\n" * 200,
    # Lists of lists of lists: a billion items, measured without being walked one by one.
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "ignore_patterns: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
], ids=["string", "nested"])
def test_settings_that_yaml_aliases_blow_up_are_refused_unexpanded(tmp_path: Path, text: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    with pytest.raises(SettingsError, match="characters once its YAML aliases are expanded") as caught:
        load_settings(config, environ={}, env_file=None)
    assert str(config) in str(caught.value)


def test_yaml_merge_keys_still_merge(tmp_path: Path) -> None:
    """The duplicate-key check built the `<<` key itself, which has no constructor: a valid file was refused."""
    config = tmp_path / "c.yaml"
    config.write_text("defaults: &weights {title: 3.0, abstract: 2.0}\n"
                      "section_weights:\n  <<: *weights\n  abstract: 1.0\n")
    with pytest.raises(SettingsError, match="defaults"):  # the anchor's holder is no setting
        load_settings(config, environ={}, env_file=None)
    config.write_text("section_weights:\n  <<: {title: 3.0, abstract: 2.0}\n  abstract: 1.0\n")
    weights = load_settings(config, environ={}, env_file=None).settings.section_weights
    assert weights == {"title": 3.0, "abstract": 1.0}


@pytest.mark.timeout(20)
def test_a_dotenv_that_is_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    """pydantic-settings reads a FIFO at `.env`: every command blocked, and a reload blocked the daemon's loop."""
    env_file = tmp_path / ".env"
    os.mkfifo(env_file)
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={}, env_file=env_file)
    assert str(env_file) in str(caught.value) and "not a regular file" in str(caught.value)
    env_file.unlink()
    env_file.mkdir()  # a folder is no .env, as before
    load_settings(None, environ={}, env_file=env_file)


def test_an_empty_config_option_is_an_error_not_the_defaults() -> None:
    """`--config "$CONF"` with CONF unset ran on the defaults (or on TORI_CONFIG's file), silently."""
    for empty in ("", "  "):
        with pytest.raises(SettingsError) as caught:
            load_settings(empty, environ={}, env_file=None)
        assert "--config" in str(caught.value) and "is empty" in str(caught.value)


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("TORI_LANGUAGE", "xx", "language"),  # two letters, but no language: results claimed "xx"
    ("TORI_LANGUAGE", "ge", "language"),  # a mistyped "de"
    ("TORI_OCR_LANGUAGES", '[""]', "ocr_languages"),
    ("TORI_OCR_LANGUAGES", '["../../x"]', "ocr_languages"),
    ("TORI_INBOX_DIR", "~/inbox", "inbox_dir"),  # not expanded: a folder named "~" was made
    ("TORI_METRICS_HOST", " ", "metrics_host"),  # passed the check, and the start failed
    ("TORI_TESSDATA_DIR", "/etc/passwd", "tessdata_dir"),  # a file, not a folder
    ("TORI_MAX_PAGES", "100000000000000000000000000000000", "max_pages"),
    ("TORI_OCR_MAX_PAGES", "1e32", "ocr_max_pages"),
    ("TORI_DASK_MAX_INFLIGHT", "100000000000", "dask_max_inflight"),
])
def test_values_that_passed_but_were_wrong_are_refused_by_name(variable: str, value: str, named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={variable: value}, env_file=None)
    assert f"{named} (from environment)" in str(caught.value)


def test_real_language_and_tesseract_names_still_pass(tmp_path: Path) -> None:
    environ = {"TORI_LANGUAGE": "no", "TORI_OCR_LANGUAGES": '["eng", "chi_sim", "script/Latin"]',
               "TORI_TESSDATA_DIR": str(tmp_path)}
    loaded = load_settings(None, environ=environ, env_file=None).settings
    assert loaded.language == "no" and loaded.ocr_languages == ("eng", "chi_sim", "script/Latin")
