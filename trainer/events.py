"""Progress protocol: one JSON object per line on stdout; human-readable logs on stderr."""
import json
import math
import sys

STREAM = sys.stdout  # __main__ points this at the real stdout and sends everything else to stderr
# Fields added to every event, and a prefix for every log line: a run in a child process of build-default
# names its seed, since several runs share one stream.
CONTEXT = {}
PREFIX = ""


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def emit(event, **fields):
    STREAM.write(json.dumps(_clean({"event": event, **CONTEXT, **fields})) + "\n")
    STREAM.flush()


def log(msg):
    print(PREFIX + msg, file=sys.stderr, flush=True)
