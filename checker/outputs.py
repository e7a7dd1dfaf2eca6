"""Output files: never an input, never two outputs in one file, never through a symbolic link
unless forced, and written whole or not at all.

`refuse_clobbering` runs before anything is opened for writing; each refusal is one line naming
the option (`--quarantine: is the same file as an input log; …`). `atomic_output` writes a file
beside the target and renames it into place, so a run that fails half-way (a full disk) leaves
the old file as it was. OSErrors become one line naming the option and what went wrong
(`--output: no space left on device`), never a traceback.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import IO, Iterable, Iterator

from .errors import CheckerError

# Ours, worded for people; other errnos get the system's own words.
_WORDS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "is a directory",
    errno.EFBIG: "file too large",
}


def describe_oserror(exc: OSError) -> str:
    """An OSError in a few plain words, without the path it names (the option says which)."""
    if exc.errno in _WORDS:
        return _WORDS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def _same_file(a: str, b: str) -> bool:
    """Do two paths name one file (the same resolved path, or a hard link to it)?"""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): then only the resolved paths could match
        return False


def _writes_in_place(path: str) -> bool:
    """A character device or a pipe (/dev/null, a named pipe): written directly, destroys nothing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def refuse_clobbering(outputs: Iterable[tuple[str, str | None]], inputs: Iterable[tuple[str, str | None]], *, force: bool = False) -> None:
    """outputs: (option, path) this run will write; inputs: (role, path) it reads. Refuses (a
    CheckerError naming the option, before anything is written) an output that is an input, two
    outputs naming one file, an output that is a directory or whose directory does not exist, and
    a symbolic link at an output path unless `force`. None and "-" (stdout/stdin) are skipped."""
    written = [(option, str(path)) for option, path in outputs if path is not None and str(path) != "-"]
    read = [(role, str(path)) for role, path in inputs if path is not None and str(path) != "-"]
    for index, (option, path) in enumerate(written):
        if not path.strip():  # `--state "$STATE"` with STATE unset: never quietly a one-off run
            raise CheckerError(f"{option}: the file name is empty; give a file name")
        if os.path.islink(path) and not force and not _writes_in_place(path):
            raise CheckerError(f"{option}: is a symbolic link; refused, nothing was written (use --force to write to the file it points to)")
        if os.path.isdir(path):
            raise CheckerError(f"{option}: is a directory; give a file name")
        if path.endswith(("/", os.sep)):  # (`-o reports/` for a directory not made yet: a file "reports" was written)
            raise CheckerError(f"{option}: names a directory (it ends with /), which does not exist; give a file name, nothing was written")
        directory = os.path.dirname(os.path.realpath(path)) or "."
        if not os.path.isdir(directory):
            raise CheckerError(f"{option}: its directory does not exist")
        if not os.access(directory, os.W_OK):
            raise CheckerError(f"{option}: cannot write in its directory (permission denied or a read-only file system); nothing was written")
        for role, source in read:
            if _same_file(path, source):
                raise CheckerError(f"{option}: is the same file as {role}; refused, nothing was written (clinimg never overwrites its input)")
        kept = _holds_a_record(path, event_log=option not in ("--state", "--quarantine", "--decision-log"))
        if kept is not None and option not in ("--state", "--decision-log"):
            # (not an input of this run, but what the nights depend on: `-o state.sqlite` without
            # --state, a report over last night's log)
            raise CheckerError(f"{option}: the file there holds {kept}; refused, nothing was written (clinimg never replaces one with "
                               "an output: give another file name, or remove it first if it is really to go)")
        for other, other_path in written[:index]:
            if _same_file(path, other_path):
                raise CheckerError(f"{option}: is the same file as {other}; refused, nothing was written (each output needs its own file)")


def _holds_a_record(path: str, *, event_log: bool) -> str | None:
    """What an existing regular file at an output path holds that an output must never replace:
    a SQLite database (a --state store: every night's state and report), with `event_log` a log
    of events (its first non-blank line a JSON object with event_id, type and occurred_at), or
    Rego (a policy file). None otherwise, or when it cannot be read (writing it says why)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            head = handle.read(16)
            if head.startswith(b"SQLite format 3\x00"):
                return "an SQLite database (a --state store?)"
            if path.endswith(".rego"):
                return "Rego (a policy file)"
            if not event_log:
                return None
            from .audit.reader import first_line  # (here only: outputs is below the audit)

            handle.seek(0)
            first = first_line(handle)
    except OSError:
        return None
    import json

    try:
        line = json.loads(first or b"")
    except ValueError:
        return None
    if isinstance(line, dict) and {"event_id", "type", "occurred_at"} <= line.keys():
        return "a log of events"
    return None


def files_under(directories: Iterable[str | os.PathLike[str]], limit: int = 10_000) -> list[str]:
    """The files in these directories (for refusing an output that would overwrite one)."""
    found: list[str] = []
    for directory in directories:
        for root, _dirs, names in os.walk(directory):
            found.extend(os.path.join(root, name) for name in names)
            if len(found) >= limit:
                return found
    return found


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], option: str) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through: a temporary file in the same directory, renamed over
    `path` when the block ends without error (else removed: `path` keeps what it held). Through a
    symbolic link (allowed by refuse_clobbering only with --force) the file it points to is
    replaced and the link kept. A device or pipe is written directly."""
    target = os.path.realpath(path)
    # (/dev/stdout is a link to /proc/self/fd/1, which realpath cannot follow to a pipe: the path
    # itself is asked too)
    direct_path = target if _writes_in_place(target) else str(path) if _writes_in_place(str(path)) else None
    if direct_path is not None:
        try:
            with open(direct_path, "wb") as direct:
                yield direct
        except OSError as exc:
            raise CheckerError(f"{option}: cannot write ({describe_oserror(exc)})") from None
        return
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:  # a new file: the permissions open() would give it
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise CheckerError(f"{option}: cannot create a file in its directory ({describe_oserror(exc)}); nothing was written") from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise CheckerError(f"{option}: cannot write ({describe_oserror(exc)}); nothing was written") from None
    except BaseException:
        _remove(tmp)
        raise


def write_atomically(path: str | os.PathLike[str], data: bytes, option: str) -> None:
    with atomic_output(path, option) as out:
        out.write(data)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
