CREATE TABLE `model_versions` (
	`model_id` integer NOT NULL,
	`version` integer NOT NULL,
	`source` text NOT NULL,
	`run_id` text,
	`status` text DEFAULT 'READY' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`creation_time` integer NOT NULL,
	`last_update_time` integer NOT NULL,
	PRIMARY KEY(`model_id`, `version`),
	FOREIGN KEY (`model_id`) REFERENCES `registered_models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `model_versions_run_idx` ON `model_versions` (`run_id`);--> statement-breakpoint
CREATE TABLE `model_version_tags` (
	`model_id` integer NOT NULL,
	`version` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_id`, `version`, `key`),
	FOREIGN KEY (`model_id`,`version`) REFERENCES `model_versions`(`model_id`,`version`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `registered_model_aliases` (
	`model_id` integer NOT NULL,
	`alias` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`model_id`, `alias`),
	FOREIGN KEY (`model_id`,`version`) REFERENCES `model_versions`(`model_id`,`version`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `registered_models` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`last_version` integer DEFAULT 0 NOT NULL,
	`creation_time` integer NOT NULL,
	`last_update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registered_models_name_unique` ON `registered_models` (`name`);--> statement-breakpoint
CREATE INDEX `registered_models_creation_idx` ON `registered_models` (`creation_time`);--> statement-breakpoint
CREATE TABLE `registered_model_tags` (
	`model_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_id`, `key`),
	FOREIGN KEY (`model_id`) REFERENCES `registered_models`(`id`) ON UPDATE no action ON DELETE cascade
);
