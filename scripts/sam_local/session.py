"""Session: temporary files and what was started, stopped in reverse order at the end."""
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .containers import lambda_containers
from .process import log
from .project import ROOT


class Session:
    """Temporary files and everything started here, stopped in reverse order at the end."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="sam-local-"))
        self.cleanups = []
        self.stopping = False
        self.containers_before = set(lambda_containers())

    def spawn(self, cmd, logfile, limit, **kw):
        """A background process in its own session (Ctrl-C reaches only this script,
        which stops it in order) that ends by itself after `limit` at the latest."""
        out = open(logfile, "ab") if logfile else None
        kw.setdefault("cwd", ROOT)
        proc = subprocess.Popen(
            ["timeout", limit] + [str(c) for c in cmd],
            stdout=out or None,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
            **kw,
        )
        if out:
            out.close()
        return proc

    def close(self):
        self.stopping = True
        for name, fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # keep stopping the rest
                log(f"could not stop {name}: {e}")
        shutil.rmtree(self.tmp, ignore_errors=True)


def stop(proc, sig=signal.SIGTERM, wait=30):
    """Stops a process started by Session.spawn: the signal goes to `timeout`, which passes
    it on; whatever is left of that process group after `wait` seconds is killed."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
