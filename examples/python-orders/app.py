"""The orders service: a Python handler behind the keyauth authorizer, which has checked the
key, its scope for this route, its limits and its revocation before this code runs.

It answers with the identity API Gateway hands it, under the same names for both API types:
`requestContext.authorizer` on a REST API, `requestContext.authorizer.lambda` on an HTTP API.
"""
import json


def identity(event):
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return authorizer.get("lambda", authorizer)


def handler(event, context):
    who = identity(event)
    route = event.get("routeKey") or f"{event.get('httpMethod')} {event.get('resource')}"
    body = {
        "route": route,
        "keyId": who.get("keyId"),
        "subject": who.get("subject"),
        "scopes": (who.get("scopes") or "").split(),
        "claims": json.loads(who.get("claims") or "{}"),
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
