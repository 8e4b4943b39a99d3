"""The error every set-up step raises, the log line, short commands and ports."""
import os
import socket
import subprocess
import time
from pathlib import Path

from .project import ROOT


class SetupError(Exception):
    """Something the tests need could not be set up; the message says what to do."""


def log(message):
    print(f"sam-local: {message}", flush=True)


def tail(path, lines=25):
    if path is None:
        return ""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run(cmd, timeout=120, **kw):
    """A short command; its output captured."""
    kw.setdefault("cwd", ROOT)
    cmd = [str(c) for c in cmd]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {timeout} s")
    except FileNotFoundError:
        return subprocess.CompletedProcess(cmd, 127, "", f"{cmd[0]}: command not found")


def need_root(what):
    if os.geteuid() != 0:
        raise SetupError(f"{what} needs root: run scripts/sam-local as root")


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(host, port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def wait_for_port(host, port, seconds, proc, logfile, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"{what} exited with {proc.returncode}:\n{tail(logfile)}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SetupError(f"{what} did not listen on {host}:{port} within {seconds} s:\n{tail(logfile)}")
