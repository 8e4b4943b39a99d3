"""`sam local start-api` and the API end to end: API Gateway's authorizer flow, as SAM
emulates it."""
import json
import signal
import time
import urllib.error
import urllib.request

from .containers import our_containers, remove_our_containers
from .process import SetupError, run, tail, wait_for_port
from .project import EVENTS, FUNCTIONS
from .session import stop
from .stack import sam_env

# What `sam local start-api` answers itself (API Gateway answers with the template's
# GatewayResponses instead, and 401 rather than 502 for a refused key).
SAM_401 = {"message": "Unauthorized"}
SAM_403 = {"message": "User is not authorized to access this resource"}
SAM_502 = {"message": "Internal server error"}
SAM_NO_ROUTE = {"message": "Missing Authentication Token"}


class Api:
    def __init__(self, base, logfile):
        self.base, self.logfile = base, logfile

    def call(self, method, path, key=None, body=None):
        headers = {"content-type": "application/json"} if body is not None else {}
        if key is not None:
            headers["x-api-key"] = key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def log_size(self):
        return self.logfile.stat().st_size

    def logged_since(self, offset, text, seconds=5):
        """Whether SAM's output (function logs included) shows `text` after `offset`."""
        deadline = time.time() + seconds
        while True:
            with open(self.logfile, "rb") as f:
                f.seek(offset)
                if text in f.read().decode(errors="replace"):
                    return True
            if time.time() > deadline:
                return False
            time.sleep(0.1)


def start_api(session, template, env_vars, image, port, logfile, limit):
    cmd = ["sam", "local", "start-api", "--template", template, "--env-vars", env_vars,
           "--host", "127.0.0.1", "--port", port, "--skip-pull-image", "--warm-containers", "EAGER"]
    if image:
        cmd += ["--invoke-image", image]
    proc = session.spawn(cmd, logfile, limit, env=sam_env())
    session.cleanups.append(("sam local start-api", lambda: shut_down_api(session, proc)))
    wait_for_port("127.0.0.1", port, 300, proc, logfile, "sam local start-api")
    wait_for_emulators(session, proc, logfile)
    return proc


def shut_down_api(session, proc):
    # SIGINT lets SAM remove its warm containers; what it leaves is removed after.
    stop(proc, signal.SIGINT, wait=30)
    remove_our_containers(session)


def stop_apis(session):
    """Stops every `sam local start-api` started so far, and its containers."""
    for entry in [e for e in session.cleanups if e[0] == "sam local start-api"]:
        session.cleanups.remove(entry)
        entry[1]()


def wait_for_emulators(session, proc, logfile, expected=len(FUNCTIONS), seconds=120):
    """Waits until the runtime emulator listens in each warm container: Docker's port proxy
    accepts connections before it does, and SAM would answer the first requests with 502."""
    deadline = time.time() + seconds
    waiting = None
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"sam local start-api exited with {proc.returncode}:\n{tail(logfile)}")
        ours = our_containers(session)
        waiting = [cid for cid in ours if not emulator_listens(cid)]
        if len(ours) >= expected and not waiting:
            return
        time.sleep(0.5)
    raise SetupError(f"the runtime emulator did not start in {len(waiting or [])} function container(s) "
                     f"within {seconds} s:\n{tail(logfile)}")


def emulator_listens(cid, port=8080):
    """Whether something in the container listens on the emulator's port (/proc/net/tcp*)."""
    result = run(["docker", "exec", cid, "cat", "/proc/net/tcp", "/proc/net/tcp6"], timeout=30)
    wanted = f":{port:04X}"
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[1].endswith(wanted) and fields[3] == "0A":
            return True
    return False


