"""The base images of the function containers: Lambda's, or stand-ins built once from
Debian 12 arm64 rootfs cached under ~/.cache/keyauth (provided.al2023 for the Rust
functions, python3.11 for the example's Python service)."""
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .process import SetupError, log, need_root, run, tail
from .project import VENV_BIN

CACHE = Path.home() / ".cache" / "keyauth"
REAL_IMAGE = "public.ecr.aws/lambda/provided:al2023-arm64"
STANDIN_IMAGE = "keyauth/lambda-standin:provided.al2023-arm64"
# SAM adds its runtime emulator to the base image under this name; it must be rebuilt
# whenever the base changes.
STANDIN_RAPID_IMAGE = "keyauth/lambda-standin:rapid-arm64"
STANDIN_LABEL = "keyauth.lambda-standin"
# Change this when the stand-in recipe in build_standin() changes: it forces a rebuild.
STANDIN_RECIPE = "debian-bookworm-minbase-unpacked-1"
# The stand-in's rapid image, built here rather than by SAM (see ensure_rapid_image()).
RAPID_LABEL = "keyauth.lambda-standin-rapid"
RAPID_RECIPE = "native-x86_64-rie-1"
DEBIAN_MIRROR = os.environ.get("DEBOOTSTRAP_MIRROR", "http://deb.debian.org/debian")
# The Python runtime interface client, pinned, installed into the Python stand-in.
PYTHON_RUNTIME = Path(__file__).resolve().parent / "python-runtime.txt"
PYTHON_BOOTSTRAP = """#!/bin/sh
# What Lambda's python3.11 image runs: the runtime interface client with the handler.
export PYTHONPATH="/var/runtime:${LAMBDA_TASK_ROOT:-/var/task}"
exec /usr/bin/python3 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
"""


@dataclass(frozen=True)
class StandIn:
    """A Lambda base image and the stand-in built when it cannot be had."""
    real: str
    image: str
    # SAM's name for the image with its runtime emulator added (repository:rapid-arch).
    rapid: str
    recipe: str
    # Debian packages beyond minbase.
    include: tuple = ()
    # The runtime's own files, added to the unpacked rootfs.
    python_runtime: bool = False


PROVIDED = StandIn(REAL_IMAGE, STANDIN_IMAGE, STANDIN_RAPID_IMAGE, STANDIN_RECIPE)
PYTHON = StandIn(
    "public.ecr.aws/lambda/python:3.11-arm64",
    "keyauth/lambda-standin-python:3.11-arm64",
    "keyauth/lambda-standin-python:rapid-arm64",
    "debian-bookworm-minbase-python3.11-awslambdaric-4.2.2-2",
    include=("python3",),
    python_runtime=True,
)


def image_info(image):
    result = run(["docker", "image", "inspect", image])
    return json.loads(result.stdout)[0] if result.returncode == 0 else None


def image_label(info, label):
    return ((info.get("Config") or {}).get("Labels") or {}).get(label)


def ensure_base_image(spec=PROVIDED):
    """Returns (the image to pass as --invoke-image, or None for SAM's default, a line
    saying which base image is used)."""
    info = image_info(spec.real)
    if info and info.get("Architecture") == "arm64" and not image_label(info, STANDIN_LABEL):
        return None, f"{spec.real} (Lambda's base image, present)"
    pull = run(["docker", "pull", "--platform", "linux/arm64", spec.real], timeout=600)
    if pull.returncode == 0:
        return None, f"{spec.real} (Lambda's base image, pulled)"
    why = (pull.stderr.strip().splitlines() or ["no reason given"])[-1]
    info = image_info(spec.image)
    if not info or image_label(info, STANDIN_LABEL) != spec.recipe:
        build_standin(spec)
    ensure_rapid_image(spec)
    return spec.image, (
        f"stand-in {spec.image} (Debian 12 arm64 minbase{' + ' + ', '.join(spec.include) if spec.include else ''}, "
        f"glibc 2.36), because {spec.real} is not present and cannot be pulled: {why}"
    )


