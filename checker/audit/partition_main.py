"""A partition of a parallel audit, as a process of its own (partition.PROCESS_MODULE): started
by the parent with its configuration on stdin, or exec'd by an earlier image of itself with a
handover file (partition.main)."""
import os
import sys

from .partition import main

if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is committed, closed and reported: skip freeing a large state object by object.
    os._exit(code)
