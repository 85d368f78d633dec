"""The README's API walkthrough runs as written (issue 18, "the first hour"): every ```sh block from
"## Using the API" on is run, top to bottom, in one bash shell, against `qianzhuang serve` on a fresh
embedded database. Substituted, and only these: the port and the operator key the server printed (the
README's `export QZ=… OP=qz_...` line), and `QZ_DATA_DIR` so `keys create` finds that server's cluster.
curl runs with --fail-with-body under `set -e`, so any 4xx/5xx stops the walkthrough and fails the
test. Lines quoting `../shared/fixtures` are dropped when that folder is absent (a clone without it).
Uses the built binary (`.build/debug/qianzhuang`, or $QZ_BIN)."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("QZ_BIN", ROOT / ".build" / "debug" / "qianzhuang"))
pytestmark = pytest.mark.skipif(not BIN.exists(), reason=f"{BIN} is not built (swift build first)")


def walkthrough_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Using the API")
    return re.findall(r"^```sh\n(.*?)^```", text[start:], re.S | re.M)


def commands(script):
    """The script's logical lines: a line ending in a backslash continues on the next."""
    out, current = [], []
    for line in script.splitlines():
        current.append(line)
        if not line.rstrip().endswith("\\"):
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out


def _json_or_none(line):
    try:
        return json.loads(line)
    except ValueError:
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_walkthrough_runs_as_written():
    blocks = walkthrough_blocks()
    assert len(blocks) >= 5, "the README's walkthrough blocks were not found"
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        port = free_port()
        env = dict(os.environ, QZ_DATA_DIR=os.path.join(tmp, "db"), QZ_NIGHTLY_SCHEDULE="", QZ_REPORT_DIR=os.path.join(tmp, "reports"),
                   PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
        out = open(os.path.join(tmp, "serve.out"), "w+")
        err = open(os.path.join(tmp, "serve.err"), "w+")
        server = subprocess.Popen([str(BIN), "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            key = None
            for _ in range(240):
                out.seek(0)
                found = re.search(r"Operator API key \(shown once, keep it\): (\S+)", out.read())
                if found:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
                        key = found.group(1)
                        break
                    except OSError:
                        pass
                time.sleep(0.5)
            err.seek(0)
            assert key, "serve did not start: " + err.read()[-3000:]
            script = "\n".join(blocks)
            placeholder = "export QZ=http://127.0.0.1:8080 OP=qz_..."
            assert placeholder in script, "the README's first walkthrough line changed; update this test"
            script = script.replace(placeholder, f"export QZ=http://127.0.0.1:{port} OP={key}")
            if not (ROOT.parent / "shared" / "fixtures").is_dir():
                script = "\n".join(c for c in commands(script) if "../shared/fixtures" not in c)
            prelude = "set -euo pipefail\ncurl() { command curl --fail-with-body --show-error \"$@\"; echo; }\n"
            done = subprocess.run(["bash", "-c", prelude + script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"the walkthrough stopped (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
            stories = [doc for doc in map(_json_or_none, done.stdout.splitlines())
                       if isinstance(doc, dict) and doc.get("order_ref") == "ORD-7" and "receivables" in doc]
            assert stories, "GET /v1/orders/ORD-7 printed no story"
            story = stories[-1]
            assert story.get("checkout") and story.get("receivables") and story.get("shipping_policy") and story.get("claim"), \
                f"the story does not touch credit, financing and insurance: {sorted(story)}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
