"""The one exception type that turns into a clean exit with no traceback."""


class SopError(Exception):
    """Bad input or a refused action: one clear line for the user, exit code 2.

    The message names what was wrong and what is allowed.  Nothing may have
    been written to the store or to a host before this is raised.
    """

    exit_code = 2


class GateRefused(SopError):
    """A step that needs an approval was asked to run without a valid one."""


class StepFailed(Exception):
    """An automated step failed; the run stops and can be resumed (exit 1)."""
