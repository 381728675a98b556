"""How a page's kernel is started: over an encrypted connection, its own log kept in a file, not on the terminal.

A Jupyter kernel writes its application log (start-up, shutdown, its message handling) to the standard error it
inherits, so without care every page of `fmnist report` puts the kernel's lines on the user's terminal:

- "Kernel is running over TCP without encryption", once per page. It means what it says (any local user could read
  the traffic), so the kernel manager provisions CurveZMQ keys (jupyter_client's `transport_encryption="auto"`,
  used when the kernelspec declares `supported_encryption: curve`, as ipykernel's does): the warning is answered,
  not hidden. Where pyzmq lacks CurveZMQ the setting would be refused, so it is asked for only where available.
- "KeyboardInterrupt caught in kernel", now and then: jupyter_client interrupts a kernel before shutting it down,
  and a kernel still handling a message logs it. Nothing the reader can act on: the kernel's log goes to a file
  (`build/logs/<notebook>.kernel.log`), where it is kept for whoever debugs a kernel.

A page's own output (prints, warnings, errors of its cells) is unaffected: the kernel sends it to the notebook.
"""

from __future__ import annotations

from typing import IO

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Int
from traitlets.config import Config


class LoggedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, with the kernel's standard error sent to `kernel_log` (the descriptor of an open
    file: traitlets copies its configuration, and a descriptor copies as a number)."""

    kernel_log = Int(None, allow_none=True, config=True)

    async def start_kernel(self, **kw) -> None:
        """Start the kernel, its keyword arguments passed on to its Popen (jupyter_client's documented route)."""
        if self.kernel_log is not None:
            kw.setdefault("stderr", self.kernel_log)
        await super().start_kernel(**kw)


def kernel_options(log: IO[bytes]) -> dict:
    """Papermill options for a kernel that logs to `log` and is reached over CurveZMQ where pyzmq offers it."""
    settings: dict = {"LoggedKernelManager": {"kernel_log": log.fileno()}}
    if zmq.has("curve"):
        settings["KernelManager"] = {"transport_encryption": "auto"}
    return {"config": Config(settings), "kernel_manager_class": LoggedKernelManager}
