CREATE TABLE `artifacts` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`last_modified` integer NOT NULL,
	PRIMARY KEY(`run_id`, `path`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `run_purges` (
	`run_id` text PRIMARY KEY NOT NULL,
	`artifact_uri` text NOT NULL,
	`started_time` integer NOT NULL
);
