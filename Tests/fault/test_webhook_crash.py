"""Webhooks survive a crash (issue 17): an event committed by a request whose service is killed with
kill -9 before any delivery is still delivered, signed, once the service is back.

The first `serve` runs with its webhook worker off (`QZ_WEBHOOK_WORKER=off`), so the checkout's
event is committed and certainly not yet delivered when the process is killed; the second runs it.
The receiver is a plain HTTP server on loopback that checks every signature the way the README
tells a platform to.
"""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from test_crash_recovery import BIN, FEATURES, NATIONAL_IDS, Service, call, pytest  # noqa: F401  (pytest: the skip mark)

pytestmark = pytest.mark.skipif(not BIN.exists(), reason=f"{BIN} is not built (swift build first)")


def verify(header, body, secret, tolerance=300):
    """The README's verification: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>, constant-time compare."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


class Receiver:
    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.received.append((self.headers.get("Qianzhuang-Event-Id"), self.headers.get("Qianzhuang-Signature", ""), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_event_committed_before_a_kill_9_is_delivered_after_restart(tmp_path):
    receiver = Receiver()
    svc = Service(Path(tmp_path))
    svc.extra_env = {"QZ_WEBHOOK_WORKER": "off", "QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
    try:
        svc.start()
        base = f"http://127.0.0.1:{svc.port}"
        status, text, _ = call(base, "POST", "/v1/webhook-endpoints", svc.operator_key,
                               {"url": f"http://127.0.0.1:{receiver.port}/hook", "event_types": ["checkout.authorized"]})
        assert status == 201, text
        secret = json.loads(text)["secret"]
        platform = svc.key("platform")
        status, text, _ = call(base, "POST", "/v1/credit-accounts", platform,
                               {"national_id": NATIONAL_IDS[0], "phone": "13812345678", "features": FEATURES})
        assert status == 201, text
        status, text, _ = call(base, "POST", "/v1/checkouts", platform, {
            "credit_account_id": json.loads(text)["id"], "order_ref": "crash-1", "merchant_id": "m-1",
            "amount": {"amount": "10.00", "currency": "CNY"}, "plan": "installments", "tenor": 3}, "crash-1")
        assert status == 201, text
        checkout = json.loads(text)["id"]
        status, text, _ = call(base, "GET", "/v1/events?type=checkout.authorized", platform)
        events = json.loads(text)["data"]
        assert [e["object"]["id"] for e in events] == [checkout]
        event_id = events[0]["id"]
        time.sleep(1.0)
        assert receiver.received == [], "delivered although the worker was off"

        svc.kill9()
        svc.extra_env = {"QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
        svc.start()
        deadline = time.time() + 60
        while time.time() < deadline and not receiver.received:
            time.sleep(0.2)
        time.sleep(1.0)   # anything further would arrive now
        with receiver.lock:
            got = list(receiver.received)
        assert [r[0] for r in got] == [event_id], got
        header, body = got[0][1], got[0][2]
        assert verify(header, body, secret), header
        assert json.loads(body)["data"]["id"] == checkout
        assert not verify(header, body + b" ", secret), "a changed body must not verify"
    finally:
        svc.stop()
        receiver.close()
