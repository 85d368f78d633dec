#!/usr/bin/env python3
"""Independent oracle for declining-balance (annuity) installment schedules.

Usage: credit_annuity_oracle.py PRINCIPAL_MINOR_UNITS MONTHLY_RATE PERIODS

The payment comes from numpy_financial.pmt (floating point), then rounded half-even to cents
with Python's decimal module. The schedule loop runs in decimal: each period's interest is the
carried, rounded balance x rate rounded half-even to cents; principal = payment - interest
(kept within [0, balance]); the last period takes the remaining balance. Amounts are for a
currency with 2 minor digits. Prints JSON with every amount in minor units:

  {"payment": 88849, "installments": [{"number": 1, "principal": 78849, "interest": 10000,
   "total": 88849}, ...]}

Exit status 3 (with a message on stderr) when numpy_financial is not installed.
"""
import json
import sys
from decimal import ROUND_HALF_EVEN, Decimal

try:
    import numpy_financial as npf
except ImportError:
    sys.stderr.write("numpy_financial is not installed: run `pip install numpy-financial`\n")
    sys.exit(3)

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def schedule(principal_minor: int, rate_text: str, periods: int) -> dict:
    principal = Decimal(principal_minor) / 100
    rate = Decimal(rate_text)
    # pmt returns the payment as a negative cash flow for a positive present value.
    pmt = -npf.pmt(float(rate), periods, float(principal))
    payment = to_cents(Decimal(repr(float(pmt))))
    balance = principal
    rows = []
    for number in range(1, periods + 1):
        interest = to_cents(balance * rate)
        if number == periods:
            part = balance
        else:
            part = min(max(payment - interest, Decimal(0)), balance)
        balance -= part
        rows.append({
            "number": number,
            "principal": int(part * 100),
            "interest": int(interest * 100),
            "total": int((part + interest) * 100),
        })
    return {"payment": int(payment * 100), "installments": rows}


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.stderr.write(__doc__ or "")
        return 2
    print(json.dumps(schedule(int(argv[1]), argv[2], int(argv[3]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
