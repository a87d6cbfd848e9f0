-- Where each operator command came from (`cli`, `signal`, `dashboard`), so a
-- session's history says who stopped, flattened or halted it.
ALTER TABLE paper_commands ADD COLUMN origin TEXT NOT NULL DEFAULT 'cli';
