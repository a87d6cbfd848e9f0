-- The data an HTML report is drawn from (benchmark, price line), so a stored
-- run can be drawn again exactly.
ALTER TABLE run_details ADD COLUMN chart TEXT NOT NULL DEFAULT '{}';
