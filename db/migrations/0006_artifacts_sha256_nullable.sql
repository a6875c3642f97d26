-- A SHA-256 still being computed (a large upload, hashed after its answer) is NULL, no longer
-- ''. SQLite cannot drop a NOT NULL in place, so the table is rebuilt. The migrator turns
-- foreign keys off around its transaction (these PRAGMAs are no-ops inside it), so the copy
-- is not checked against runs: it keeps only rows whose run exists, which is every row of a
-- database written with foreign keys on (libSQL's default), and PRAGMA foreign_key_check
-- finds nothing after it. The primary key's index comes with the new table; the table had
-- no other index and no trigger.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_artifacts` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text,
	`content_type` text NOT NULL,
	`last_modified` integer NOT NULL,
	PRIMARY KEY(`run_id`, `path`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_artifacts`("run_id", "path", "size", "sha256", "content_type", "last_modified") SELECT "run_id", "path", "size", NULLIF("sha256", ''), "content_type", "last_modified" FROM `artifacts` WHERE "run_id" IN (SELECT "id" FROM `runs`);--> statement-breakpoint
DROP TABLE `artifacts`;--> statement-breakpoint
ALTER TABLE `__new_artifacts` RENAME TO `artifacts`;--> statement-breakpoint
PRAGMA foreign_keys=ON;
