"""User-facing error types.

Anything a user can get wrong (a YAML typo, a malformed trace line, a job no server
can host) raises :class:`InputError`.  The CLI turns it into one clear line on
stderr and exit code 2, so messages must name the file, the key or line, and what
is allowed — never rely on a traceback to explain bad input.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: a scenario, trace, CSV or command-line value.

    ``source`` names where the problem is (a file path, ``file:line`` or
    ``file: key``); ``message`` says what is wrong and what is allowed.
    """

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}" if source else message)

    def __reduce__(self):  # picklable (errors cross process boundaries: sweeps, the UI's arms)
        return (type(self), (self.source, self.message))


class SimulationError(Exception):
    """The simulation cannot go on (for example a job that can never be placed).

    Raised at run time for conditions that depend on how the run unfolds, so they
    could not be rejected when the scenario was loaded.
    """
