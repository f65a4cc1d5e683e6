"""The operator commands on the daemon's state: `journal check|rebuild` and `reprocess`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toridaemon.journal import JournalError
from toridaemon.journal_repair import NEEDS_REBUILD, JournalRepairError, check, journal_path, rebuild
from toridaemon.logs import configure
from toridaemon.reprocess import ReprocessError, describe, reprocess
from toridaemon.settings import Settings, SettingsError, load_settings
from toridaemon.statelock import LOCK_NAME, StateLock

EXIT_OK, EXIT_NEEDS_REPAIR, EXIT_USAGE, EXIT_UNREPAIRABLE = 0, 1, 2, 3


def _settings(config: str | None) -> Settings | None:
    """The settings, with log lines going to stderr: left unconfigured, structlog wrote them to stdout, amid the
    command's answer."""
    try:
        settings = load_settings(config).settings
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return None
    configure(settings.log_level, settings.log_format)
    return settings


@contextmanager
def daemon_stopped(state_dir: Path) -> Iterator[None]:
    """Hold the daemon's lock, so a rebuild never swaps the journal under a running daemon."""
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = StateLock(state_dir)
    try:
        lock.acquire()
    except BlockingIOError:
        raise JournalRepairError(f"a running toridaemon holds {state_dir / LOCK_NAME}; stop it first") from None
    try:
        yield
    finally:
        lock.release()


def journal_command(action: str, config: str | None) -> int:
    settings = _settings(config)
    if settings is None:
        return EXIT_USAGE
    path = journal_path(settings.state_dir)
    try:
        if action == "check":
            health = check(path, settings.outbox_dir)
            print(f"Journal {path}: {health.condition} ({health.detail}); {health.rows} records, "
                  f"{health.results} results in the outbox.")
            if health.condition in NEEDS_REBUILD:
                print("Run `toridaemon journal rebuild` with the daemon stopped, or restart the daemon.")
                return EXIT_NEEDS_REPAIR
            return EXIT_OK
        if not settings.outbox_dir.is_dir():  # a typo or a missing --config: the rebuild would know no result
            raise JournalRepairError(f"outbox_dir {settings.outbox_dir} is no folder, so a rebuild would know none of "
                                     "its results; give the configuration the daemon runs with")
        with daemon_stopped(settings.state_dir):
            done = rebuild(path, settings.outbox_dir, settings.inbox_dir.resolve(), reason="damaged")
    except JournalRepairError as exc:
        print(f"Cannot {action} the journal: {exc}", file=sys.stderr)
        return EXIT_UNREPAIRABLE
    except OSError as exc:  # the state folder cannot be used: read-only, a file, a FIFO at the lock's path
        where = exc.filename or settings.state_dir
        print(f"Cannot {action} the journal: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREPAIRABLE
    aside = ", ".join(str(p) for p in done.moved_aside) or "nothing (there was no journal)"
    print(f"Rebuilt {path} with {done.rows} records from {settings.outbox_dir}; moved aside: {aside}.")
    return EXIT_OK


def reprocess_command(target: str, config: str | None) -> int:
    settings = _settings(config)
    if settings is None:
        return EXIT_USAGE
    try:
        done = reprocess(settings, target)
    except ReprocessError as exc:
        print(f"Cannot reprocess: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != target else ""
        print(f"Cannot reprocess {target}: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_UNREPAIRABLE
    except JournalError as exc:
        print(f"Cannot reprocess {target}: {exc}", file=sys.stderr)
        return EXIT_UNREPAIRABLE
    print("\n".join(describe(done)))
    return EXIT_OK
