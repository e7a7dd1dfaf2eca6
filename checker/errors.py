"""The one expected-failure type and the exit codes (SPEC §5, §6)."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # permit / no deny findings
    DENY = 1  # a deny finding (check: outcome deny; audit: any deny finding)
    USAGE = 2  # bad input, bad usage, policy or engine error
    ESCALATE = 3  # check only: seek advice before acting
    BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): the shell's 128 + SIGPIPE, nothing printed


class CheckerError(Exception):
    """An expected failure, shown to the user as one clear line (no traceback).

    Messages name the file, line and JSON path and the broken constraint, never the offending
    value: it may be patient data.
    """

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        # Bad input, structured for apps (`check --format json`): each a JSON path and the broken
        # constraint — never the offending value.
        self.problems = problems or []


class EngineError(CheckerError):
    """The engine could not decide (crash, timeout, server down). Never a permit: fail closed."""
