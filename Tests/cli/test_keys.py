"""`qianzhuang keys` as an operator uses it: create prints the key alone, `keys list` shows the id that
`keys revoke` takes (and only the key's first characters), revoked keys leave the list unless
`--all`, and no command warns about the connection pool (README "first hour", issue 18)."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("QZ_BIN", ROOT / ".build" / "debug" / "qianzhuang"))
pytestmark = pytest.mark.skipif(not BIN.exists(), reason=f"{BIN} is not built (swift build first)")


def test_create_list_revoke():
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        db = ["--data-dir", os.path.join(tmp, "db"), "--migrations", str(ROOT / "Migrations")]

        def run(*args):
            done = subprocess.run([str(BIN), "keys", *args, *db], cwd=tmp, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]
            assert "hasn't been called" not in done.stderr, done.stderr
            return done.stdout

        key = run("create", "--role", "platform", "--label", "shop-1").strip()
        assert key.startswith("qz_") and "\n" not in key
        rows = [line.split("\t") for line in run("list").splitlines()]
        assert rows[0] == ["id", "prefix", "role", "supplier", "label", "created", "revoked"]
        assert len(rows) == 2 and rows[1][2] == "platform" and rows[1][4] == "shop-1" and rows[1][6] == "-"
        listing = run("list")
        assert key not in listing and key[:10] in listing, "the list shows a prefix, never the key"
        run("revoke", rows[1][0])
        assert len(run("list").splitlines()) == 1, "a revoked key leaves the list"
        revoked = [line.split("\t") for line in run("list", "--all").splitlines()][1]
        assert revoked[0] == rows[1][0] and revoked[6] != "-"
