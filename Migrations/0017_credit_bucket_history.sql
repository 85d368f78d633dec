-- How many live credit accounts sat in each delinquency bucket at the end of each business date,
-- written by the nightly ageing step (a re-run of the date overwrites its row), so the console can
-- show delinquency over time instead of only today's snapshot.
CREATE TABLE credit_bucket_history (
    business_date DATE NOT NULL,
    bucket        TEXT NOT NULL CHECK (bucket IN ('current', 'dpd_1_30', 'dpd_31_60', 'dpd_61_90', 'dpd_90_plus')),
    accounts      BIGINT NOT NULL CHECK (accounts >= 0),
    PRIMARY KEY (business_date, bucket)
);
