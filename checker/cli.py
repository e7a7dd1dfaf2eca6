"""The click layer: parse options, call the library (checker.api), print. Nothing else."""
from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from typing import Any, Callable, Iterator

import click

from . import __version__, api
from .errors import CheckerError, ExitCode
from .gctuning import tune_for_audit
from .outputs import describe_oserror
from .reports import AUDIT_REPORTER_BY_NAME, CHECK_REPORTER_BY_NAME, terminal_safe


def _errors_as_lines(fn: Callable[..., Any]) -> Callable[..., Any]:
    """CheckerError → its message on stderr and its exit code; a traceback only with --traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            try:
                result = fn(*args, **kwargs)
            except (SystemExit, click.exceptions.Exit):
                _flush_stdout()  # a full disk behind stdout shows here, not in the interpreter's last flush
                raise
            _flush_stdout()
            return result
        except CheckerError as exc:
            if _traceback_wanted(ctx):
                traceback.print_exc()
            for line in str(exc).splitlines():
                click.echo(f"clinimg: {terminal_safe(line)}", err=True)
            if exc.exit_code == ExitCode.BROKEN_PIPE:
                _silence_stdout()
            ctx.exit(int(exc.exit_code))
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except BrokenPipeError:
            # `clinimg rules | head`: the reader has what it wanted; not an error to report.
            _silence_stdout()
            ctx.exit(int(ExitCode.BROKEN_PIPE))
        except OSError as exc:
            if not _stdout_failing(exc):
                _internal_error(ctx, exc)
            # `> /dev/full`, a disk full behind a redirection: one line, and what was to be shown is lost
            if _traceback_wanted(ctx):
                traceback.print_exc()
            _silence_stdout()
            click.echo(f"clinimg: standard output: cannot write ({describe_oserror(exc)})", err=True)
            ctx.exit(int(ExitCode.USAGE))
        except Exception as exc:  # a bug: still one line, unless asked for the traceback
            _internal_error(ctx, exc)

    return wrapper


def _internal_error(ctx: click.Context, exc: BaseException) -> None:
    if _traceback_wanted(ctx):
        traceback.print_exc()
    click.echo(f"clinimg: internal error ({type(exc).__name__}); re-run with --traceback for details", err=True)
    ctx.exit(int(ExitCode.USAGE))


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _stdout_failing(exc: OSError) -> bool:
    """Was that OSError stdout's (`> /dev/full`)? Raised while echoing to stdout or flushing it —
    or its unwritten bytes are still buffered, and flushing again fails again."""
    frame = exc.__traceback__
    while frame is not None:
        code, names = frame.tb_frame.f_code, frame.tb_frame.f_locals
        if code is _flush_stdout.__code__ or (code.co_name == "echo" and names.get("err") is False):
            return True
        frame = frame.tb_next
    try:
        _flush_stdout()
    except OSError:
        return True
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of what could not be
    written does not fail a second time (an "Exception ignored" message)."""
    import os

    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _traceback_wanted(ctx: click.Context) -> bool:
    return bool(ctx.find_root().params.get("traceback") or ctx.meta.get("clinimg.traceback"))


def _remember_traceback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["clinimg.traceback"] = True  # ctx.meta is shared by the whole command chain


