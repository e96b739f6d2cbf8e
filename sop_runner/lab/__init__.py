"""The sop-pusatdata test lab: gw, srv1, srv2, backup, rtr1 and ext on this machine.

`python -m sop_runner.lab up|down|status`; see docs/lab.md.
"""

from sop_runner.lab.lifecycle import LabState, down, restart_host, status, up
from sop_runner.lab.proc import LabError

__all__ = ["LabError", "LabState", "down", "restart_host", "status", "up"]
