CREATE INDEX `params_key_value_idx` ON `params` (`key`,`value`);--> statement-breakpoint
CREATE INDEX `runs_lifecycle_start_idx` ON `runs` (`lifecycle_stage`,`start_time`);--> statement-breakpoint
CREATE INDEX `run_tags_key_value_idx` ON `run_tags` (`key`,`value`);