def _accept_traceback_everywhere(group: click.Group) -> None:
    """`--traceback` after the subcommand too (`clinimg audit … --traceback`), not only before it."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_traceback_everywhere(command)
        elif not any(p.name == "traceback" for p in command.params):
            command.params.append(click.Option(["--traceback"], is_flag=True, expose_value=False, callback=_remember_traceback,
                                               help="Show a Python traceback on errors (for bug reports)."))


policy_config_option = click.option(
    "--policy-config", type=click.Path(dir_okay=False), default=None, help="Hospital policy overlay (YAML, SPEC §4)."
)
policy_dir_option = click.option(
    "--policy-dir", "policy_dirs", multiple=True, type=click.Path(file_okay=False), help="Directory of the hospital's own Rego (packages clinimg.rules.local.*)."
)


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--engine embedded|opa and how to reach the OPA server; the command gets engine= and opa=."""

    @functools.wraps(fn)
    def wrapper(*args: Any, engine: str, opa_url: str | None, opa_token: str | None, opa_insecure: bool, opa_timeout: float, **kwargs: Any) -> Any:
        opa = None
        if engine != "opa":
            # (as --opa-url: an OPA option on the command line without --engine opa was ignored
            # without a word, and the embedded engine decided; the env token may stay set)
            ctx = click.get_current_context()
            for name, option in (("opa_token", "--opa-token"), ("opa_insecure", "--opa-insecure"), ("opa_timeout", "--opa-timeout")):
                if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE:
                    raise CheckerError(f"{option} needs --engine opa (and --opa-url)")
        if engine == "opa" or opa_url:
            if engine != "opa":
                raise CheckerError("--opa-url needs --engine opa")
            if opa_insecure:
                click.echo("clinimg: WARNING: --opa-insecure: the OPA server's TLS certificate is NOT verified; "
                           "anyone on the network path can forge its decisions", err=True)
            if opa_token and opa_url and opa_url.lower().startswith("http://") and not _loopback_url(opa_url):
                click.echo("clinimg: WARNING: the OPA token is sent in clear over http:// to a host that is not this machine; use https://", err=True)
            opa = api.OpaSettings(url=opa_url or "", token=opa_token or None, timeout=opa_timeout, verify_tls=not opa_insecure)
        return fn(*args, engine=engine, opa=opa, **kwargs)

    for option in reversed([
        click.option("--engine", type=click.Choice(api.ENGINES), default="embedded", show_default=True, help="embedded: regopy (the default); opa: an OPA server (or clinimg serve) at --opa-url; opa-inprocess: the reference OPA engine in this process (opt-in: needs opa-golib-python-bindings, see README Engines)."),
        click.option("--opa-url", default=None, metavar="URL", help="The OPA server, e.g. http://127.0.0.1:8181 (with --engine opa)."),
        click.option("--opa-token", envvar="CLINIMG_OPA_TOKEN", default=None, metavar="TOKEN", help="Bearer token for the OPA server (or env CLINIMG_OPA_TOKEN)."),
        click.option("--opa-insecure", is_flag=True, help="Do NOT verify the OPA server's TLS certificate (unsafe; for testing only)."),
        click.option("--opa-timeout", type=click.FloatRange(0.1, 600), default=5.0, show_default=True, help="Seconds to wait for the OPA server per request (retried twice)."),
    ]):
        wrapper = option(wrapper)
    return wrapper


