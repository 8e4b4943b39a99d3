"""Where the checkout's parts are, and the functions its events/ folders go to."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
EVENTS = ROOT / "events"
BUILD = ROOT / ".aws-sam" / "build"
VENV_BIN = ROOT / ".venv" / "bin"

FUNCTIONS = {  # events/<dir>/ → the template's function that handles those events
    "authorizer": "AuthorizerFunction",
    "manage-keys": "ManageKeysFunction",
    "verify-key": "VerifyKeyFunction",
    "create-product": "CreateProductFunction",
    "flush-authorizer-cache": "FlushAuthorizerCacheFunction",
    "publish-key-changes": "PublishKeyChangesFunction",
    "continue-cascade": "ContinueCascadeFunction",
    "secret-scanning": "SecretScanningFunction",
}
