"""The operator console in a real browser (issue 18): Debian's chromium + chromium-driver, headless,
driven by Selenium against `qianzhuang serve` on a fresh embedded database. Data is made through
the public API as the platform, a supplier and the bank would make it; then an operator signs in,
approves a financing from the review queue and resolves a reconciliation exception, and the API
confirms the disbursement is in the ledger and the exception is resolved. Also: a platform key
cannot sign in, and a form posted without its CSRF token is refused (403).

Skipped (with the reason) only when chromium is missing outside CI; with CI=true a missing
browser fails. With QZ_CONSOLE_SCREENSHOTS=<dir> it also saves today.png, financing-queue.png and
order-story.png there (Docs/console holds the committed ones)."""
import datetime
from decimal import Decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from test_readme import BIN, ROOT, free_port  # noqa: E402  (the CLI tests' binary and port helpers)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
IN_CI = os.environ.get("CI") == "true"

if not (CHROMIUM and DRIVER):
    if IN_CI:
        raise RuntimeError("CI=true but chromium / chromium-driver are not installed (.ci/run installs them)")
    pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver); "
                "CI installs them and runs this test", allow_module_level=True)
if not BIN.exists():
    if IN_CI:
        raise RuntimeError(f"{BIN} is not built")
    pytest.skip(f"{BIN} is not built (swift build first)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.datetime.now(SHANGHAI).date()


class Server:
    """`qianzhuang serve` on a free port with its own embedded cluster; the operator key it prints."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, QZ_DATA_DIR=os.path.join(tmp, "db"), QZ_NIGHTLY_SCHEDULE="",
                        QZ_REPORT_DIR=os.path.join(tmp, "reports"), PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
        self.out = open(os.path.join(tmp, "serve.out"), "w+")
        self.err = open(os.path.join(tmp, "serve.err"), "w+")
        self.process = subprocess.Popen([str(BIN), "serve", "--port", str(self.port)], cwd=ROOT, env=self.env,
                                        stdout=self.out, stderr=self.err)
        self.operator_key = None
        for _ in range(240):
            self.out.seek(0)
            found = re.search(r"Operator API key \(shown once, keep it\): (\S+)", self.out.read())
            if found:
                try:
                    urllib.request.urlopen(self.base + "/readyz", timeout=2)
                    self.operator_key = found.group(1)
                    break
                except OSError:
                    pass
            time.sleep(0.5)
        if not self.operator_key:
            self.err.seek(0)
            self.stop()
            raise AssertionError("serve did not start: " + self.err.read()[-3000:])

    def key(self, role, *extra):
        done = subprocess.run([str(BIN), "keys", "create", "--role", role, *extra], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    def call(self, method, path, key, body=None, content_type="application/json", headers=None, expect=(200, 201, 202)):
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        assert status in expect, f"{method} {path}: {status} {text[:2000]}"
        return json.loads(text) if text.startswith(("{", "[")) else text

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def money(amount):
    return {"amount": amount, "currency": "CNY"}


def seed(server):
    """Suppliers with financing (one request above its ceiling, left for review), an order across
    credit, financing and insurance, and a night whose settlement file matches nothing."""
    op = server.operator_key
    platform = server.key("platform")
    suppliers = []
    for name, code, limit in [("Fujian Textiles", "91350100M000100Y43", "1000000.00"),
                              ("Shenzhen Electronics", "91440300708461136T", "2500000.00"),
                              ("Beijing Home Goods", "91110108551385082Q", "600000.00")]:
        s = server.call("POST", "/v1/suppliers", op, {
            "name": name, "unified_social_credit_code": code,
            "financing_line": {"limit": money(limit), "advance_rate": "0.80", "annual_discount_rate": "0.0730",
                               "min_days_to_maturity": 7, "max_days_to_maturity": 180, "auto_approval_ceiling": money("100000.00")}})
        server.call("PATCH", f"/v1/suppliers/{s['id']}", op, {"status": "active"})
        suppliers.append((s["id"], server.key("supplier", "--supplier-id", s["id"])))

    def receivable(supplier, reference, face, days, order_ref=None):
        body = {"supplier_id": supplier, "external_reference": reference, "face_amount": money(face),
                "issue_date": str(TODAY - datetime.timedelta(days=3)), "due_date": str(TODAY + datetime.timedelta(days=days))}
        if order_ref:
            body["order_ref"] = order_ref
        return server.call("POST", "/v1/receivables", platform, body)["id"]

    # Straight-through financing (below the ceiling) for each supplier: exposure to look at.
    for i, (sid, skey) in enumerate(suppliers):
        for j, face in enumerate(["62000.00", "48500.00", "91000.00"][: 3 - i]):
            rid = receivable(sid, f"PO-{8820 + 10 * i + j}", face, 45 + 15 * j)
            server.call("POST", "/v1/financing-requests", skey, {"receivable_ids": [rid]})
    # Above the ceiling: it waits for an operator.
    big = [receivable(suppliers[0][0], "PO-88231", "150000.00", 60), receivable(suppliers[0][0], "PO-88232", "36000.00", 75)]
    pending = server.call("POST", "/v1/financing-requests", suppliers[0][1], {"receivable_ids": big})
    assert pending["status"] == "pending_review", pending
    # A second one, with a receivable too close to maturity to finance (its reason shows in the queue).
    mixed = [receivable(suppliers[1][0], "PO-77410", "130000.00", 90), receivable(suppliers[1][0], "PO-77411", "20000.00", 3)]
    assert server.call("POST", "/v1/financing-requests", suppliers[1][1], {"receivable_ids": mixed})["status"] == "pending_review"

    # One order, one story: bought on credit, supplied on a receivable, return shipping insured, returned.
    account = server.call("POST", "/v1/credit-accounts", platform, {
        "national_id": "11010519491231002X", "phone": "13912345678",
        "features": {"account_age_months": 60, "orders_last_year": 30, "spend_last_year": money("25000.00"), "return_rate": "0.02",
                     "distinct_delivery_addresses": 2, "on_time_repayment_ratio": "0.96", "prior_overdue_count": 0}})["id"]
    checkout = server.call("POST", "/v1/checkouts", platform, {
        "credit_account_id": account, "order_ref": "ORD-7", "merchant_id": "shop-1", "amount": money("1200.00"),
        "plan": "installments", "tenor": 6})["id"]
    server.call("POST", f"/v1/checkouts/{checkout}/capture", platform)
    server.call("POST", "/v1/shipping-policies", platform, {
        "order_ref": "ORD-7", "seller_ref": "shop-1", "category": "apparel", "ship_from_region": "CN-33", "ship_to_region": "CN-31",
        "coverage_cap": money("12.00"), "coverage_start": str(TODAY), "coverage_end": str(TODAY + datetime.timedelta(days=14))})
    receivable(suppliers[0][0], "PO-ORD-7", "900.00", 60, order_ref="ORD-7")
    server.call("POST", "/v1/orders/ORD-7/returns", platform, {
        "return_ref": "RET-1", "amount": money("300.00"), "buyer_ref": "buyer-778",
        "delivered_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shipping": {"carrier": "SF Express", "tracking_number": "SF1400000001", "cost": money("10.00")}})

    # A night whose settlement file has money the ledger never saw: exceptions to work.
    night = TODAY - datetime.timedelta(days=1)
    csv = ("channel_txn_id,our_reference,amount,currency,fee,settled_at,type\n"
           f"ALP-{night:%Y%m%d}-0001,pay-unknown-1,207.20,CNY,0.41,{night}T10:15:02+08:00,payment\n"
           f"ALP-{night:%Y%m%d}-0002,ORD-404,120.00,CNY,0.24,{night}T11:40:55+08:00,payment\n"
           f"ALP-{night:%Y%m%d}-0003,,3.50,CNY,0,{night},fee\n")
    server.call("POST", "/v1/statements?channel=alipay", op, csv.encode(), content_type="text/csv")
    run = server.call("POST", "/v1/nightly-runs", op, {"business_date": str(night)})
    for _ in range(120):
        if server.call("GET", f"/v1/nightly-runs/{run['id']}", op)["status"] != "running":
            break
        time.sleep(0.5)
    exceptions = server.call("GET", "/v1/reconciliation-exceptions?state=open&source=channel:alipay", op)["data"]
    assert exceptions, "the night raised no exception to resolve"
    return {"supplier": suppliers[0][0], "pending": pending["id"], "exception": exceptions[0]["id"], "platform": platform}


def make_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1000",
                "--force-device-scale-factor=1", "--lang=en-US"]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def screenshot(driver, name):
    """The whole page (up to 2,200 px tall), through the DevTools protocol."""
    target = os.environ.get("QZ_CONSOLE_SCREENSHOTS")
    if not target:
        return
    import base64
    os.makedirs(target, exist_ok=True)
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2200)")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": 1440, "height": height, "scale": 1}})
    with open(os.path.join(target, name), "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def wait_for(driver, text, timeout=20):
    """A click that submits a form returns before the next page has loaded: wait for what it should show."""
    try:
        WebDriverWait(driver, timeout).until(lambda d: text in d.page_source)
    except Exception:
        raise AssertionError(f"{text!r} did not appear; the page says: {driver.find_element(By.TAG_NAME, 'body').text[:1500]}")


def sign_in(driver, server, key):
    driver.get(server.base + "/console/sign-in")
    driver.find_element(By.NAME, "api_key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "section.signin button[type=submit]").click()


def test_operator_console_in_a_browser():
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        server = Server(tmp)
        driver = None
        try:
            data = seed(server)
            driver = make_browser()

            # A platform key is refused, with a message that says why.
            sign_in(driver, server, data["platform"])
            wait_for(driver, "only an operator key may sign in")
            assert driver.get_cookie("qz_console") is None

            # The operator signs in and lands on Today.
            sign_in(driver, server, server.operator_key)
            wait_for(driver, "Financing waiting for review")
            assert driver.current_url.endswith("/console"), driver.current_url
            cookie = driver.get_cookie("qz_console")
            assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
            assert "Business date" in driver.page_source and "Financing waiting for review" in driver.page_source
            screenshot(driver, "today.png")

            # The financing queue: approve the request with a note.
            driver.find_element(By.LINK_TEXT, "Financing queue").click()
            wait_for(driver, "Financing review queue")
            request = driver.find_element(By.ID, f"r-{data['pending']}")
            assert "PO-88231" in request.text and "above_auto_approval_ceiling" in request.text
            screenshot(driver, "financing-queue.png")
            request = driver.find_element(By.ID, f"r-{data['pending']}")
            request.find_element(By.CSS_SELECTOR, "form[action$='/approve'] input[name=reason]").send_keys("invoices checked with the buyer")
            request.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button").click()
            wait_for(driver, "Financing approved and disbursed.")
            assert data["pending"] not in driver.page_source

            # Reconciliation: resolve the exception with a note.
            driver.get(server.base + "/console/reconciliation?source=channel:alipay")
            row = driver.find_element(By.ID, f"x-{data['exception']}")
            row.find_element(By.NAME, "note").send_keys("unknown payer; refunded through the channel")
            row.find_element(By.CSS_SELECTOR, "form[action$='/resolve'] button").click()
            wait_for(driver, "Exception resolved.")

            # The order story, for the README.
            driver.get(server.base + "/console/orders?ref=ORD-7")
            assert "Every ledger entry" in driver.page_source and "PO-ORD-7" in driver.page_source
            screenshot(driver, "order-story.png")

            # The API agrees: the disbursement is in the ledger, the exception is resolved.
            op = server.operator_key
            approved = server.call("GET", f"/v1/financing-requests/{data['pending']}", op)
            assert approved["status"] == "approved", approved
            account = server.call("GET", f"/v1/ledger/accounts/supplier.{data['supplier']}.financing.cny", op)
            assert Decimal(account["balance"]["amount"]) >= Decimal(approved["decision"]["advance"]) > 0, account
            resolved = server.call("GET", "/v1/reconciliation-exceptions?state=resolved&source=channel:alipay", op)["data"]
            match = [e for e in resolved if e["id"] == data["exception"]]
            assert match and match[0]["resolution_note"] == "unknown payer; refunded through the channel", resolved

            # A form posted without its CSRF token is refused, even with a live session cookie.
            session = driver.get_cookie("qz_console")["value"]
            request = urllib.request.Request(server.base + f"/console/reconciliation/{data['exception']}/acknowledge",
                                             data=b"note=x", method="POST")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            request.add_header("Cookie", f"qz_console={session}")
            try:
                urllib.request.urlopen(request, timeout=30)
                status = 200
            except urllib.error.HTTPError as error:
                status = error.code
            assert status == 403

            # Sign out ends the session.
            driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
            wait_for(driver, "Operator API key")
            driver.get(server.base + "/console")
            assert driver.current_url.endswith("/console/sign-in")
        finally:
            if driver:
                driver.quit()
            server.stop()
    print(f"browser test took {time.monotonic() - started:.1f} s")
