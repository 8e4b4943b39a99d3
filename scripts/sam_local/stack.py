"""What the functions run against: sam build and the static checks of its output (Handler,
arm64, glibc), moto's server (DynamoDB, and EventBridge for the key-changes publisher) and a
stand-in for API Gateway's cache flush on the Docker bridge, the tables and keys (keyctl), and the copy of the built template that points
the functions at them."""
import json
import os
import re
import subprocess
from pathlib import Path

from .process import SetupError, free_port, log, run, wait_for_port
from .project import BUILD, FUNCTIONS, ROOT, VENV_BIN
from .session import stop

LAMBDA_GLIBC = (2, 34)  # Amazon Linux 2023, the provided.al2023 runtime
KEYS_TABLE, EVENTS_TABLE, PRODUCTS_TABLE = "sam-local-keys", "sam-local-events", "sam-local-products"
USAGE_TABLE = "sam-local-usage"
ADMIN_SCOPES = ["keys:read", "keys:write", "keys:verify", "keys:admin", "products:write"]


def sam_env():
    """SAM's own environment: no AWS credentials or settings (fake credentials make every
    sam command retry STS for ~11 s; without any, the functions get SAM's placeholders),
    and none of the function variables (SAM would hand a shell value to the function)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_")
           and k not in ("KEYS_TABLE", "EVENTS_TABLE", "PRODUCTS_TABLE", "USAGE_TABLE", "KEY_PREFIX", "RUST_LOG")}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        SAM_CLI_TELEMETRY="0",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def keyctl_env(endpoint):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("KEY_PREFIX",)}
    env.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
        AWS_EC2_METADATA_DISABLED="true", KEYS_TABLE=KEYS_TABLE, EVENTS_TABLE=EVENTS_TABLE,
        PRODUCTS_TABLE=PRODUCTS_TABLE, USAGE_TABLE=USAGE_TABLE,
    )
    return env


def install_tools():
    result = subprocess.run([ROOT / "scripts" / "install-tools"], cwd=ROOT)
    if result.returncode != 0:
        raise SetupError("scripts/install-tools failed (see above)")


def sam_build(built):
    if not built:
        log("sam build (cargo lambda build --release --arm64 per function)")
        result = subprocess.run(["sam", "build", "--template", "template.yaml"], cwd=ROOT, env=sam_env())
        if result.returncode != 0:
            raise SetupError("sam build failed (see above)")
    if not (BUILD / "template.yaml").exists():
        raise SetupError("no .aws-sam/build/template.yaml: run `sam build` first, or drop --built")
    for function in FUNCTIONS.values():
        if not (BUILD / function / "bootstrap").is_file():
            raise SetupError(f"sam build produced no {function}/bootstrap")


def check_functions(results, handlers):
    """What invoking cannot show: the provided runtimes run /var/task/bootstrap whatever
    Handler says (here and on Lambda), so a wrong Handler would pass every invoke."""
    results.check(set(handlers) == set(FUNCTIONS.values()),
                  f"template: the functions are {', '.join(sorted(FUNCTIONS.values()))}",
                  f"the template has {sorted(handlers)}; scripts/sam-local maps events/ to {sorted(FUNCTIONS.values())}")
    for function, handler in sorted(handlers.items()):
        results.check(handler == "bootstrap", f"template: {function} Handler is bootstrap", f"it is {handler!r}")
    for function in sorted(handlers):
        header = run(["readelf", "--file-header", BUILD / function / "bootstrap"])
        machine = re.search(r"Machine:\s*(.+)", header.stdout)
        results.check(machine is not None and machine.group(1).strip() == "AArch64",
                      f"{function}/bootstrap is an arm64 executable",
                      machine.group(1) if machine else header.stderr)


def check_glibc(results):
    """Each bootstrap must run on Lambda's glibc (2.34), whatever the image here has."""
    limit = ".".join(map(str, LAMBDA_GLIBC))
    for bootstrap in sorted(BUILD.glob("*/bootstrap")):
        label = f"glibc: {bootstrap.parent.name}/bootstrap needs no symbol newer than GLIBC_{limit}"
        syms = run(["readelf", "--dyn-syms", "--wide", bootstrap])
        if syms.returncode != 0:
            results.check(False, label, syms.stderr.strip())
            continue
        needs = {(sym, tuple(map(int, ver.split(".")))) for sym, ver in
                 re.findall(r"(\S+?)@+GLIBC_(\d+(?:\.\d+)+)", syms.stdout)}
        too_new = sorted((v, s) for s, v in needs if v > LAMBDA_GLIBC)
        newest = max((v for _, v in needs), default=None)
        detail = ", ".join(f"{s}@GLIBC_{'.'.join(map(str, v))}" for v, s in too_new)
        shown = f" (newest: GLIBC_{'.'.join(map(str, newest))})" if newest else ""
        results.check(not too_new, label + shown, f"too new for Lambda: {detail}")


