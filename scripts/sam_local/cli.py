"""Runs the functions of template.yaml under SAM local (Docker), offline. As root:

    scripts/sam-local test  [--built]
    scripts/sam-local serve [--built] [--port N]

test   `sam build` (skip it with --built when it has just run in this checkout); the
       release made from it (scripts/release: dist/ and its zips), whose stacks run first
       under `sam local invoke`: keyauth.yaml's authorizer and manage-keys reads,
       authorizer.yaml's authorizer, cache-flush.yaml's flush; checks
       that each function's Handler is bootstrap and that each built bootstrap is arm64
       and needs no glibc symbol newer than Lambda's provided.al2023 has (2.34); every
       file in events/ through `sam local invoke`, its answer checked
       against events/expectations.json (the file shared/tests/events/ checks too); then
       the API end to end over `sam local start-api`; then the Python example
       (examples/python-orders) behind the built authorizer, as a REST and as an HTTP API,
       over `sam local start-api`. Ends with one line
       `sam-local: N passed, M failed` and exits non-zero on any failure.
serve  The same set-up, then `sam local start-api` on http://127.0.0.1:PORT (default 3000)
       until Ctrl-C, printing the URL and one line `admin key: <secret>`.

Set-up: installs docker.io, qemu-user-static, binfmt-support, debootstrap and binutils
from the distribution when missing; enables arm64 emulation (binfmt_misc, qemu-aarch64);
starts dockerd only when no Docker daemon answers; uses the Lambda base image
public.ecr.aws/lambda/provided:al2023-arm64 (and python:3.11-arm64 for the example) when
present or pullable, otherwise stand-ins built once from Debian 12 arm64 rootfs
(debootstrap, cached under ~/.cache/keyauth/; the Python one with awslambdaric from PyPI); runs moto's DynamoDB server on the Docker bridge address,
where the function containers reach it; creates the tables and an admin key with keyctl.
At the end it stops exactly what it started and removes the function containers it ran.
"""
import argparse
import signal
import sys
import time

from .api import Api, end_to_end, start_api
from .checks import Results, invoke_events, load_expectations
from .host import bridge_address, ensure_arm64_emulation, ensure_docker, ensure_host_packages
from .examples import run_examples
from .image import PYTHON, check_arm64_runs, ensure_base_image
from .process import SetupError, free_port, log, port_is_free, tail
from .session import Session
from .stack import (cargo, check_functions, check_glibc, install_tools, local_template, prepare_tables,
                    release, sam_build, start_apigateway_stand_in, start_dynamodb)


def set_up(session, args, seed_events):
    started = time.time()
    ensure_host_packages()
    install_tools()
    ensure_arm64_emulation()
    ensure_docker(session)
    image, which = ensure_base_image()
    log(f"base image: {which}")
    check_arm64_runs(image)
    sam_build(args.built)
    if seed_events:
        # keyctl and the seeding test; nothing to do after scripts/test's cargo test.
        cargo(["test", "--workspace", "--locked", "--no-run", "--quiet"])
    else:
        cargo(["build", "--workspace", "--locked", "--bin", "keyctl", "--quiet"])
    bridge = bridge_address()
    endpoint = start_dynamodb(session, bridge)
    gateway = start_apigateway_stand_in(session, bridge)
    admin = prepare_tables(endpoint, seed_events)
    template, env_vars, routes, handlers = local_template(session, endpoint, gateway)
    log(f"set up in {time.time() - started:.0f} s; DynamoDB (moto) at {endpoint}")
    return image, admin, template, env_vars, routes, handlers, endpoint, gateway


