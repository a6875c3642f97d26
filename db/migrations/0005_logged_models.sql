CREATE TABLE `logged_model_artifacts` (
	`model_id` text NOT NULL,
	`path` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`last_modified` integer NOT NULL,
	PRIMARY KEY(`model_id`, `path`),
	FOREIGN KEY (`model_id`) REFERENCES `logged_models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `logged_model_metrics` (
	`model_id` text NOT NULL,
	`run_id` text,
	`key` text NOT NULL,
	`value` real,
	`special` text,
	`step` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`dataset_name` text,
	`dataset_digest` text,
	FOREIGN KEY (`model_id`) REFERENCES `logged_models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `logged_model_metrics_model_idx` ON `logged_model_metrics` (`model_id`,`key`);--> statement-breakpoint
CREATE TABLE `logged_model_params` (
	`model_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_id`, `key`),
	FOREIGN KEY (`model_id`) REFERENCES `logged_models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `logged_models` (
	`id` text PRIMARY KEY NOT NULL,
	`experiment_id` integer NOT NULL,
	`name` text NOT NULL,
	`model_type` text,
	`source_run_id` text,
	`status` text NOT NULL,
	`status_message` text,
	`artifact_location` text NOT NULL,
	`lifecycle_stage` text DEFAULT 'active' NOT NULL,
	`creation_time` integer NOT NULL,
	`last_update_time` integer NOT NULL,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `logged_models_experiment_idx` ON `logged_models` (`experiment_id`,`creation_time`);--> statement-breakpoint
CREATE INDEX `logged_models_source_run_idx` ON `logged_models` (`source_run_id`);--> statement-breakpoint
CREATE TABLE `logged_model_tags` (
	`model_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_id`, `key`),
	FOREIGN KEY (`model_id`) REFERENCES `logged_models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` integer NOT NULL,
	`name` text NOT NULL,
	`digest` text NOT NULL,
	`source_type` text NOT NULL,
	`source` text NOT NULL,
	`schema` text,
	`profile` text,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `datasets_experiment_name_digest` ON `datasets` (`experiment_id`,`name`,`digest`);--> statement-breakpoint
CREATE TABLE `run_dataset_inputs` (
	`run_id` text NOT NULL,
	`dataset_id` integer NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`run_id`, `dataset_id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_dataset_inputs_dataset_idx` ON `run_dataset_inputs` (`dataset_id`);--> statement-breakpoint
CREATE TABLE `run_model_links` (
	`run_id` text NOT NULL,
	`model_id` text NOT NULL,
	`direction` text NOT NULL,
	`step` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`run_id`, `model_id`, `direction`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_model_links_model_idx` ON `run_model_links` (`model_id`);--> statement-breakpoint
ALTER TABLE `runs` ADD `user_id` text DEFAULT '' NOT NULL;