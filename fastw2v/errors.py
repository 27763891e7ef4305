"""The one exception type for problems the user can fix (bad input, bad options)."""


class FastW2VError(Exception):
    """A user-facing error: its message is one line that names the problem.

    The command line prints it as ``fastw2v: error: <message>`` and exits with
    status 2, without a traceback.
    """


class Interrupted(FastW2VError):
    """The run was stopped by Ctrl-C or SIGTERM; the message says what was kept.

    The command line prints it as ``fastw2v: <message>`` and exits with status 130.
    """

    exit_code = 130