def end_to_end(results, api, routes, admin):
    """The API through `sam local start-api`: API Gateway's authorizer flow, as SAM emulates it."""
    check = results.check
    events = {n: json.loads((EVENTS / "authorizer" / n).read_text()) for n in ("rest-unknown.json", "rest-malformed.json")}
    unknown = next(v for k, v in events["rest-unknown.json"]["headers"].items() if k.lower() == "x-api-key")
    malformed = next(v for k, v in events["rest-malformed.json"]["headers"].items() if k.lower() == "x-api-key")

    # Every route behind the authorizer: without the identity header the gateway itself
    # answers 401. The one route without it (GitHub's leak reports) reaches its function,
    # which refuses a report without a signature with its own 401.
    check(len(routes) > 0, f"the template has API routes ({len(routes)})")
    for method, path, public in routes:
        concrete = path.replace("{id}", "key_0NoSuchKeyExample00001")
        status, body = api.call(method, concrete, body={} if method == "POST" else None)
        if public:
            code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
            check((status, code) == (401, "unauthorized"),
                  f"{method} {path} without a signature: 401 from its function", f"got {status} {body}")
        else:
            check((status, body) == (401, SAM_401), f"{method} {path} without x-api-key: 401 from the gateway",
                  f"got {status} {body}")

    def refused(label, method, path, key, body=None):
        offset = api.log_size()
        status, answer = api.call(method, path, key=key, body=body)
        # API Gateway answers 401 here; SAM answers 502 because it does not map the
        # authorizer's Unauthorized error. The authorizer's own log shows it refused.
        check((status, answer) == (502, SAM_502) and api.logged_since(offset, "Unauthorized"),
              f"{label}: refused by the authorizer (Unauthorized; SAM answers 502 where API Gateway answers 401)",
              f"got {status} {answer}")

    refused("unknown key on POST /products", "POST", "/products", unknown, {"name": "Widget", "price": 5})
    refused("malformed key on POST /products", "POST", "/products", malformed, {"name": "Widget", "price": 5})

    status, body = api.call("GET", "/no-such-route", key=admin)
    check((status, body) == (403, SAM_NO_ROUTE),
          "unknown route: SAM's 403 Missing Authentication Token (API Gateway: the template's 404)",
          f"got {status} {body}")

    status, key = api.call("POST", "/keys", key=admin,
                           body={"name": "sam-local e2e", "subject": "user_e2e", "scopes": ["products:write"]})
    created = status == 201 and isinstance(key, dict) and isinstance(key.get("secret"), str)
    check(created and key.get("subject") == "user_e2e" and key.get("scopes") == ["products:write"],
          "admin creates a key for user_e2e with products:write: 201 with its secret", f"got {status} {key}")
    if not created:
        check(False, "the rest of the end-to-end run needs that key")
        return
    secret, key_id = key["secret"], key["id"]

    status, product = api.call("POST", "/products", key=secret, body={"name": "Widget", "price": 5})
    check(status == 201 and isinstance(product, dict) and product.get("ownerId") == "user_e2e"
          and product.get("createdByKeyId") == key_id,
          "that key creates a product: 201, owner and key from the authorizer context",
          f"got {status} {product}")

    status, body = api.call("POST", "/keys", key=secret, body={"name": "not allowed"})
    check((status, body) == (403, SAM_403),
          "that key on POST /keys (no keys:write): 403 from the authorizer's policy", f"got {status} {body}")

    # Usage limits: SAM runs the authorizer on every request (no cache), which charges them;
    # past them it denies (SAM's 403; API Gateway's carries error.code usage_exceeded).
    status, metered = api.call("POST", "/keys", key=admin,
                               body={"name": "sam-local metered", "subject": "user_e2e",
                                     "scopes": ["products:write"], "credits": {"remaining": 3}})
    if check(status == 201 and isinstance(metered, dict) and metered.get("credits") == {"remaining": 3},
             "admin creates a key with 3 credits: 201", f"got {status} {metered}"):
        statuses = [api.call("POST", "/products", key=metered["secret"], body={"name": "Widget", "price": 5})[0]
                    for _ in range(4)]
        check(statuses[:3] == [201, 201, 201] and statuses[3] == 403,
              "the metered key passes 3 times and is denied the 4th", f"got {statuses}")
        status, body = api.call("POST", "/keys/verify", key=admin, body={"key": metered["secret"]})
        check(isinstance(body, dict) and body.get("code") == "USAGE_EXCEEDED",
              "verify then says USAGE_EXCEEDED", f"got {status} {body}")

    status, body = api.call("POST", f"/keys/{key_id}/revoke", key=admin, body={"revocationReason": "sam-local test"})
    check(status == 200 and isinstance(body, dict) and body.get("revoked") is True,
          "admin revokes it: 200, revoked", f"got {status} {body}")

    refused("the revoked key on POST /products", "POST", "/products", secret, {"name": "Widget", "price": 5})

    status, body = api.call("POST", "/keys/verify", key=admin, body={"key": secret})
    check(status == 200 and isinstance(body, dict) and body.get("valid") is False and body.get("code") == "REVOKED",
          "verify says REVOKED", f"got {status} {body}")
