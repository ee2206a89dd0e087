-- Functions the curated views share (PostgreSQL SQL functions), created before the views.
-- sql/duckdb/functions.sql defines the same functions for DuckDB: keep the two in step.
--   wilson_low(k, n), wilson_high(k, n): the 95% Wilson score interval (z = 1.96)
--   of a proportion k / n: exactly 0 at k = 0 and 1 at k = n, NULL when n = 0.
-- (Statements are split at semicolons: keep them out of comments and bodies.)
CREATE OR REPLACE FUNCTION wilson_low(k DOUBLE PRECISION, n DOUBLE PRECISION) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN n = 0 THEN NULL
                WHEN k = 0 THEN 0.0
                ELSE (k / n + 1.96 * 1.96 / (2 * n)
                      - 1.96 * sqrt((k / n) * (1 - k / n) / n + 1.96 * 1.96 / (4 * n * n)))
                     / (1 + 1.96 * 1.96 / n)
           END
$$;
CREATE OR REPLACE FUNCTION wilson_high(k DOUBLE PRECISION, n DOUBLE PRECISION) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN n = 0 THEN NULL
                WHEN k = n THEN 1.0
                ELSE (k / n + 1.96 * 1.96 / (2 * n)
                      + 1.96 * sqrt((k / n) * (1 - k / n) / n + 1.96 * 1.96 / (4 * n * n)))
                     / (1 + 1.96 * 1.96 / n)
           END
$$;
