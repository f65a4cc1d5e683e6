"""Operator mistakes are refused or named: overlapping directories, misspelled variables, YAML that
is not a mapping, subfolders in the inbox (processed with recursive: true, else counted and logged)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon.cli import main
from toridaemon.settings import SettingsError, load_settings


def _load(tmp_path: Path, environ: dict[str, str]) -> object:
    return load_settings(None, environ=environ, env_file=None)


@pytest.mark.parametrize("other", ["processed_dir", "failed_dir", "outbox_dir", "state_dir"])
def test_a_directory_equal_to_the_inbox_is_refused_naming_both(tmp_path: Path, other: str) -> None:
    environ = {"TORI_INBOX_DIR": str(tmp_path / "in"), f"TORI_{other.upper()}": str(tmp_path / "in")}
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, environ)
    message = str(caught.value)
    assert f"inbox_dir and {other} are the same directory" in message and "(from environment)" in message


def test_a_directory_inside_the_inbox_is_refused_only_when_subfolders_are_processed(tmp_path: Path) -> None:
    environ = {"TORI_INBOX_DIR": str(tmp_path / "in"), "TORI_PROCESSED_DIR": str(tmp_path / "in" / "done")}
    _load(tmp_path, environ)  # ignored subfolder: allowed, as before
    with pytest.raises(SettingsError, match=r"processed_dir .* lies inside inbox_dir and recursive is true"):
        _load(tmp_path, {**environ, "TORI_RECURSIVE": "true"})


def test_overlapping_directories_stop_the_daemon_with_exit_2(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory({"TORI_PROCESSED_DIR": str(dirs.inbox)})
    assert daemon.proc.wait(30) == 2
    event = daemon.event("config_invalid")
    assert event is not None and "inbox_dir and processed_dir are the same directory" in event["error"]


def test_a_misspelled_variable_is_warned_about_with_the_closest_setting(tmp_path: Path) -> None:
    loaded = load_settings(environ={"TORI_INBOX_DIRR": "x", "TORI_CONFIG": "", "TORI_FAULTS": "",
                                    "TORI_ZZZ": "1", "OTHER_INBOX": "y"}, env_file=None)
    assert loaded.warnings == (
        "The environment variable TORI_INBOX_DIRR is not a setting and is ignored; did you mean TORI_INBOX_DIR?",
        "The environment variable TORI_ZZZ is not a setting and is ignored; no setting has a similar name.",
    )


def test_the_daemon_logs_the_misspelled_variable(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory({"TORI_STABILITY_SECOND": "1"})
    daemon.wait_ready()
    warning = daemon.event("config_warning")
    assert warning is not None and "did you mean TORI_STABILITY_SECONDS?" in warning["warning"]


@pytest.mark.parametrize(("text", "kind"), [("1\n", "a single value (1)"), ("- 1\n- 2\n", "a list"),
                                            ("just words\n", "a single value (just words)")])
def test_yaml_that_is_not_a_mapping_is_a_settings_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, kind: str
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    assert main(["check-config", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"(from YAML file {config}): {config} holds {kind}; it must be a mapping" in err
    assert "Traceback" not in err and "dictionary update sequence" not in err


def test_an_empty_yaml_file_means_no_settings_from_it(tmp_path: Path) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text("# nothing set here\n")
    assert load_settings(config, environ={}, env_file=None).provenance["inbox_dir"] == "default"


def _nested_pdf(dirs: Dirs, relative: str) -> Path:
    target = dirs.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = make_pdf(target.parent / f".{target.name}.part", salt=relative)
    os.rename(staged, target)
    return target


def test_subfolders_are_processed_when_recursive(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    _nested_pdf(dirs, "before/start.pdf")  # present at start: the startup scan walks it
    daemon = daemon_factory({"TORI_RECURSIVE": "true"})
    daemon.wait_ready()
    wait_for(lambda: list(dirs.outbox.glob("start.*.json")), 30, what="the startup file in a subfolder")
    (dirs.inbox / "later").mkdir()
    _nested_pdf(dirs, "later/deeper/event.pdf")
    wait_for(lambda: list(dirs.outbox.glob("event.*.json")), 30, what="a file in a new nested subfolder")
    assert daemon.metric("toridaemon_rescan_recovered_total") == 0


def test_subfolders_are_counted_and_logged_when_not_recursive(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    _nested_pdf(dirs, "old/a.pdf")
    daemon = daemon_factory()
    daemon.wait_ready()
    wait_for(lambda: daemon.event("inbox_subfolder_ignored"), 10, what="the startup subfolder logged")
    assert daemon.metric("toridaemon_inbox_subfolders_ignored") == 1
    (dirs.inbox / "new").mkdir()
    wait_for(lambda: daemon.metric("toridaemon_inbox_subfolders_ignored") == 2, 10, what="the new one counted")
    def ignored() -> set[str]:
        return {e["folder"] for e in daemon.events() if e.get("event") == "inbox_subfolder_ignored"}

    wait_for(lambda: ignored() == {"old", "new"}, 5, what="both subfolders logged")
    _nested_pdf(dirs, "top.pdf")
    wait_for(lambda: list(dirs.outbox.glob("top.*.json")), 30, what="the top-level file")
    assert not list(dirs.outbox.glob("a.*.json"))


def test_check_config_names_the_misspelled_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORI_ON_SUCESS", "keep")
    assert main(["check-config"]) == 0
    assert "did you mean TORI_ON_SUCCESS?" in capsys.readouterr().err


def test_output_folders_deleted_while_running_are_made_again_and_files_go_on(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """A clean-up (`rm -r outbox processed failed`) while the daemon ran: every outcome failed with "No such file or
    directory", naming no path, and the files were parsed again and again until a restart. The daemon makes its
    folders at start; it now makes them again when they are gone, and says so."""
    daemon = daemon_factory()
    daemon.wait_ready()
    for folder in (dirs.outbox, dirs.processed, dirs.failed):
        shutil.rmtree(folder)
    make_pdf(dirs.inbox / "good.pdf", salt="good")
    (dirs.inbox / "bad.pdf").write_bytes(b"not a PDF at all")
    wait_for(lambda: list(dirs.outbox.glob("good.*.json")) if dirs.outbox.is_dir() else [], 30, what="a result")
    wait_for(lambda: (dirs.processed / "good.pdf").exists() and (dirs.failed / "bad.pdf").exists(), 30,
             what="both inputs out of the inbox")
    assert (dirs.failed / "bad.pdf.error.json").exists() and not list(dirs.inbox.iterdir())
    folders = {str(dirs.outbox), str(dirs.processed), str(dirs.failed)}

    def made() -> set[str]:
        return {str(e["directory"]) for e in daemon.events() if e.get("event") == "output_directory_made_again"}

    wait_for(lambda: made() == folders, 10, what="a warning for each folder made again")  # logs are written apart
    assert not [e for e in daemon.events() if e.get("event") == "file_retry"]
    assert daemon.stop() == 0


def test_an_inotify_limit_at_start_says_how_out() -> None:
    """The start failed with "[Errno 24] inotify instance limit reached" alone (a machine full of watchers)."""
    import errno

    from toridaemon.daemon import startup_problem

    for code, what in ((errno.EMFILE, "inotify instance limit reached"), (errno.ENOSPC, "inotify watch limit reached")):
        message = startup_problem(OSError(code, what))
        assert what in message and "fs.inotify.max_user_instances" in message and "watch_mode: polling" in message
    assert startup_problem(OSError(errno.EACCES, "Permission denied")) == "[Errno 13] Permission denied"
