"""The example (examples/python-orders): a Python service behind the built authorizer,
as a REST and as an HTTP API, over `sam local start-api`. SAM invokes a route's function
even when it cannot find the authorizer, and answers "no key" itself, so the checks that
prove the authorizer ran are the refusals of a bad key and of a wrong scope, each asserted
explicitly. The REST API's authorizer takes the routes document inline; the HTTP API's
reads it from S3 (moto's, beside the tables) as it starts, as templates/authorizer.yaml's
RoutesDocumentBucket and RoutesDocumentKey make it."""
import json
import time

from .api import SAM_401, SAM_403, SAM_502, Api, shut_down_api, stop_apis, wait_for_emulators
from .process import SetupError, free_port, log, run, tail, wait_for_port
from .project import ROOT, VENV_BIN
from .stack import KEYS_TABLE, USAGE_TABLE, keyctl_env, keyctl_path, sam_env

EXAMPLE = ROOT / "examples" / "python-orders"

LOCAL_TEMPLATE = r"""
import sys
from pathlib import Path
from samcli.yamlhelper import yaml_dump, yaml_parse

source, out, from_s3 = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "s3"
template = yaml_parse(source.read_text())
for resource in template["Resources"].values():
    props = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::Serverless::Function":
        props["CodeUri"] = str((source.parent / props["CodeUri"]).resolve())
        variables = props.get("Environment", {}).get("Variables")
        if variables is not None:
            variables["AWS_ENDPOINT_URL_DYNAMODB"] = ""
            # sam local passes on only the variables a template declares.
            if from_s3 and "ROUTES_DOCUMENT" in variables:
                for name in ("ROUTES_DOCUMENT_BUCKET", "ROUTES_DOCUMENT_KEY", "AWS_ENDPOINT_URL_S3"):
                    variables[name] = ""
out.write_text(yaml_dump(template))
"""

ROUTES_BUCKET = "keyauth-example-routes"
ROUTES_KEY = "orders/routes.yaml"


PUT_ROUTES = r"""
import sys
import boto3

endpoint, bucket, key, path = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="local", aws_secret_access_key="local")
s3.create_bucket(Bucket=bucket)
with open(path, "rb") as body:
    s3.put_object(Bucket=bucket, Key=key, Body=body.read())
"""


def put_routes_document(endpoint):
    """The example's routes.yaml as an S3 object in moto, through the SAM CLI's boto3."""
    result = run([VENV_BIN / "python", "-c", PUT_ROUTES, endpoint, ROUTES_BUCKET, ROUTES_KEY,
                  EXAMPLE / "routes.yaml"])
    if result.returncode != 0:
        raise SetupError(f"could not put the routes document into S3: {result.stderr[-2000:]}")


