"""`toridaemon reprocess PATH|SHA`: forget what the daemon knows of one content so it is processed again.

Dedupe is by content: a sha256 with a `done` row makes every later copy a duplicate, and an outcome
file already on disk is reused instead of re-parsed. Forgetting therefore removes the journal's
terminal rows for the sha256, the result files and the failure records that name it; a PDF given from
`processed/` or `failed/` is moved back into the inbox so the running daemon takes it again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toridaemon.fsutil import (
    durable_temp,
    fsync_dir,
    move_to_free_name,
    rename_no_replace,
    staged_name,
    staged_original,
)
from toridaemon.hashing import NotRegularFile, sha256_file
from toridaemon.journal import Journal, JournalError, Recorded
from toridaemon.journal_repair import journal_path, result_source
from toridaemon.outcome import ERROR_SUFFIX, MAX_NAME_BYTES, json_sha
from toridaemon.settings import Settings

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ReprocessError(Exception):
    """The target names no content we can identify."""


@dataclass
class Forgotten:
    sha256: str
    rows: int = 0
    removed: list[Path] = field(default_factory=list)
    requeued: Path | None = None


def sha_of(target: str) -> str:
    """The sha256 a target names: itself, a result JSON's source, or a file's content."""
    if _SHA256.fullmatch(target.lower()):
        return target.lower()
    path = Path(target)
    if path.suffix.lower() == ".json":
        source = result_source(path)
        if source is None:
            raise ReprocessError(f"{path} is not a result file of toridaemon (no source name and sha256 in it)")
        return source[1]
    try:
        return sha256_file(path).sha256
    except (OSError, NotRegularFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReprocessError(f"cannot read {path}: {reason}") from exc


# Where `reprocess` holds the outputs it is forgetting until the journal's records of them are gone: a subfolder of
# the outbox and of failed/, names unchanged, which no listing of `*.json` there sees.
FORGOTTEN = ".tori-forgotten"


def forget_rows(journal: Path, sha256: str, then: Callable[[Recorded], None] = lambda _: None) -> int:
    """Delete the terminal journal rows of this content, pending rows (work in progress) staying, and run `then`
    in the same transaction: when it raises, the rows stay."""
    if not journal.exists():
        if journal.is_symlink() or (journal.parent.exists() and not journal.parent.is_dir()):
            # Not "no journal yet": one that cannot be reached. Forgetting the outputs alone would leave its rows.
            raise JournalError(f"cannot open journal {journal}: a dangling link, or its folder is not a folder")
        then(lambda _: frozenset())
        return 0
    db = Journal(journal, busy_timeout_seconds=5.0)  # beside a running daemon: WAL lets both in
    try:
        return len(db.forget(sha256, then))
    finally:
        db.close()


def settle_forgotten(outbox: Path, failed: Path, recorded: Recorded) -> int:
    """Outputs a `reprocess` that died left set aside (`FORGOTTEN`): back in place when a finished record still names
    them (it died before its commit), deleted when none does (it committed; a copy processed since has records of
    its own, naming its own result). Run under the journal's write lock, so no `reprocess` is between the two;
    returns how many went back. An entry that cannot be settled is left; it stops none of the others."""
    restored = 0
    for folder, section in ((outbox, "source"), (failed, None)):
        aside = folder / FORGOTTEN
        if not _own_folder(aside):  # a symlink there would have its target's files deleted
            continue
        for path in sorted(aside.glob("*.json")):
            sha256 = json_sha(path, section)
            owner = path.name if section else path.name.removesuffix(ERROR_SUFFIX)  # a failure record: its PDF's
            with contextlib.suppress(OSError):
                if sha256 is not None and owner in recorded(sha256) and _put_in_place(path, folder / path.name):
                    restored += 1
                else:
                    path.unlink()
        fsync_dir(folder)
        with contextlib.suppress(OSError):
            aside.rmdir()
    return restored


def _put_in_place(set_aside: Path, path: Path) -> bool:
    """Back at `path`, never over what is there now (a result of the same name is this content's, written since);
    False when the name is taken."""
    try:
        rename_no_replace(set_aside, path)
    except FileExistsError:
        return False
    return True


def _own_folder(path: Path) -> bool:
    """A folder, not a symlink to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _outputs_naming(settings: Settings, sha256: str) -> list[Path]:
    # A name long enough to be cut once lost its ".<sha8>" with the cut (the whole name was cut, at 200 bytes):
    # such results are looked into too.
    named = [p for p in settings.outbox_dir.glob("*.json")
             if f".{sha256[:8]}" in p.name or len(os.fsencode(p.name)) >= MAX_NAME_BYTES]
    results = [p for p in named if json_sha(p, "source") == sha256]
    records = [p for p in settings.failed_dir.glob(f"*{ERROR_SUFFIX}") if json_sha(p, None) == sha256]
    return sorted(results + records)


def reprocess(settings: Settings, target: str) -> Forgotten:
    """Forget one content everywhere, and put its PDF back into the inbox when it was given from
    `processed/` or `failed/`."""
    sha256 = sha_of(target)
    pdf = Path(target)
    requeue = pdf.is_file() and pdf.resolve().parent in (settings.processed_dir.resolve(),
                                                         settings.failed_dir.resolve())
    # The PDF goes into the inbox first, whole, under a hidden name: a full inbox then changes nothing, and a kill
    # from here on leaves it there for the next start to give its name (`recovery.promote_staged`).
    staged, copied = _stage(pdf, settings.inbox_dir) if requeue else (None, False)
    done = Forgotten(sha256)
    aside: list[tuple[Path, Path]] = []

    def set_outputs_aside(recorded: Recorded) -> None:
        # Under the journal's write lock, in the transaction that forgets the records: no try records this content
        # between the listing and the forgetting, and the records stay when an output cannot be moved. The outputs
        # are only set aside here, and deleted once the records are gone: a kill in between leaves both, and the
        # next start or `reprocess` puts them back (`settle_forgotten`).
        settle_forgotten(settings.outbox_dir, settings.failed_dir, recorded)
        for path in _outputs_naming(settings, sha256):
            with contextlib.suppress(FileExistsError):
                (path.parent / FORGOTTEN).mkdir()
            if not _own_folder(path.parent / FORGOTTEN):  # a file or a symlink of that name is in the way
                raise NotADirectoryError(errno.ENOTDIR, "not a folder of its own", str(path.parent / FORGOTTEN))
            os.rename(path, path.parent / FORGOTTEN / path.name)
            aside.append((path, path.parent / FORGOTTEN / path.name))
        for folder in {path.parent for path, _ in aside}:
            fsync_dir(folder)
        if staged is not None and copied:
            pdf.unlink()  # before the copy takes a name the daemon sees: it must not find this one beside it
            fsync_dir(pdf.parent)

    try:
        done.rows = forget_rows(journal_path(settings.state_dir), sha256, set_outputs_aside)
    except BaseException:
        _put_back(aside)
        if staged is not None:
            _unstage(staged, pdf, copied)
        raise
    for path, set_aside in aside:
        set_aside.unlink(missing_ok=True)
        done.removed.append(path)
    _drop_aside_folders(aside)
    if staged is not None:  # never over a file dropped meanwhile
        done.requeued = move_to_free_name(staged, settings.inbox_dir, staged_original(staged.name))
    if not (done.rows or done.removed or done.requeued):  # a mistyped sha256 must not look like success
        raise ReprocessError(f"nothing is known of content {sha256[:12]}…: no journal record, result or failure "
                             "record names it")
    return done


def _put_back(aside: list[tuple[Path, Path]]) -> None:
    """Undo the setting aside of outputs whose records stay (the transaction failed); a kill leaves it to
    `settle_forgotten`."""
    for path, set_aside in aside:
        with contextlib.suppress(OSError):  # a name taken meanwhile (another content's failure) is not replaced
            rename_no_replace(set_aside, path)
    for folder in {path.parent for path, _ in aside}:
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    _drop_aside_folders(aside)


def _drop_aside_folders(aside: list[tuple[Path, Path]]) -> None:
    for folder in {set_aside.parent for _, set_aside in aside}:
        with contextlib.suppress(OSError):  # not empty (a put back that failed): `settle_forgotten` empties it
            folder.rmdir()


def _stage(pdf: Path, inbox: Path) -> tuple[Path, bool]:
    """`pdf` whole in the inbox under its staged name: renamed there, or (another filesystem, or another mount of
    one) copied there first, the original kept for now; returns the staged path and whether it is a copy."""
    staged = inbox / staged_name(pdf.name)
    try:
        rename_no_replace(pdf, staged)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    else:
        fsync_dir(inbox)
        fsync_dir(pdf.parent)
        return staged, False
    with open(pdf, "rb") as handle, durable_temp(inbox, source=handle) as temp:
        rename_no_replace(temp, staged)
    fsync_dir(inbox)
    return staged, True


def _unstage(staged: Path, pdf: Path, copied: bool) -> None:
    """Undo `_stage` after a failure: the copy goes, or the PDF goes back (a kill leaves it to the next start)."""
    with contextlib.suppress(OSError):
        if copied and pdf.exists():
            staged.unlink()
        else:
            rename_no_replace(staged, pdf)


def describe(done: Forgotten) -> list[str]:
    """Sentences for the terminal."""
    lines = [f"Forgot content {done.sha256[:12]}…: {done.rows} journal record(s) removed."]
    lines += [f"Removed {os.fspath(path)}." for path in done.removed]
    if done.requeued is not None:
        lines.append(f"Moved the PDF back into the inbox as {done.requeued}; the daemon processes it again.")
    else:
        lines.append("Put the PDF into the inbox again to get a new result.")
    return lines
