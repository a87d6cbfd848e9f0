-- How fast the work went, for the dashboard's /metrics: the bars a run read
-- (summed over its symbols; its wall time is elapsed_ms), and a study's bar
-- evaluations (trials x bars) with the wall time its shards spent running
-- them. Rows stored before this read 0: no throughput is shown for them.
ALTER TABLE runs ADD COLUMN bars BIGINT NOT NULL DEFAULT 0;
ALTER TABLE studies ADD COLUMN bar_evaluations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE studies ADD COLUMN busy_ms BIGINT NOT NULL DEFAULT 0;
