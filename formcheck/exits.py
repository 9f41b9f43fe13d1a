"""Exit codes of the ``formcheck`` commands and the one place that maps exceptions to them.

0 = done, no fault found; 1 = done, faults found (``analyze``); 2 = bad input or usage (the
message says what and where); 3 = the environment is missing something (e.g. the model);
4 = an internal error (a bug; the traceback with ``FORMCHECK_DEBUG=1``); 130 = interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from formcheck.errors import FormcheckError, ModelNotFoundError

EXIT_OK, EXIT_FAULTS, EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
#: Set to print the traceback of an internal error.
DEBUG_ENV = "FORMCHECK_DEBUG"


def run_guarded(command: Callable[[], int], *, where: str = "", interrupted: str = "interrupted") -> int:
    """Run ``command`` and turn the exceptions it raises into an exit code and one stderr line.

    Args:
        command: the command's body; returns its exit code.
        where: the input the command works on, named in an internal error's message.
        interrupted: the message printed on Ctrl-C.

    Returns:
        The command's own exit code, or the one for the exception it raised.
    """
    try:
        return command()
    except ModelNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except FormcheckError as exc:  # MediaError, SpecError, LabelError, ...
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must not end in a bare traceback
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        on = f" on {where}" if where else ""
        print(f"error: internal error{on}: {type(exc).__name__}: {exc}. This is a bug in formcheck: please report "
              f"it with the file (set {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
