"""Writes N payment-channel settlement lines for one business date (streamed, constant memory).

Every 40 lines (index i, k = i % 40) follow the mix `seed_installments.sql` seeds the ledger for:
- k 0-19 (half): one repayment each, quoted by its external reference EXT-<i>;
- k 20-21 (5 %): a split: both lines quote EXT-<i - k + 20>, one repayment of their sum;
- k 22-23 (5 %): a batch: the line quotes order BATCH-<i>, whose two repayments it pays at once;
- k 24-39 (40 %): order references the ledger does not know (missing from the ledger), k 24-25 refunds.
Amounts are a pure function of i (`amount()` here and in the seed): 1.00 to 5,000.00 CNY.
"""
import sys


def amount(i: int) -> int:
    return 100 + (i * 7919) % 499901


path, n, date = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("channel_txn_id,our_reference,amount,currency,fee,settled_at,type\n")
    for i in range(n):
        k = i % 40
        if k < 20:
            ref = f"EXT-{i:09d}"
        elif k < 22:
            ref = f"EXT-{i - k + 20:09d}"
        elif k < 24:
            ref = f"BATCH-{i:09d}"
        else:
            ref = f"ORD-{i:09d}"
        kind = "refund" if k in (24, 25) else "payment"
        a = amount(i)
        f.write(f"T{i:09d},{ref},{a // 100}.{a % 100:02d},CNY,0,{date},{kind}\n")
