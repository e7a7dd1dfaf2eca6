"""The garbage collector's settings for a long audit: a process-wide choice, so it is made by
the processes' entry points (the CLI, an audit partition), never by the library."""
import gc


def tune_for_audit() -> None:
    """The audit allocates millions of short-lived, acyclic objects (parsed events, inputs,
    decisions) beside a large, long-lived state: with the default thresholds the cyclic
    collector keeps re-scanning that state — a quarter of the run's time. Collect rarely."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