def cmd_test(session, args, results):
    image, admin, template, env_vars, routes, handlers, endpoint, gateway = set_up(session, args, seed_events=True)
    check_functions(results, handlers)
    check_glibc(results)
    expectations = load_expectations(results)

    # Before the full run changes any key: the authorizer's events and the handlers' reads
    # only read the seeded keys (the authorizer writes lastUsedAt at most).
    started = time.time()
    log("the release: each dist/ stack's zips through sam local invoke (the authorizer, reads of "
        "manage-keys, the cache flush)")
    dist = release()
    for stack, only in [("keyauth", ("authorizer/", "manage-keys/get-key", "manage-keys/list-keys")),
                        ("authorizer", ("authorizer/",)), ("cache-flush", ("flush-authorizer-cache/",))]:
        local, _, _, _ = local_template(session, endpoint, gateway, source=dist / f"{stack}.yaml",
                                        name=f"dist-{stack}.yaml", whole_stack=stack == "keyauth")
        invoke_events(session, results, expectations, local, env_vars, image, tag=f"dist/{stack}.yaml: ", only=only)
    released = time.time() - started

    started = time.time()
    log("every event through sam local invoke")
    invoke_events(session, results, expectations, template, env_vars, image)
    invoked = time.time() - started

    started = time.time()
    log("end to end over sam local start-api")
    logfile = session.tmp / "start-api.log"
    port = free_port("127.0.0.1")
    start_api(session, template, env_vars, image, port, logfile, "30m")
    end_to_end(results, Api(f"http://127.0.0.1:{port}", logfile), routes, admin)
    if results.failed:
        print(f"--- sam local start-api output (last lines)\n{tail(logfile, 60)}")
    served = time.time() - started

    started = time.time()
    log("the Python example behind the authorizer, over sam local start-api (REST and HTTP API)")
    python_image, which = ensure_base_image(PYTHON)
    log(f"python base image: {which}")
    run_examples(session, results, endpoint, image, python_image)
    log(f"release {released:.0f} s, invoke {invoked:.0f} s, start-api {served:.0f} s, "
        f"example {time.time() - started:.0f} s")
    print(f"sam-local: {results.passed} passed, {results.failed} failed", flush=True)
    return 1 if results.failed else 0


def cmd_serve(session, args, _results):
    if not port_is_free("127.0.0.1", args.port):
        raise SetupError(f"port {args.port} on 127.0.0.1 is in use: pass --port N, or stop what listens there")
    image, admin, template, env_vars, _, _, _, _ = set_up(session, args, seed_events=False)
    if not port_is_free("127.0.0.1", args.port):
        raise SetupError(f"port {args.port} on 127.0.0.1 is in use: pass --port N, or stop what listens there")
    url = f"http://127.0.0.1:{args.port}"
    proc = start_api(session, template, env_vars, image, args.port, None, "12h")
    print(f"admin key: {admin}")
    print(f"SAM local API on {url} (the admin key expires in 12 hours); Ctrl-C stops it")
    print(f"  curl -s -X POST {url}/keys -H \"x-api-key: <admin key>\" -H 'content-type: application/json' \\\n"
          "    -d '{\"name\":\"shop\",\"subject\":\"user_1\",\"scopes\":[\"products:write\"]}'")
    invoke_image = f" --invoke-image {image}" if image else ""
    print("While it runs, sam local invoke reaches the same tables with:\n"
          f"  .venv/bin/sam local invoke ManageKeysFunction -e events/manage-keys/list-keys.json \\\n"
          f"    --template {template} --env-vars {env_vars} --skip-pull-image{invoke_image}", flush=True)
    try:
        proc.wait()
    except KeyboardInterrupt:
        return 0
    return proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    test = sub.add_parser("test", help="build, invoke every event, run the API end to end")
    serve = sub.add_parser("serve", help="serve the API with sam local start-api")
    serve.add_argument("--port", type=int, default=3000)
    for p in (test, serve):
        p.add_argument("--built", action="store_true", help="sam build has just run in this checkout")
    args = parser.parse_args()

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    session, results = None, Results()
    try:
        session = Session()
        return (cmd_test if args.command == "test" else cmd_serve)(session, args, results)
    except SetupError as e:
        print(f"sam-local: error: {e}", file=sys.stderr, flush=True)
        if args.command == "test":
            print(f"sam-local: {results.passed} passed, {results.failed + 1} failed", flush=True)
        return 2
    except KeyboardInterrupt:
        print("sam-local: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        if session:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            session.close()
