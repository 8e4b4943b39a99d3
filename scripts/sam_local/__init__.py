"""scripts/sam-local: the functions of template.yaml under SAM local (Docker), offline.

Modules, each named for what it holds (each imports only those listed before it):

    project     where the checkout's parts are; the functions and their events/ folders
    process     SetupError, the log line, short commands, ports
    containers  the function containers SAM runs, and which of them are this run's
    session     Session (temporary files, what was started, stopped at the end), stop()
    host        distribution packages, arm64 emulation (binfmt_misc), the Docker daemon
    image       the Lambda base images or their stand-ins, cached under ~/.cache/keyauth
    stack       sam build and its static checks, moto (DynamoDB), tables and keys, the local template
    checks      events/expectations.json, judging answers, `sam local invoke` of every event
    api         `sam local start-api` and the API end to end
    examples    the Python example behind the built authorizer, REST and HTTP API
    cli         the usage, argument parsing, `test` and `serve`
"""
