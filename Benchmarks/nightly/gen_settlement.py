"""Writes N payment-channel settlement lines for one business date (streamed, constant memory)."""
import random, sys
path, n, date = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(2016)
with open(path, "w") as f:
    f.write("channel_txn_id,our_reference,amount,currency,fee,settled_at,type\n")
    for i in range(n):
        amount = rng.randint(100, 500000)
        kind = "refund" if i % 20 == 0 else "payment"
        f.write(f"T{i:09d},ORD-{i:09d},{amount // 100}.{amount % 100:02d},CNY,0,{date},{kind}\n")
