"""The expected outcomes (events/expectations.json), judging an answer against them, and
every event through `sam local invoke`."""
import fnmatch
import json
import time

from .process import run
from .project import EVENTS, FUNCTIONS
from .stack import sam_env


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, label, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok    {label}", flush=True)
        else:
            self.failed += 1
            print(f"  FAIL  {label}", flush=True)
            for line in str(detail).strip().splitlines()[-30:]:
                print(f"        {line}", flush=True)
        return ok


def contains(actual, part):
    """`actual` holds all of `part`: objects field by field, anything else equal."""
    if isinstance(part, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in part.items())
    return type(actual) is type(part) and actual == part or (
        isinstance(actual, (int, float)) and isinstance(part, (int, float))
        and not isinstance(actual, bool) and not isinstance(part, bool) and actual == part)


def load_expectations(results):
    """events/expectations.json, held to the same rules as shared/tests/events/."""
    entries = json.loads((EVENTS / "expectations.json").read_text())["events"]
    files = {p.relative_to(EVENTS).as_posix() for p in EVENTS.glob("*/*.json")}
    results.check(set(entries) == files, "every file in events/ has an entry in events/expectations.json, and every entry a file",
                  f"without an entry: {sorted(files - set(entries))}; without a file: {sorted(set(entries) - files)}")
    shapes = [{"status"}, {"status", "body"}, {"authorizer"}, {"authorizer", "principalId"}, {"isAuthorized"},
              {"published"}, {"flushed"}, {"roots"}]
    valid = {}
    for name, entry in sorted(entries.items()):
        fields = set(entry)
        kind = entry.get("authorizer")
        if fields not in shapes or (kind == "Allow") != ("principalId" in fields) or kind not in (None, "Allow", "Unauthorized"):
            results.check(False, f"{name}: expectation {entry} has an unknown shape")
        elif name.split("/")[0] not in FUNCTIONS:
            results.check(False, f"{name}: no function for events/{name.split('/')[0]}/")
        elif name in files:
            valid[name] = entry
    return valid


def judge(entry, answer, event):
    """Why `answer` (what the function returned) is not what `entry` expects, or None."""
    if entry.get("authorizer") == "Unauthorized":
        if answer.get("errorMessage") != "Unauthorized":
            return "expected the error Unauthorized"
        return None
    if "published" in entry:
        return None if answer.get("published") == entry["published"] else f"expected published {entry['published']}"
    if "flushed" in entry:
        return None if answer.get("flushed") is entry["flushed"] else f"expected flushed {entry['flushed']}"
    if "roots" in entry:
        return None if answer.get("roots") == entry["roots"] else f"expected roots {entry['roots']}"
    if "isAuthorized" in entry:
        return None if answer.get("isAuthorized") is entry["isAuthorized"] else f"expected isAuthorized {entry['isAuthorized']}"
    if entry.get("authorizer") == "Allow":
        if answer.get("principalId") != entry["principalId"]:
            return f"expected principalId {entry['principalId']}"
        arn = event.get("methodArn", "")
        allowed = [r for s in answer.get("policyDocument", {}).get("Statement", []) if s.get("Effect") == "Allow"
                   for r in ([s["Resource"]] if isinstance(s.get("Resource"), str) else s.get("Resource", []))]
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in allowed):
            return f"no Allow statement covers the event's methodArn {arn}"
        context = answer.get("context") or {}
        for field in ["keyId", "subject", "scopes", "claims", "tokenType"]:
            if not isinstance(context.get(field), str):
                return f"context.{field} is not a string"
        return None
    if answer.get("statusCode") != entry["status"]:
        return f"expected status {entry['status']}"
    if answer.get("isBase64Encoded") is True:
        return "body is base64-encoded, not text"
    # lambda_http answers REST events with multiValueHeaders.
    headers = {k.lower(): [v] for k, v in (answer.get("headers") or {}).items()}
    for k, v in (answer.get("multiValueHeaders") or {}).items():
        headers.setdefault(k.lower(), []).extend(v)
    content_types = headers.get("content-type", [])
    if not content_types or any(v != "application/json" for v in content_types):
        return "content-type is not application/json"
    try:
        body = json.loads(answer.get("body") or "")
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body is not a JSON object"
    if entry["status"] >= 400 and not (isinstance(body.get("error"), dict)
                                       and isinstance(body["error"].get("code"), str)
                                       and isinstance(body["error"].get("message"), str)):
        return "error body without error.code and error.message"
    if "body" in entry and not contains(body, entry["body"]):
        return f"body does not contain {json.dumps(entry['body'])}"
    return None


def invoke_events(session, results, expectations, template, env_vars, image, only=None, tag=""):
    """Every event (or those whose name starts with one of `only`) through `sam local
    invoke`, one after the other in file order (as in the cargo-lambda test: revoke-key.json
    after get-key.json). Side by side they are hardly faster on two cores, and SAM's
    start-up race (see emulator_not_ready) hits more often. `expectations`: what
    load_expectations gave, read once for every run."""
    env = sam_env()
    for name, entry in sorted(expectations.items()):
        if session.stopping:
            return
        if only is not None and not name.startswith(only):
            continue
        function = FUNCTIONS[name.split("/")[0]]
        cmd = ["sam", "local", "invoke", function, "--template", template, "--event", EVENTS / name,
               "--env-vars", env_vars, "--skip-pull-image"] + (["--invoke-image", image] if image else [])
        started = time.time()
        for attempt in range(1, 4):
            result = run(cmd, timeout=300, env=env)
            if not emulator_not_ready(result.stderr):
                break
        retried = f", retried {attempt - 1}x: emulator not yet listening" if attempt > 1 else ""
        label = f"{tag}sam local invoke {function} -e events/{name}"
        try:
            answer = json.loads(result.stdout)
            assert isinstance(answer, dict)
        except (ValueError, AssertionError):
            results.check(False, label, f"no JSON object answer (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
            continue
        problem = judge(entry, answer, json.loads((EVENTS / name).read_text()))
        outcome = answer.get("statusCode") or answer.get("errorMessage") or (
            f"isAuthorized {answer['isAuthorized']}" if "isAuthorized" in answer else
            f"published {answer['published']}" if "published" in answer else
            f"flushed {answer['flushed']}" if "flushed" in answer else
            f"roots {answer['roots']}" if "roots" in answer else "Allow")
        results.check(problem is None, f"{label}: {outcome} ({time.time() - started:.1f} s{retried})",
                      f"{problem}\nanswer: {result.stdout[:1500]}\n{tail_text(result.stderr)}")


def emulator_not_ready(stderr):
    """SAM sends the event once the container's published port accepts a connection, but
    Docker's port proxy accepts before the runtime emulator inside listens; under qemu the
    emulator can take longer to start than SAM retries for, and SAM gives up with "No
    response". The function never started then (no START line), so the invoke is simply
    repeated."""
    return "No response from invoke container" in stderr and "START RequestId" not in stderr


def tail_text(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])
