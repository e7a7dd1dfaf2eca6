"""The click layer: parse options, call the library (checker.api), print. Nothing else."""
from __future__ import annotations

import functools
import sys
import traceback
from typing import Any, Callable

import click

from . import __version__, api
from .errors import CheckerError, ExitCode
from .reports import CHECK_REPORTER_BY_NAME, terminal_safe


def _errors_as_lines(fn: Callable[..., Any]) -> Callable[..., Any]:
    """CheckerError → its message on stderr and its exit code; a traceback only with --traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except CheckerError as exc:
            if ctx.find_root().params.get("traceback"):
                traceback.print_exc()
            for line in str(exc).splitlines():
                click.echo(f"clinimg: {terminal_safe(line)}", err=True)
            ctx.exit(int(exc.exit_code))
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug: still one line, unless asked for the traceback
            if ctx.find_root().params.get("traceback"):
                traceback.print_exc()
            click.echo(f"clinimg: internal error ({type(exc).__name__}); re-run with --traceback for details", err=True)
            ctx.exit(int(ExitCode.USAGE))

    return wrapper


policy_config_option = click.option(
    "--policy-config", type=click.Path(dir_okay=False), default=None, help="Hospital policy overlay (YAML, SPEC §4)."
)
policy_dir_option = click.option(
    "--policy-dir", "policy_dirs", multiple=True, type=click.Path(file_okay=False), help="Directory of the hospital's own Rego (packages clinimg.rules.local.*)."
)


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click's own usage errors exit 2, which is our usage code too.
        return super().main(*args, **kwargs)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clinimg")
@click.option("--traceback", is_flag=True, help="Show a Python traceback on errors (for bug reports).")
def main(traceback: bool) -> None:
    """clinimg — may this clinical image be taken, kept, sent or shown? Decisions cite the AMA/MIIAA guide."""


@main.command()
@click.argument("request", type=click.Path(allow_dash=True, dir_okay=True))
@policy_config_option
@policy_dir_option
@click.option("--format", "fmt", type=click.Choice(sorted(CHECK_REPORTER_BY_NAME)), default="text", show_default=True)
@_errors_as_lines
def check(request: str, policy_config: str | None, policy_dirs: tuple[str, ...], fmt: str) -> None:
    """Decide one proposed capture or disclosure. Exit 0 permit, 1 deny, 3 escalate, 2 bad input."""
    result = api.check(request, policy_config=policy_config, policy_dirs=policy_dirs)
    click.echo(CHECK_REPORTER_BY_NAME[fmt]().render(result.decision), nl=False)
    sys.exit(int(result.exit_code))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@_errors_as_lines
def validate(files: tuple[str, ...]) -> None:
    """Schema-check requests (JSON), event logs (JSON Lines) and overlays (YAML); every error with its path."""
    report = api.validate(files)
    for line in report.errors:
        click.echo(terminal_safe(line), err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} error(s) in {report.checked} document(s)", err=True)
        sys.exit(int(ExitCode.USAGE))
    click.echo(f"{report.checked} document(s) valid")


@main.command()
@policy_dir_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_errors_as_lines
def rules(policy_dirs: tuple[str, ...], fmt: str) -> None:
    """The rule catalogue as the policies' METADATA define it (id, effect, guide section)."""
    import json

    catalogue = api.rules(policy_dirs)
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "effect": r.effect, "section": r.section, "title": r.title, "passage": r.passage, "remedy": r.remedy} for r in catalogue], indent=2, ensure_ascii=False))
        return
    width = max((len(r.id) for r in catalogue), default=10)
    for r in catalogue:
        click.echo(f"{r.id:<{width}}  {r.effect:<10}  {r.section}")


@main.group()
def policy() -> None:
    """Work on the Rego: run its tests, compile-check a hospital's own rules."""


@policy.command("test")
@policy_dir_option
@click.option("-v", "--verbose", is_flag=True, help="List passing tests too.")
@_errors_as_lines
def policy_test(policy_dirs: tuple[str, ...], verbose: bool) -> None:
    """Run the _test.rego tests on reference OPA and the data-driven rule cases on every engine."""
    from .policytasks import run_policy_tests

    failed = run_policy_tests(policy_dirs, verbose=verbose, echo=click.echo)
    sys.exit(int(ExitCode.DENY) if failed else 0)


@policy.command("check")
@policy_dir_option
@_errors_as_lines
def policy_check(policy_dirs: tuple[str, ...]) -> None:
    """Compile-check the shipped and own Rego; errors as file:line: message."""
    from .policytasks import compile_check

    problems = compile_check(policy_dirs)
    for line in problems:
        click.echo(terminal_safe(line), err=True)
    if problems:
        sys.exit(int(ExitCode.USAGE))
    click.echo("policies compile")


if __name__ == "__main__":  # pragma: no cover
    main()