def keyctl(endpoint, *args):
    result = run([keyctl_path(), *args], env=keyctl_env(endpoint))
    if result.returncode != 0:
        raise SetupError(f"keyctl {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout) if result.stdout.strip() else None


def make_keys(endpoint):
    """The keys the checks use, made directly in the tables as an operator would."""
    def create(name, *scopes, credits=None):
        args = ["create", "--name", name, "--subject", "team_orders"]
        args += [a for scope in scopes for a in ("--scope", scope)]
        if credits is not None:
            args += ["--credits", str(credits)]
        return keyctl(endpoint, *args)

    keys = {
        "reader": create("orders reader", "orders:read"),
        "admin": create("orders admin", "orders:admin"),
        "metered": create("orders metered", "orders:read", credits=1),
        "revoked": create("orders revoked", "orders:read"),
    }
    keyctl(endpoint, "revoke", keys["revoked"]["id"])
    return keys


def start_example(session, template_name, endpoint, images, logfile, from_s3):
    out = session.tmp / f"example-{template_name}"
    result = run([VENV_BIN / "python", "-c", LOCAL_TEMPLATE, EXAMPLE / template_name, out,
                  "s3" if from_s3 else "inline"])
    if result.returncode != 0:
        raise SetupError(f"could not write the example's local template: {result.stderr[-2000:]}")
    env_vars = session.tmp / f"example-env-{template_name}.json"
    authorizer = {"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "KEYS_TABLE": KEYS_TABLE, "USAGE_TABLE": USAGE_TABLE}
    if from_s3:
        put_routes_document(endpoint)
        authorizer.update(ROUTES_DOCUMENT="", ROUTES_DOCUMENT_BUCKET=ROUTES_BUCKET,
                          ROUTES_DOCUMENT_KEY=ROUTES_KEY, AWS_ENDPOINT_URL_S3=endpoint)
    env_vars.write_text(json.dumps({"AuthorizerFunction": authorizer}))
    port = free_port("127.0.0.1")
    cmd = ["sam", "local", "start-api", "--template", out, "--env-vars", env_vars,
           "--host", "127.0.0.1", "--port", port, "--skip-pull-image", "--warm-containers", "EAGER"]
    for function, image in images.items():
        if image:
            cmd += ["--invoke-image", f"{function}={image}"]
    proc = session.spawn(cmd, logfile, "20m", env=sam_env())
    session.cleanups.append(("sam local start-api", lambda: shut_down_api(session, proc)))
    wait_for_port("127.0.0.1", port, 300, proc, logfile, "sam local start-api (example)")
    wait_for_emulators(session, proc, logfile, expected=2)
    return Api(f"http://127.0.0.1:{port}", logfile)


def check_example(results, api, keys, kind):
    """One API type's checks; `kind` is "rest" or "http"."""
    check = results.check
    reader, admin = keys["reader"], keys["admin"]

    status, body = api.call("GET", "/orders/7", key=reader["secret"])
    identity_ok = isinstance(body, dict) and body.get("keyId") == reader["id"] \
        and body.get("subject") == "team_orders" and body.get("scopes") == ["orders:read"]
    check(status == 200 and identity_ok,
          f"{kind}: right scope on GET /orders/7: 200, and the Python handler sees the key's identity",
          f"got {status} {body}")

    status, body = api.call("GET", "/orders/7/refunds", key=reader["secret"])
    check((status, body) == (403, SAM_403),
          f"{kind}: wrong scope (orders:read on GET /orders/{{id}}/refunds): 403", f"got {status} {body}")
    status, body = api.call("DELETE", "/admin/users/1", key=reader["secret"])
    check((status, body) == (403, SAM_403), f"{kind}: wrong scope on ANY /admin/{{proxy+}}: 403",
          f"got {status} {body}")
    status, body = api.call("GET", "/orders/7/refunds", key=admin["secret"])
    check(status == 200 and isinstance(body, dict) and body.get("keyId") == admin["id"],
          f"{kind}: orders:admin on the refunds: 200", f"got {status} {body}")
    status, body = api.call("DELETE", "/admin/users/1", key=admin["secret"])
    check(status == 200, f"{kind}: orders:admin on DELETE /admin/users/1: 200", f"got {status} {body}")

    status, body = api.call("GET", "/orders")
    check((status, body) == (401, SAM_401), f"{kind}: no key: 401 (before the authorizer)", f"got {status} {body}")

    bad = "sk_live_" + "0" * 44 + "AAAAAA"
    refused_key(results, api, kind, "a bad key", bad)
    refused_key(results, api, kind, "the revoked key", keys["revoked"]["secret"])

    metered = keys["metered"]["secret"]
    statuses = [api.call("GET", "/orders", key=metered)[0] for _ in range(2)]
    check(statuses == [200, 403], f"{kind}: a key with 1 credit passes once, then 403", f"got {statuses}")


def refused_key(results, api, kind, label, secret):
    """REST: the authorizer's Unauthorized, which SAM answers 502 (API Gateway: 401); its
    log shows the refusal. HTTP API: `isAuthorized: false`, 403 there and in AWS alike."""
    offset = api.log_size()
    status, body = api.call("GET", "/orders", key=secret)
    if kind == "rest":
        results.check((status, body) == (502, SAM_502) and api.logged_since(offset, "Unauthorized"),
                      f"rest: {label}: refused by the authorizer (Unauthorized; SAM answers 502 where "
                      "API Gateway answers 401)", f"got {status} {body}")
    else:
        results.check((status, body) == (403, SAM_403), f"http: {label}: refused (isAuthorized false): 403",
                      f"got {status} {body}")


def run_examples(session, results, endpoint, provided_image, python_image):
    stop_apis(session)
    keys = make_keys(endpoint)
    images = {"AuthorizerFunction": provided_image, "OrdersFunction": python_image}
    for template_name, kind in (("template.yaml", "rest"), ("template-http.yaml", "http")):
        started = time.time()
        logfile = session.tmp / f"start-api-{kind}.log"
        api = start_example(session, template_name, endpoint, images, logfile, from_s3=kind == "http")
        before = results.failed
        # A fresh metered key per API type: the first run spends the one credit.
        if kind == "http":
            keys["metered"] = keyctl(endpoint, "create", "--name", "orders metered 2", "--subject",
                                     "team_orders", "--scope", "orders:read", "--credits", "1")
        check_example(results, api, keys, kind)
        if kind == "http":
            results.check(api.logged_since(0, "routes document read")
                          and api.logged_since(0, f"s3://{ROUTES_BUCKET}/{ROUTES_KEY}"),
                          "http: the authorizer read its routes document from S3 as it started",
                          "no 'routes document read' line naming the object in the log")
        if results.failed > before:
            print(f"--- sam local start-api ({template_name}) output (last lines)\n{tail(logfile, 60)}")
        log(f"example {template_name}: {time.time() - started:.0f} s")
        stop_apis(session)
