"""Run the Go metrics aggregator where the endpoints benchmark expects its
Python one.

The benchmark launches ``sys.executable -m <module> ARGS...`` and then signals
that process (SIGTERM) and waits on its pid. ``main`` therefore does not run
the daemon as a child: it ``os.execv``s it, so the daemon *is* that process
(same pid, same stdio, same environment) and SIGTERM, readiness and the exit
status are the daemon's own.
"""

import os
import shutil
import signal
import sys

__all__ = ["BIN_ENV", "BIN_NAME", "find_binary", "main"]
__version__ = "0.1.0"

BIN_ENV = "AGGREGATOR_BIN"
BIN_NAME = "aggregator"

# Exit statuses of a shell that cannot run a command.
EXIT_NOT_FOUND = 127
EXIT_CANNOT_EXEC = 126


class NotFound(Exception):
    """No aggregator binary: the message is the one line printed."""


def _is_exe(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_binary(environ=None):
    """Return the path of the aggregator binary to exec.

    ``$AGGREGATOR_BIN`` if set (it must be an executable file: a wrong
    explicit path is an error, never silently replaced by another binary),
    else ``bin/aggregator`` inside this package (a vendored copy), else
    ``aggregator`` on ``$PATH``. Raises NotFound otherwise.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(BIN_ENV, "")
    if explicit:
        if _is_exe(explicit):
            return os.path.abspath(explicit)
        raise NotFound(
            "%s=%s is not an executable file" % (BIN_ENV, explicit))
    vendored = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", BIN_NAME)
    if _is_exe(vendored):
        return vendored
    found = shutil.which(BIN_NAME, path=env.get("PATH", os.defpath))
    if found:
        return os.path.abspath(found)
    raise NotFound(
        "aggregator binary not found (looked at $%s, %s, $PATH); "
        "set %s to the Go aggregator binary" % (BIN_ENV, vendored, BIN_ENV))


def main(argv=None):
    """Exec the aggregator with ``argv`` (default: ``sys.argv[1:]``).

    Returns only on failure: 127 when no binary is found, 126 when it
    cannot be executed, after one line on stderr.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    prog = __name__
    try:
        path = find_binary()
    except NotFound as e:
        sys.stderr.write("%s: %s\n" % (prog, e))
        sys.stderr.flush()
        return EXIT_NOT_FOUND
    # The interpreter set SIGPIPE and SIGXFSZ to SIG_IGN at start-up, and an
    # ignored disposition survives exec: give the daemon the defaults a
    # process started by subprocess.Popen (restore_signals=True) would have.
    for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(path, [path] + args)
    except OSError as e:
        sys.stderr.write("%s: cannot execute %s: %s\n" % (prog, path, e.strerror or e))
        sys.stderr.flush()
        return EXIT_CANNOT_EXEC
    return EXIT_CANNOT_EXEC  # not reached
