-- Each file's CRC-32/IEEE (unsigned 32 bits, as S3's CRC32 checksum), recorded beside its SHA-256
-- as a check of transfers far cheaper than the SHA-256. Files indexed before keep NULL: their
-- downloads are checked by the SHA-256. Logged models' files get it too: their index keeps
-- the same columns as runs'.
ALTER TABLE `artifacts` ADD `crc32` integer;--> statement-breakpoint
ALTER TABLE `logged_model_artifacts` ADD `crc32` integer;