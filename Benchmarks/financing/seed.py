"""Seeds suppliers (active, with generous lines) and receivables through the HTTP API.
Writes one line per receivable: "<supplier key> <receivable id>" for the wrk script."""
import json, os, subprocess, sys, threading, urllib.request, uuid, datetime

url, operator, platform, out, suppliers, per_supplier = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
codes = []
def check_char(first17):
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    return alphabet[(31 - s % 31) % 31]
def call(method, path, key, body=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
today = datetime.date.today()
pairs = []
lock = threading.Lock()
for i in range(suppliers):
    first17 = "913501" + f"{i:011d}"
    code = first17 + check_char(first17)
    s = call("POST", "/v1/suppliers", operator, {"name": f"Bench supplier {i}", "unified_social_credit_code": code,
        "financing_line": {"limit": {"amount": "100000000000.00", "currency": "CNY"}, "advance_rate": "0.80", "annual_discount_rate": "0.0730",
                           "min_days_to_maturity": 1, "max_days_to_maturity": 365, "auto_approval_ceiling": {"amount": "100000000000.00", "currency": "CNY"}}})
    call("PATCH", f"/v1/suppliers/{s['id']}", operator, {"status": "active"})
    key = subprocess.check_output(sys.argv[7:] + ["--role", "supplier", "--supplier-id", s["id"]], stderr=subprocess.DEVNULL).decode().strip()
    def work(start, count, sid=s["id"], key=key):
        for n in range(start, start + count):
            r = call("POST", "/v1/receivables", platform, {"supplier_id": sid, "external_reference": f"PO-{n}",
                "face_amount": {"amount": f"{1000 + n % 9000}.{n % 100:02d}", "currency": "CNY"},
                "issue_date": str(today), "due_date": str(today + datetime.timedelta(days=30 + n % 120))})
            with lock:
                pairs.append((key, r["id"]))
    threads = [threading.Thread(target=work, args=(t * (per_supplier // 8), per_supplier // 8)) for t in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
# Interleave suppliers: requests of one supplier serialise on its row lock (by design), so a
# realistic mix spreads concurrent requests across suppliers.
import random
random.Random(16).shuffle(pairs)
with open(out, "w") as f:
    for key, rid in pairs:
        f.write(f"{key} {rid}\n")
print(len(pairs))
