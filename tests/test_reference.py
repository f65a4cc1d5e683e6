"""The reference documents match the settings model: regenerate with `python -m toridaemon.reference`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from toridaemon.reference import expected_files
from toridaemon.settings import Settings, load_settings


@pytest.mark.parametrize("path", list(expected_files(REPO)), ids=lambda p: p.name)
def test_generated_document_is_current(path: Path) -> None:
    assert path.read_text() == expected_files(REPO)[path], f"{path.name} is stale: run python -m toridaemon.reference"


def test_every_setting_is_documented_with_a_description() -> None:
    env_example = (REPO / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"TORI_{name.upper()}=" in env_example


def test_the_example_yaml_uncommented_loads_to_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting every line of the example gives a valid file whose values equal the defaults."""
    text = (REPO / "deploy" / "toridaemon.example.yaml").read_text()
    values = yaml.safe_load("\n".join(line[2:] for line in text.splitlines() if line.startswith("# ")))
    config = tmp_path / "example.yaml"
    config.write_text(yaml.safe_dump(values))
    monkeypatch.chdir(tmp_path)
    for key in [key for key in os.environ if key.startswith("TORI_")]:
        monkeypatch.delenv(key)
    loaded = load_settings(config, environ={}, env_file=None)
    defaults = load_settings(None, environ={}, env_file=None)
    assert loaded.settings == defaults.settings
    assert set(values) == set(Settings.model_fields) - {"max_parallel_workers"}


def test_the_example_env_file_uncommented_loads_to_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Uncommenting every line of `.env.example` gave `TORI_MAX_PARALLEL_WORKERS=`, which is invalid."""
    text = (REPO / ".env.example").read_text()
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(line[2:] for line in text.splitlines() if line.startswith("# TORI_")))
    monkeypatch.chdir(tmp_path)
    for key in [key for key in os.environ if key.startswith("TORI_")]:
        monkeypatch.delenv(key)
    loaded = load_settings(None, environ={}, env_file=env_file)
    assert loaded.settings == load_settings(None, environ={}, env_file=None).settings