def cargo(args, env=None):
    result = subprocess.run(["cargo", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SetupError(f"cargo {' '.join(args)} failed (see above)")


def keyctl_path():
    target = Path(ROOT, os.environ.get("CARGO_TARGET_DIR", "target"))
    return target / "debug" / "keyctl"


def start_dynamodb(session, host):
    """moto's DynamoDB server: every key change is a TransactWriteItems with its audit
    event, which dynalite does not implement."""
    port = free_port(host)
    logfile = session.tmp / "moto.log"
    proc = session.spawn(
        # One request at a time: conditional updates atomic, as in DynamoDB.
        [ROOT / ".venv-moto/bin/python", ROOT / "scripts/moto-server", host, port],
        logfile, "6h",
    )
    session.cleanups.append(("moto", lambda: stop(proc)))
    wait_for_port(host, port, 30, proc, logfile, "moto")
    return f"http://{host}:{port}"


# The REST API and stage the flush function is told (the template's !Ref Api means
# nothing locally), and that the stand-in accepts.
REST_API_ID, STAGE_NAME = "sam-local-api", "prod"


def start_apigateway_stand_in(session, host):
    """scripts/apigateway-stand-in: API Gateway's FlushStageAuthorizersCache for this
    stage only, which no emulator implements."""
    port = free_port(host)
    logfile = session.tmp / "apigateway.log"
    proc = session.spawn(
        [ROOT / "scripts/apigateway-stand-in", host, port, REST_API_ID, STAGE_NAME],
        logfile, "6h",
    )
    session.cleanups.append(("API Gateway stand-in", lambda: stop(proc)))
    wait_for_port(host, port, 30, proc, logfile, "API Gateway stand-in")
    return f"http://{host}:{port}"


def prepare_tables(endpoint, seed_events):
    """Tables, the example keys the events use (test only) and an admin key."""
    env = keyctl_env(endpoint)
    keyctl = keyctl_path()
    init = run([keyctl, "init-tables"], env=env)
    if init.returncode != 0:
        raise SetupError(f"keyctl init-tables failed: {init.stderr.strip()}")
    if seed_events:
        seed = run(["cargo", "test", "--workspace", "--locked", "--test", "events", "--", "--ignored",
                    "--exact", "seed_example_keys_into_the_configured_tables"], env=env, timeout=900)
        if seed.returncode != 0:
            raise SetupError(f"seeding the example keys failed:\n{seed.stdout[-2000:]}{seed.stderr[-2000:]}")
    scopes = [arg for scope in ADMIN_SCOPES for arg in ("--scope", scope)]
    create = run([keyctl, "create", "--name", "sam-local admin", "--subject", "admin", *scopes,
                  "--expires-in", "43200"], env=env)
    if create.returncode != 0:
        raise SetupError(f"keyctl create failed: {create.stderr.strip()}")
    return json.loads(create.stdout)["secret"]


LOCAL_TEMPLATE = r"""
import json, sys
from pathlib import Path
from samcli.yamlhelper import yaml_dump, yaml_parse

built, out = Path(sys.argv[1]), Path(sys.argv[2])
template = yaml_parse(built.read_text())
function = template.setdefault("Globals", {}).setdefault("Function", {})
variables = function.setdefault("Environment", {}).setdefault("Variables", {})
variables["AWS_ENDPOINT_URL_DYNAMODB"] = ""
variables["AWS_ENDPOINT_URL_API_GATEWAY"] = ""
variables["AWS_ENDPOINT_URL_EVENTBRIDGE"] = ""
routes, functions = [], {}
for logical_id, resource in template["Resources"].items():
    if resource.get("Type") != "AWS::Serverless::Function":
        continue
    props = resource["Properties"]
    functions[logical_id] = props.get("Handler", function.get("Handler"))
    if isinstance(props.get("CodeUri"), str):
        props["CodeUri"] = str((built.parent / props["CodeUri"]).resolve())
    for event in (props.get("Events") or {}).values():
        if event.get("Type") == "Api":
            public = (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
            routes.append([event["Properties"]["Method"].upper(), event["Properties"]["Path"], public])
out.write_text(yaml_dump(template))
print(json.dumps({"routes": sorted(routes), "variables": sorted(variables), "handlers": functions}))
"""


def release():
    """dist/ from this build (scripts/release): the release's templates and zips, run below
    as a team that deploys them without a build would."""
    result = run([ROOT / "scripts" / "release"], env=sam_env())
    if result.returncode != 0:
        raise SetupError(f"scripts/release failed: {result.stderr[-2000:]}")
    return ROOT / "dist"


def local_template(session, endpoint, gateway, source=BUILD / "template.yaml", name="template.yaml",
                   whole_stack=True):
    """A copy of the built template (or of `source`, the release's) that also declares
    AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_API_GATEWAY and AWS_ENDPOINT_URL_EVENTBRIDGE:
    SAM hands a function only the variables its template declares. template.yaml stays as
    it is. A stack of one function (`whole_stack` false) declares no tables of its own."""
    out = session.tmp / name
    result = run([VENV_BIN / "python", "-c", LOCAL_TEMPLATE, source, out])
    if result.returncode != 0:
        raise SetupError(f"could not write the local template: {result.stderr[-2000:]}")
    info = json.loads(result.stdout)
    for name in ("KEYS_TABLE", "EVENTS_TABLE", "PRODUCTS_TABLE", "USAGE_TABLE") if whole_stack else ():
        if name not in info["variables"]:
            raise SetupError(f"the template no longer declares {name}; the functions would not find their tables")
    env_vars = session.tmp / "env.json"
    env_vars.write_text(json.dumps({"Parameters": {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "KEYS_TABLE": KEYS_TABLE, "EVENTS_TABLE": EVENTS_TABLE,
        "PRODUCTS_TABLE": PRODUCTS_TABLE, "USAGE_TABLE": USAGE_TABLE, "AWS_ENDPOINT_URL_API_GATEWAY": gateway,
        "API_ID": REST_API_ID, "STAGE_NAME": STAGE_NAME,
        # The publisher's bus: moto's default one, beside the tables (the template's own bus
        # is a CloudFormation resource, which means nothing locally).
        "AWS_ENDPOINT_URL_EVENTBRIDGE": endpoint, "KEY_CHANGES_BUS": "default",
    }}))
    return out, env_vars, info["routes"], info["handlers"]