def build_standin(spec):
    """Lambda's provided.al2023 base image is a small OS with /var/runtime, /var/task and
    /opt; SAM adds its runtime interface emulator on top. The stand-in holds the packages of
    a Debian 12 arm64 minbase system, unpacked by debootstrap's first stage (no package
    scripts run, so building it needs no emulation), and is built as a real arm64 image:
    `docker import` would tag it amd64, and SAM would then try to pull."""
    workdir = CACHE / f"lambda-standin-{spec.recipe}"
    rootfs, complete = workdir / "rootfs", workdir / "complete"
    if not complete.exists():
        need_root("building the stand-in base image (debootstrap)")
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        log(f"unpacking the stand-in rootfs into {workdir} with debootstrap (once)")
        started = time.time()
        include = [f"--include={','.join(spec.include)}"] if spec.include else []
        debootstrap = run(
            ["debootstrap", "--foreign", "--arch=arm64", "--variant=minbase", *include, "bookworm",
             rootfs, DEBIAN_MIRROR],
            timeout=1800,
        )
        (workdir / "debootstrap.log").write_text(debootstrap.stdout + debootstrap.stderr)
        if debootstrap.returncode != 0:
            raise SetupError(
                f"debootstrap failed ({workdir / 'debootstrap.log'}):\n{tail(workdir / 'debootstrap.log')}\n"
                f"It downloads from the Debian mirror {DEBIAN_MIRROR}; set DEBOOTSTRAP_MIRROR for another."
            )
        if spec.include:
            # The first stage unpacks only the required packages; the included ones it just
            # downloads. Unpacking them too is all a runtime's files need (no scripts).
            for deb in sorted((rootfs / "var/cache/apt/archives").glob("*.deb")):
                unpacked = run(["dpkg-deb", "-x", deb, rootfs], timeout=300)
                if unpacked.returncode != 0:
                    raise SetupError(f"dpkg-deb -x {deb.name} failed: {unpacked.stderr[-500:]}")
        shutil.rmtree(rootfs / "debootstrap")
        for sub in ["var/cache/apt/archives", "usr/share/doc", "usr/share/man", "usr/share/locale"]:
            for child in (rootfs / sub).glob("*"):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                elif child.name != "lock":
                    child.unlink()
        for name in ["passwd", "group"]:  # what base-passwd's script would have written
            shutil.copy(rootfs / f"usr/share/base-passwd/{name}.master", rootfs / "etc" / name)
        for sub in ["var/runtime", "var/task", "opt", "etc/ssl/certs"]:
            (rootfs / sub).mkdir(parents=True, exist_ok=True)
        bundle = Path("/etc/ssl/certs/ca-certificates.crt")
        if bundle.exists():
            shutil.copy(bundle, rootfs / "etc/ssl/certs/ca-certificates.crt")
        if spec.python_runtime:
            install_python_runtime(rootfs)
        complete.write_text(f"{spec.recipe}\n")
        log(f"stand-in rootfs ready in {time.time() - started:.0f} s")
    dockerfile = f"FROM scratch\nCOPY . /\nLABEL {STANDIN_LABEL}={spec.recipe}\n"
    build = run(
        ["docker", "build", "--platform", "linux/arm64", "-t", spec.image, "-f", "-", rootfs],
        input=dockerfile, timeout=900, env=dict(os.environ, DOCKER_BUILDKIT="0"),
    )
    if build.returncode != 0:
        raise SetupError(f"docker build of the stand-in failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
    run(["docker", "image", "rm", spec.rapid])  # SAM's image derived from the old base
    log(f"built {spec.image} from {rootfs}")


def install_python_runtime(rootfs):
    """awslambdaric (pinned, arm64 wheels for CPython 3.11, Debian 12's Python) into
    /var/runtime, and the bootstrap Lambda's python image runs."""
    target = rootfs / "var" / "runtime"
    pip = run([VENV_BIN / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:",
               "--platform", "manylinux2014_aarch64", "--python-version", "3.11", "--implementation", "cp",
               "--target", target, "-r", PYTHON_RUNTIME], timeout=600)
    if pip.returncode != 0:
        raise SetupError(f"installing the Python runtime interface client failed:\n{pip.stderr[-2000:]}")
    bootstrap = target / "bootstrap"
    bootstrap.write_text(PYTHON_BOOTSTRAP)
    bootstrap.chmod(0o755)


def ensure_rapid_image(spec):
    """SAM runs every function container with its runtime interface emulator (a Go program,
    aws-lambda-rie) as entry point, and gives it well under a second of retries to answer.
    Its arm64 build, started through qemu, can take longer than that on a busy machine, and
    SAM then reports "No response from invoke container" for a function that never ran. So
    the stand-in's rapid image, which SAM reuses when it exists, is built here with SAM's own
    x86_64 build of the emulator, which runs natively (it is statically linked); the
    functions are still the arm64 binaries, run through qemu as on an arm64 host."""
    # Rebuilt when the recipe or the stand-in under it changes.
    wanted = f"{RAPID_RECIPE} {image_info(spec.image)['Id']}"
    info = image_info(spec.rapid)
    if info and image_label(info, RAPID_LABEL) == wanted:
        return
    found = run([VENV_BIN / "python", "-c", "import os, samcli; print(os.path.dirname(samcli.__file__))"])
    rie = Path(found.stdout.strip()) / "local" / "rapid" / "aws-lambda-rie-x86_64"
    if found.returncode != 0 or not rie.is_file():
        raise SetupError(f"SAM's x86_64 runtime emulator was not found at {rie}: {found.stderr[-500:]}")
    context = CACHE / f"lambda-standin-rapid-{spec.recipe}"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copy(rie, context / "aws-lambda-rie")
    dockerfile = (f"FROM {spec.image}\nCOPY aws-lambda-rie /var/rapid/aws-lambda-rie\n"
                  f"LABEL {RAPID_LABEL}=\"{wanted}\"\n")
    build = run(
        ["docker", "build", "--platform", "linux/arm64", "-t", spec.rapid, "-f", "-", context],
        input=dockerfile, timeout=300, env=dict(os.environ, DOCKER_BUILDKIT="0"),
    )
    if build.returncode != 0:
        raise SetupError(f"docker build of the rapid image failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
    log(f"built {spec.rapid}: the stand-in with SAM's x86_64 runtime emulator, run natively")


def check_arm64_runs(image):
    image = image or REAL_IMAGE
    result = run(["docker", "run", "--rm", "--network", "none", "--platform", "linux/arm64",
                  "--entrypoint", "/bin/sh", image, "-c", "uname -m"], timeout=120)
    if result.stdout.strip() != "aarch64":
        raise SetupError(
            f"an arm64 container does not run ({result.stderr.strip() or result.stdout.strip()}).\n"
            "Check arm64 emulation: `update-binfmts --display qemu-aarch64` must show it enabled\n"
            "with flags F (package qemu-user-static)."
        )
