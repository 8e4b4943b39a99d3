"""The host: distribution packages, arm64 emulation (binfmt_misc), the Docker daemon and
its bridge address."""
import fcntl
import json
import os
import platform
import re
import shutil
import socket
import struct
import time
from pathlib import Path

from .process import SetupError, log, need_root, run, tail
from .session import stop


def ensure_host_packages():
    wanted = [("dockerd", "docker.io"), ("debootstrap", "debootstrap"),
              ("update-binfmts", "binfmt-support"), ("readelf", "binutils")]
    if needs_emulation():
        wanted.append(("qemu-aarch64-static", "qemu-user-static"))
    missing = [pkg for exe, pkg in wanted if not shutil.which(exe)]
    if not missing:
        return
    need_root(f"installing {' '.join(missing)}")
    log(f"installing {' '.join(missing)} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    result = run(install, timeout=600, env=env)
    if result.returncode != 0:
        run(["apt-get", "update"], timeout=600, env=env)
        result = run(install, timeout=600, env=env)
    if result.returncode != 0:
        raise SetupError(f"apt-get install {' '.join(missing)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    versions = run(["dpkg-query", "-W", "-f", "${Package} ${Version}, ", *missing]).stdout
    log(f"installed {versions.rstrip(', ')}")


def needs_emulation():
    return platform.machine() not in ("aarch64", "arm64")


def ensure_arm64_emulation():
    """arm64 Lambda containers on an x86_64 host run under qemu through binfmt_misc. The F
    flag makes the kernel open qemu at registration, so it works inside containers."""
    if not needs_emulation():
        return
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "status").exists():
        need_root("mounting binfmt_misc")
        result = run(["mount", "-t", "binfmt_misc", "binfmt_misc", binfmt])
        if result.returncode != 0:
            raise SetupError(
                f"binfmt_misc is not mounted and mounting it failed ({result.stderr.strip()}).\n"
                "arm64 functions run under qemu through binfmt_misc. In a container, mount it on the\n"
                "host (`mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc`, then\n"
                "`update-binfmts --enable qemu-aarch64`) or run a privileged container, then rerun."
            )
    entry = binfmt / "qemu-aarch64"

    def ready():
        text = entry.read_text() if entry.exists() else ""
        flags = re.search(r"^flags: (\S*)", text, re.M)
        return text.startswith("enabled") and flags and "F" in flags.group(1)

    if not ready():
        need_root("enabling qemu-aarch64 in binfmt_misc")
        run(["update-binfmts", "--enable", "qemu-aarch64"])
    if not ready():
        state = entry.read_text() if entry.exists() else "not registered"
        raise SetupError(
            "qemu-aarch64 is not enabled in binfmt_misc with the F (fix binary) flag:\n"
            f"{state}\nCheck `update-binfmts --display qemu-aarch64` (package qemu-user-static)."
        )


def docker_answers():
    return run(["docker", "version", "--format", "{{.Server.Version}}"], timeout=15).returncode == 0


def ensure_docker(session):
    if not shutil.which("docker"):
        raise SetupError("no docker command: install docker.io (apt-get install docker.io)")
    if docker_answers():
        log("Docker: using the daemon that is running")
        return
    need_root("starting dockerd")
    logfile = session.tmp / "dockerd.log"
    # No iptables: nothing here needs NAT or published ports beyond loopback.
    proc = session.spawn(
        ["dockerd", "--iptables=false", "--ip-masq=false", "--ip-forward=false"], logfile, "6h"
    )
    session.cleanups.append(("dockerd", lambda: stop(proc, wait=60)))
    deadline = time.time() + 30
    while not docker_answers():
        if proc.poll() is not None or time.time() > deadline:
            raise SetupError(
                f"Docker cannot start (dockerd {'exited' if proc.poll() is not None else 'did not answer in 30 s'}):\n"
                f"{tail(logfile)}\n"
                "Common causes: not root; another dockerd or its pid file (/var/run/docker.pid) in the\n"
                "way; no cgroup or overlay support inside a container. Start a Docker daemon yourself\n"
                "and rerun: any daemon that answers `docker version` is used."
            )
        time.sleep(0.25)
    version = run(["docker", "version", "--format", "{{.Server.Version}}"]).stdout.strip()
    log(f"Docker: started dockerd {version} (stopped again at the end)")


def bridge_address():
    """The host's address on Docker's default bridge: containers reach DynamoDB there
    (`--docker-network host` does not change a Lambda container's network)."""
    result = run(["docker", "network", "inspect", "bridge"])
    if result.returncode != 0:
        raise SetupError(f"no default Docker bridge network: {result.stderr.strip()}")
    net = json.loads(result.stdout)[0]
    for config in (net.get("IPAM") or {}).get("Config") or []:
        if config.get("Gateway"):
            return config["Gateway"]
    name = (net.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
        except OSError as e:  # SIOCGIFADDR
            raise SetupError(f"the Docker bridge {name} has no IPv4 address: {e}")
    return socket.inet_ntoa(packed[20:24])
