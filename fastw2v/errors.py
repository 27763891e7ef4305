"""The one exception type for problems the user can fix (bad input, bad options)."""

from __future__ import annotations

from collections.abc import Callable


class FastW2VError(Exception):
    """A user-facing error: its message is one line that names the problem.

    The command line prints it as ``fastw2v: error: <message>`` and exits with
    status 2, without a traceback.

    A message may name training options as ``{field}`` placeholders, listed in
    ``fields``: the library shows them as the field names of
    :class:`fastw2v.TrainOptions` (``alpha``), the command line as its flags
    (``--alpha``), through :meth:`render`.
    """

    def __init__(self, message: str = "", *, fields: tuple[str, ...] = ()):
        self.template = message
        self.fields = tuple(fields)
        super().__init__(self.render(lambda name: name))

    def render(self, name_of: Callable[[str], str]) -> str:
        """The message with each field shown as ``name_of(field)``."""
        message = self.template
        for f in self.fields:
            message = message.replace("{" + f + "}", name_of(f))
        return message


class OptionError(FastW2VError):
    """An option has a value it cannot take: ``field`` names it."""

    def __init__(self, field: str, problem: str, *, also: tuple[str, ...] = ()):
        self.field = field
        super().__init__(f"{{{field}}} {problem}", fields=(field, *also))


class Interrupted(FastW2VError):
    """The run was stopped by Ctrl-C or SIGTERM; the message says what was kept.

    The command line prints it as ``fastw2v: <message>`` and exits with status 130.
    """

    exit_code = 130
