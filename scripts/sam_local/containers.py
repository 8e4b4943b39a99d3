"""The function containers SAM runs, and which of them this run created."""
import json

from .process import run
from .project import ROOT


def lambda_containers():
    result = run(["docker", "ps", "-aq", "--no-trunc", "--filter", "label=sam.cli.container.type=lambda"])
    return result.stdout.split() if result.returncode == 0 else []


def our_containers(session):
    """Function containers created during this run from this checkout (its build directory,
    or an example's code)."""
    build = str(ROOT.resolve())
    ours = []
    for cid in set(lambda_containers()) - session.containers_before:
        info = run(["docker", "inspect", cid])
        if info.returncode != 0:
            continue
        mounts = json.loads(info.stdout)[0].get("Mounts") or []
        if any(str(m.get("Source", "")).startswith(build) for m in mounts):
            ours.append(cid)
    return ours


def remove_our_containers(session):
    """What SAM left behind (it does after a signal with warm containers)."""
    for cid in our_containers(session):
        run(["docker", "rm", "-f", cid])
