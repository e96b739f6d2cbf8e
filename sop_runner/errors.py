"""The exceptions that turn into a clean exit with no traceback, and the exit codes of `sop`.

Exit codes (docs/exit-codes.md; scripts and AWX read them):

- 0 done;
- 1 a step failed (StepFailed) or a check found something (audit verify, overdue);
- 2 bad input: a field and what is allowed (SopError);
- 3 waiting: an approval or a confirmation is still missing (Waiting);
- 4 refused by a gate: rejected, cancelled, a signature or binding that does not hold
  (GateRefused);
- 75 another run holds the request now, try again later (claims.AlreadyRunning, EX_TEMPFAIL);
- 130 interrupted (Ctrl-C).
"""

DONE, STEP_FAILED, BAD_INPUT, WAITING, REFUSED, BUSY, INTERRUPTED = 0, 1, 2, 3, 4, 75, 130


class SopError(Exception):
    """Bad input or a refused action: one clear line for the user, exit code 2.

    The message names what was wrong and what is allowed.  Nothing may have
    been written to the store or to a host before this is raised.
    """

    exit_code = BAD_INPUT


class GateRefused(SopError):
    """A gate refuses: a rejection, a closed request, a signature that does not hold (exit 4)."""

    exit_code = REFUSED


class Waiting(SopError):
    """The run stopped for what is still missing: a confirmation, a holder of a role (exit 3)."""

    exit_code = WAITING


class AwaitingApproval(GateRefused):
    """A gate has no valid approval yet: someone must still approve (exit 3, not a refusal).

    A GateRefused still, so everything that stops at a refused gate stops here too.
    """

    exit_code = WAITING


class StepFailed(Exception):
    """An automated step failed; the run stops and can be resumed (exit 1)."""
