#!/usr/bin/env python3
"""Independent oracle for the annual rates disclosed on an installment plan.

Usage: credit_apr_oracle.py PRINCIPAL_MINOR_UNITS TOTAL_1 TOTAL_2 ... TOTAL_N

The installments fall due 1..N months after the purchase. The monthly IRR comes from
numpy_financial.irr over [-principal, total_1, ..., total_N] (floating point); when every total
but the last is equal it is cross-checked with numpy_financial.rate. Prints JSON:

  {"monthly_irr": 0.0106..., "apr": 0.1277..., "effective_annual_rate": 0.1353...}

with apr = 12 x monthly IRR and effective_annual_rate = (1 + monthly IRR)^12 - 1.
Exit status 3 (with a message on stderr) when numpy_financial is not installed.
"""
import json
import sys

try:
    import numpy_financial as npf
except ImportError:
    sys.stderr.write("numpy_financial is not installed: run `pip install numpy-financial`\n")
    sys.exit(3)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write(__doc__ or "")
        return 2
    principal = int(argv[1]) / 100
    totals = [int(a) / 100 for a in argv[2:]]
    monthly = float(npf.irr([-principal] + totals))
    if len(set(totals[:-1])) <= 1 and abs(totals[-1] - totals[0]) < 0.05:
        # Equal installments: npf.rate solves the same equation another way.
        check = float(npf.rate(len(totals), totals[0], -principal, 0))
        if abs(check - monthly) > 1e-4:
            sys.stderr.write(f"irr {monthly} and rate {check} disagree\n")
            return 4
    print(json.dumps({
        "monthly_irr": monthly,
        "apr": 12 * monthly,
        "effective_annual_rate": (1 + monthly) ** 12 - 1,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