def _loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _refuse_contradicting_repeats(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """An option that takes one value, given twice with different values (`--format json … --format
    text`, `-o a.html … -o b.html`): click keeps the last without a word, so a report went where
    the first said not, or in another form. Refused as a usage error (exit 2), naming the option,
    never its values (a path may be a patient's). The same value twice is harmless and accepted."""
    single: dict[str, click.Option] = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option) and not (param.multiple or param.is_flag or param.count) and param.nargs == 1:
            for name in param.opts:
                single[name] = param
    first: dict[str | None, tuple[str, str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        name, value = None, None
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
        elif arg in single and i + 1 < len(args):
            name, value = arg, args[i + 1]
            i += 1
        elif len(arg) > 2 and arg[0] == "-" and arg[1] != "-" and arg[:2] in single:
            name, value = arg[:2], arg[2:]  # -oreport.html
        i += 1
        param = single.get(name or "")
        if param is None or value is None:
            continue
        said, before = first.setdefault(param.name, (name or "", value))
        if before != value:
            spelt = said if said == name else f"{said} / {name}"
            raise click.UsageError(f"{spelt} is given twice with different values; give it once", ctx)


def _wants_json(args: list[str]) -> bool:
    """Did the command line ask for --format json (the last --format given, as click reads it)?"""
    wanted = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--format" and i + 1 < len(args):
            wanted = args[i + 1]
        elif arg.startswith("--format="):
            wanted = arg.split("=", 1)[1]
    return wanted == "json"


class _Command(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # (click's parser consumes the list it is handed)
        try:
            _refuse_contradicting_repeats(self, ctx, given)
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if self.name == "check" and _wants_json(given):  # (check's promise: an error is also a JSON document)
                click.echo(api.error_document(CheckerError(exc.format_message())))
            raise


def _error_document_on_stdout(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`check --format json`: an error is also a JSON document on stdout for the app piping it —
    whether the request, the policy or the options (checked by engine_options) are at fault."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CheckerError as exc:
            if kwargs.get("fmt") == "json":
                click.echo(api.error_document(exc))
            raise

    return wrapper


class _Group(click.Group):
    """Every command of clinimg is a _Command (options given twice are checked); subgroups too."""

    command_class = _Command
    group_class = type


# click's own usage errors exit 2, which is our usage code too.
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
@click.option("--image", "image_file", type=click.Path(), default=None, help="Read image.metadata_present from this image/video/audio file (as an image.file in the request does).")
@click.option("--max-request-bytes", type=click.IntRange(1024, 64 * 1024 * 1024), default=api.MAX_REQUEST_BYTES, show_default=True, help="Refuse a larger request before parsing it (as serve's --max-body-bytes).")
@_errors_as_lines
@_error_document_on_stdout
@engine_options
def check(request: str, policy_config: str | None, policy_dirs: tuple[str, ...], fmt: str, image_file: str | None, max_request_bytes: int, engine: str = "embedded", opa: Any = None) -> None:
    """Decide one proposed capture or disclosure. Exit 0 permit, 1 deny, 3 escalate, 2 bad input.
    With --format json, an error is also a JSON document on stdout: {"error", "exit_code", "problems": [{"path", "constraint", "line"}]}."""
    result = api.check(request, engine=engine, opa=opa, policy_config=policy_config, policy_dirs=policy_dirs, image_file=image_file, max_bytes=max_request_bytes)
    click.echo(CHECK_REPORTER_BY_NAME[fmt]().render(result.decision), nl=False)
    sys.exit(int(result.exit_code))


class _AuditGroup(_Group):
    """`clinimg audit LOG…` audits (the default command, `run`); `clinimg audit runs` and
    `clinimg audit report` read the runs a state store kept. A log literally named like a
    subcommand is given as ./runs."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    # `clinimg audit --help` shows the options of `clinimg audit LOG…` (SPEC §6: --as-of, --state,
    # --format, --output, --policy-config): it listed only `-h` and the subcommands.
    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] LOGS...  |  runs|report [OPTIONS]")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        run = self.commands["run"]
        sub = click.Context(run, info_name="run", parent=ctx)
        rows = [row for param in run.get_params(sub) if isinstance(param, click.Option) and (row := param.get_help_record(sub)) is not None]
        with formatter.section("Options (clinimg audit LOG…, the same as clinimg audit run LOG…)"):
            formatter.write_dl(rows)
        self.format_commands(ctx, formatter)


class _InvalidLimitType(click.ParamType):
    name = "N|P%"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, api.InvalidLimit):
            return value
        try:
            return api.InvalidLimit.parse(str(value))
        except CheckerError as exc:
            self.fail(str(exc).split(": ", 1)[-1], param, ctx)


def _write_report(text: str, output: str) -> None:
    """Stdout, or the file whole or not at all (a temporary file renamed into place)."""
    if output == "-":
        click.echo(text, nl=False)
        return
    api.write_output(output, text, "--output")


def _write_audit_report(reporter: Any, document: dict[str, Any], output: str) -> None:
    """Stdout, or the file whole or not at all — written as the reporter streams it (an audit's
    findings may be millions: never the whole report in memory as one text). A report that cannot
    be written is a CheckerError (a closed or full stdout) or a BrokenPipeError (`| head`)."""
    if output == "-":
        if sys.stdout is None:  # `>&-`: the report would be lost without a word
            raise CheckerError("standard output is closed: the report has nowhere to go (give --output FILE)")
        try:
            sys.stdout.flush()  # (what was echoed before stays before)
            reporter.write(document, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            _silence_stdout()
            raise CheckerError(f"standard output: cannot write the report ({describe_oserror(exc)})") from None
        return
    with api.open_output(output, "--output") as out:
        reporter.write(document, out)


class _ProgressLine:
    """The audit's "N lines read", rewritten in place on stderr — only when stderr is a terminal
    (a cron job's mail gets no carriage returns); notices go on their own line either way."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.drawn = False

    def show(self, read: int) -> None:
        sys.stderr.write(f"\rclinimg audit: {read:,} lines read")
        sys.stderr.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            self.drawn = False

    def notice(self, text: str) -> None:
        self.end()
        click.echo(f"clinimg audit: {terminal_safe(text)}", err=True)


@main.group(cls=_AuditGroup, invoke_without_command=False)
def audit() -> None:
    """Audit event logs: clinimg audit LOG… (JSON Lines, or - for stdin). Exit 0 no deny findings,
    1 deny findings or events the engine could not decide (engine errors: fail closed), 2 usage or
    policy error, nothing decided, or too many invalid lines.
    `clinimg audit runs` / `clinimg audit report` show what earlier runs kept in a --state store."""


@audit.command("run")
@click.argument("logs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--as-of", default=None, help="Judge lifecycle deadlines as of this RFC 3339 time (default: the latest event seen).")
@click.option("--state", "state", type=click.Path(dir_okay=False), default=None, help="SQLite state store for incremental nightly runs (default: none, a one-off run).")
@click.option("--format", "fmt", type=click.Choice(sorted(AUDIT_REPORTER_BY_NAME)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="Write the report here (default: stdout).")
@click.option("--quarantine", type=click.Path(dir_okay=False), default=None, help="Write every invalid line here, verbatim.")
@click.option("--force", is_flag=True, help="Write --output, --quarantine or --state through a symbolic link (refused otherwise).")
@click.option("--max-invalid", type=_InvalidLimitType(), default=None, help="Exit 2 (the report still written) when more lines than this are invalid: a count (10) or a percentage of the lines read (0.5%).")
@click.option("--workers", type=click.IntRange(1, 4), default=None, help="Processes deciding in parallel (1-4), each with its share of the patients (default: one per core, at most 4, for logs of 1 MB or more — 16 MB from standard input; else 1).")
@click.option("--no-cache", is_flag=True, help="Decide every event afresh (slower; the same decisions).")
@policy_config_option
@policy_dir_option
@_errors_as_lines
@engine_options
def audit_run(logs: tuple[str, ...], as_of: str | None, state: str | None, fmt: str, output: str, quarantine: str | None, force: bool, max_invalid: Any, workers: int | None, no_cache: bool, policy_config: str | None, policy_dirs: tuple[str, ...], engine: str = "embedded", opa: Any = None) -> None:
    """Audit event logs (JSON Lines, or - for stdin); `clinimg audit LOG…` for short.
    An output (--output, --quarantine, --state) that is an input or another output is refused before anything is written."""
    tune_for_audit()
    bar = _ProgressLine()

    @contextlib.contextmanager
    def deliver(report: Any) -> Iterator[None]:
        """The report, written before the run is committed (inside this block): a report that cannot
        be written rolls the run back; a --output file is put in place after the commit."""
        bar.end()
        previous = report.policy.get("previous_digest")
        if previous:
            click.echo(f"clinimg audit: the policy changed since the previous run on this state store: was {previous}, now {report.policy['digest']}", err=True)
        reporter = AUDIT_REPORTER_BY_NAME[fmt]()
        if output == "-":
            _write_audit_report(reporter, report.document(), output)
            yield
            return
        with api.open_output(output, "--output") as out:
            reporter.write(report.document(), out)
            yield

    try:
        report = api.audit(logs, engine=engine, opa=opa, as_of=as_of, state=state, policy_config=policy_config, policy_dirs=policy_dirs,
                           quarantine=quarantine, workers=workers, cache=not no_cache, report_output=output, force=force,
                           progress=bar.show if bar.enabled else None, notice=bar.notice, deliver=deliver)
    finally:
        bar.end()
    if output != "-":
        c = report.counts
        click.echo(f"clinimg audit: {len(report.findings)} finding(s), read {c['read']} = decided {c['decided']} + invalid {c['invalid']} + duplicate {c['duplicate']}; report written to {output}", err=True)
    code, why = api.audit_verdict(report, max_invalid)
    if why:
        click.echo(f"clinimg audit: {terminal_safe(why)}", err=True)
    sys.exit(int(code))


@audit.command("runs")
@click.option("--state", "state", type=click.Path(dir_okay=False), required=True, help="The SQLite state store of the nightly runs.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_errors_as_lines
def audit_runs(state: str, fmt: str) -> None:
    """The runs the state store kept: started, as-of, line counts, findings by effect, policy digest."""
    import json

    runs = api.audit_runs(state)
    if fmt == "json":
        click.echo(json.dumps(runs, indent=2, sort_keys=True))
        return
    if not runs:
        click.echo("no runs kept in this store")
        return
    click.echo(f"{'run':>4}  {'started':<20}  {'as of':<25}  {'read':>8} {'decided':>8} {'invalid':>7} {'dup':>7}  {'deny':>5} {'escal.':>6} {'warn':>5}  policy")
    for r in runs:
        c, e = r["counts"], r["by_effect"]
        click.echo(f"{r['run']:>4}  {terminal_safe(r['started']):<20}  {terminal_safe(r['as_of']):<25}  {c.get('read', 0):>8} {c.get('decided', 0):>8} {c.get('invalid', 0):>7} {c.get('duplicate', 0):>7}  "
                   f"{e.get('deny', 0):>5} {e.get('escalate', 0):>6} {e.get('warn', 0):>5}  {terminal_safe(r['policy_digest'])}")


@audit.command("report")
@click.option("--state", "state", type=click.Path(dir_okay=False), required=True, help="The SQLite state store of the nightly runs.")
@click.option("--run", "run_id", type=click.IntRange(1), default=None, help="The run (see clinimg audit runs).")
@click.option("--last", is_flag=True, help="The last run.")
@click.option("--format", "fmt", type=click.Choice(sorted(AUDIT_REPORTER_BY_NAME)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="Write the report here (default: stdout).")
@_errors_as_lines
def audit_report(state: str, run_id: int | None, last: bool, fmt: str, output: str) -> None:
    """An earlier run's report again, byte for byte as that run wrote it, in any format."""
    if (run_id is None) == (not last):
        raise CheckerError("give one of --run ID or --last")
    api.refuse_clobbering([("--output", output)], [("--state", state)])
    _write_audit_report(AUDIT_REPORTER_BY_NAME[fmt](), api.audit_run_document(state, run_id), output)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@policy_dir_option
@_errors_as_lines
def validate(files: tuple[str, ...], policy_dirs: tuple[str, ...]) -> None:
    """Schema-check requests (JSON), event logs (JSON Lines), overlays (YAML) and FHIR R4 files
    (every resource that would not map to an event); every error with its path.
    An overlay's rule ids must be rules of the shipped policies or of --policy-dir."""
    report = api.validate(files, policy_dirs=policy_dirs)
    for line in report.errors:
        click.echo(terminal_safe(line), err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} error(s) in {report.checked} document(s)", err=True)
        sys.exit(int(ExitCode.USAGE))
    click.echo(f"{report.checked} document(s) valid")


@main.command()
@policy_config_option
@policy_dir_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_errors_as_lines
def rules(policy_config: str | None, policy_dirs: tuple[str, ...], fmt: str) -> None:
    """The rule catalogue as the policies' METADATA define it (id, effect, guide section); with
    --policy-config, as the hospital's overlay leaves it (effects overridden, rules disabled)."""
    import json

    if policy_config is not None:
        entries = api.rules_in_force(policy_config, policy_dirs)
    else:
        entries = [{"id": r.id, "effect": r.effect, "section": r.section, "title": r.title, "passage": r.passage, "remedy": r.remedy} for r in api.rules(policy_dirs)]
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    width = max((len(e["id"]) for e in entries), default=10)
    for e in entries:
        note = "  (disabled by the overlay)" if e.get("disabled") else (f"  (overlay; METADATA: {e['default_effect']})" if "default_effect" in e else "")
        click.echo(f"{e['id']:<{width}}  {e['effect']:<10}  {e['section']}{note}")


@main.group()
def policy() -> None:
    """Work on the Rego: run its tests, compile-check a hospital's own rules."""


@policy.command("test")
@policy_dir_option
@click.option("-v", "--verbose", is_flag=True, help="List passing tests too.")
@click.option("--only-local", is_flag=True, help="Only the hospital's own tests (_test.rego and cases/ of --policy-dir).")
@click.option("-k", "pattern", default=None, metavar="PATTERN", help="Only tests and cases whose name (file::test) contains PATTERN.")
@_errors_as_lines
def policy_test(policy_dirs: tuple[str, ...], verbose: bool, only_local: bool, pattern: str | None) -> None:
    """Run the _test.rego tests on reference OPA and the data-driven rule cases on every engine
    (tests/cases, and the cases/ folder of each --policy-dir). Failures name file and test."""
    from .policytasks import run_policy_tests

    failed = run_policy_tests(policy_dirs, verbose=verbose, echo=click.echo, only_local=only_local, pattern=pattern)
    sys.exit(int(ExitCode.DENY) if failed else 0)


@policy.command("check")
@policy_dir_option
@policy_config_option
@_errors_as_lines
def policy_check(policy_dirs: tuple[str, ...], policy_config: str | None) -> None:
    """Check own Rego against the local-rule contract and compile it (and the shipped Rego) on
    every engine; with --policy-config, the overlay and its rule ids too. Errors as file:line: message."""
    from .policytasks import compile_check

    problems = compile_check(policy_dirs, policy_config)
    for line in problems:
        click.echo(terminal_safe(line), err=True)
    if problems:
        sys.exit(int(ExitCode.USAGE))
    click.echo("policies compile")


@policy.command("bundle")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Where to write the bundle (.tar.gz).")
@click.option("--force", is_flag=True, help="Write --output through a symbolic link (refused otherwise).")
@policy_config_option
@policy_dir_option
@_errors_as_lines
def policy_bundle(output: str, force: bool, policy_config: str | None, policy_dirs: tuple[str, ...]) -> None:
    """Build an OPA bundle (.tar.gz with .manifest; revision = the policy digest) that
    `opa run --server --bundle` serves unchanged. The same policies give the same bytes."""
    size, revision = api.bundle(output, policy_config=policy_config, policy_dirs=policy_dirs, force=force)
    click.echo(f"wrote {output} ({size:,} bytes), revision {revision}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True, help="Port (0: any free port, printed on stderr).")
@policy_config_option
@policy_dir_option
@click.option("--token", envvar="CLINIMG_SERVE_TOKEN", default=None, metavar="TOKEN", help="Require 'Authorization: Bearer TOKEN' (or env CLINIMG_SERVE_TOKEN).")
@click.option("--max-body-bytes", type=click.IntRange(1024, 64 * 1024 * 1024), default=1024 * 1024, show_default=True, help="Refuse bodies larger than this (413).")
@click.option("--body-timeout", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True, help="Seconds for a request's headers, and then its whole body, to arrive; slower ones are closed (a late body: 408).")
@click.option("--decision-log", type=click.Path(dir_okay=False), default=None, help="Append one JSON line per decision here (ids masked).")
@click.option("--log-unmasked", is_flag=True, help="Keep patient and actor ids in the decision log as they are.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Embedded engine worker processes (default: one per core, at most 4).")
@click.option("--access-log", is_flag=True, help="Log every HTTP request line on stderr.")
@click.option("--engine", type=click.Choice(api.LOCAL_ENGINES), default="embedded", show_default=True,
              help="embedded: regopy worker processes (the default); opa-inprocess: the reference OPA engine in this process (opt-in: needs opa-golib-python-bindings, see README Engines).")
@_errors_as_lines
def serve(host: str, port: int, policy_config: str | None, policy_dirs: tuple[str, ...], token: str | None, max_body_bytes: int, body_timeout: float, decision_log: str | None, log_unmasked: bool, workers: int | None, access_log: bool, engine: str = "embedded") -> None:
    """Decision service: POST /v1/check, OPA-compatible POST /v1/data/clinimg/decision (and the
    batch API, GET /v1/policies), CDS Hooks (GET /cds-services), GET /metrics, GET /openapi.json,
    GET /health. Stop with Ctrl-C."""
    import os

    from . import server

    # `--token "$TOKEN"` with TOKEN unset, or CLINIMG_SERVE_TOKEN set empty: the server answered
    # anyone, without a word (click takes an empty variable for none). Refused; a token is compared
    # as the server reads a credential (surrounding whitespace dropped).
    told = os.environ.get("CLINIMG_SERVE_TOKEN") if token is None else token
    if told is not None and not told.strip():
        raise CheckerError("--token (or CLINIMG_SERVE_TOKEN): the token is empty (an unset variable?), so anyone would be answered; "
                           "give the token, or leave both out")
    token = token.strip() if token else token
    if log_unmasked and decision_log is None:  # (ids kept in a log that is never written: the log was wanted)
        raise CheckerError("--log-unmasked needs --decision-log FILE: without it no decision is logged at all")
    if not server.is_loopback(host) and not token:
        click.echo(f"clinimg: WARNING: serving on {host} without --token: anyone who can reach it may ask for decisions", err=True)
    api.refuse_decision_log_over_inputs(decision_log, policy_config, policy_dirs)
    policy = api.build_policy(policy_config, policy_dirs)
    options = server.ServeOptions(token=token or None, max_body_bytes=max_body_bytes, body_timeout=body_timeout, decision_log=decision_log,
                                  log_unmasked=log_unmasked, workers=workers or min(4, os.cpu_count() or 1), engine=engine)
    service = server.DecisionService(policy, options)
    server.serve(service, host, port, access_log=access_log, announce=lambda line: click.echo(line, err=True))


@main.group()
def fhir() -> None:
    """HL7 FHIR R4: `audit` and `check` read FHIR Bundles and Bulk Data NDJSON themselves; this writes events as FHIR."""


@fhir.command("export")
@click.argument("logs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="Write the Bundle here (default: stdout).")
@click.option("--bulk", "bulk_dir", type=click.Path(file_okay=False), default=None, help="Instead, write Bulk Data NDJSON here: one <Type>.ndjson per resource type.")
@click.option("--force", is_flag=True, help="Write --output through a symbolic link (refused otherwise).")
@_errors_as_lines
def fhir_export(logs: tuple[str, ...], output: str, bulk_dir: str | None, force: bool) -> None:
    """Write the events of JSON Lines logs as FHIR R4 (a collection Bundle, or Bulk Data NDJSON):
    Media, Consent, AuditEvent, Provenance — docs/fhir.md. `clinimg audit` reads either back."""
    import json
    import os

    if bulk_dir is not None and click.get_current_context().get_parameter_source("output") is click.core.ParameterSource.COMMANDLINE:
        # (--bulk writes instead of the Bundle: the --output asked for was never written, and nothing said so)
        raise CheckerError("--output and --bulk: give one — --output for one Bundle, --bulk DIR for Bulk Data NDJSON files")
    if output != "-":
        api.refuse_clobbering([("--output", output)], [("an input log", p) for p in logs], force=force)
    bundle = api.fhir_export(logs)
    if bulk_dir:
        try:
            os.makedirs(bulk_dir, exist_ok=True)
        except OSError as exc:  # (under a file, say: was an internal error)
            raise CheckerError(f"--bulk: cannot create the directory ({describe_oserror(exc)}); nothing was written") from None
        files = api.fhir_bulk_files(bundle)
        targets = [(f"--bulk {name}", os.path.join(bulk_dir, name)) for name in files]
        api.refuse_clobbering(targets, [("an input log", p) for p in logs], force=force)
        for (role, path), data in zip(targets, files.values()):
            api.write_output(path, data.decode("utf-8"), role)
        click.echo(f"clinimg fhir export: {len(bundle['entry'])} resource(s) in {len(files)} file(s) under {bulk_dir}", err=True)
        return
    text = json.dumps(bundle, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    if len(text.encode("utf-8")) > api.MAX_FHIR_BUNDLE_BYTES:
        raise CheckerError(f"the Bundle would be {len(text.encode('utf-8')) / 1048576:.0f} MiB, more than the "
                           f"{api.MAX_FHIR_BUNDLE_BYTES // 1048576} MiB a Bundle file may hold for `clinimg audit`; nothing written: use --bulk DIR (NDJSON)")
    _write_report(text, output)


@main.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-values", is_flag=True, help="Also print the metadata values, escaped. They may be patient or staff data.")
@_errors_as_lines
def inspect_command(files: tuple[str, ...], fmt: str, show_values: bool) -> None:
    """Which identifying metadata image, video and audio files carry (JPEG, PNG, HEIC, MP4, MOV, M4A).
    Exit 0 none found, 1 some found, 2 a file could not be read."""
    from .imagefiles import Inspection, report

    results = api.inspect_images(files, values=show_values)
    click.echo(report.inspect_json(results) if fmt == "json" else report.inspect_text(results), nl=False)
    errors = [r for r in results if not isinstance(r, Inspection)]
    for _path, message in errors:
        click.echo(f"clinimg: {terminal_safe(message)}", err=True)
    if errors:
        sys.exit(int(ExitCode.USAGE))
    sys.exit(int(ExitCode.DENY) if any(r.found for r in results if isinstance(r, Inspection)) else 0)


@main.command("deidentify")
@click.argument("source", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(), help="Where to write the de-identified copy.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists (never the input).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_errors_as_lines
def deidentify_command(source: str, output: str, force: bool, fmt: str) -> None:
    """Write a copy of an image, video or audio file without identifying metadata; the input is never changed.
    The copy is inspected before it is kept. Exit 0 written, 2 refused or failed (nothing written)."""
    from .imagefiles import report

    result = api.deidentify_image(source, output, force=force).as_dict()
    click.echo(report.deidentify_json(result) if fmt == "json" else report.deidentify_text(result), nl=False)


_accept_traceback_everywhere(main)

if __name__ == "__main__":  # pragma: no cover
    main()
