import {
  crc32Hex,
  isArtifactStoreError,
  validateArtifactFolder,
} from "../../artifact-store/index.ts";
import { findArtifactEntry, invalid, listArtifactEntries } from "../../db/index.ts";
import { builder } from "../builder.ts";
import { ArtifactRef, RunRef } from "./refs.ts";

ArtifactRef.implement({
  description:
    "A file of a run's artifacts, or a folder of them. Uploaded with `PUT /artifacts/<run id>/<path>`, downloaded with `GET` at the same URL.",
  fields: (t) => ({
    path: t.exposeString("path", {
      description: "Relative to the run's artifact folder, `/`-separated: `model/weights.bin`.",
    }),
    isDir: t.exposeBoolean("isDir", { description: "Whether this is a folder." }),
    size: t.field({
      type: "Long",
      description: "Bytes: a file's size; a folder's is the total of the files under it.",
      resolve: (entry) => entry.size,
    }),
    sha256: t.exposeString("sha256", {
      nullable: true,
      description:
        "A file's SHA-256, hex; null for a folder, and for a large file whose hash the server is still computing (it answers its upload before).",
    }),
    crc32: t.string({
      nullable: true,
      description:
        "A file's CRC-32/IEEE, 8 lowercase hex digits, as S3's CRC32 checksum: a check of a download far cheaper than the SHA-256. Null for a folder, while the server is still computing it (with the SHA-256), and for a file uploaded before the server recorded it.",
      resolve: (entry) => (entry.crc32 === null ? null : crc32Hex(entry.crc32)),
    }),
    contentType: t.exposeString("contentType", {
      nullable: true,
      description:
        "A file's media type (sent with the upload, or from its name); null for a folder.",
    }),
    lastModified: t.field({
      type: "Long",
      description: "A file's last upload, a folder's newest file; milliseconds UTC.",
      resolve: (entry) => entry.lastModified,
    }),
  }),
});

/** The folder argument, checked as a path is: "" or absent is the run's top folder. */
function folderArg(field: string, path: string | null | undefined): string {
  try {
    return validateArtifactFolder(path);
  } catch (error) {
    if (isArtifactStoreError(error)) throw invalid(field, error.message);
    throw error;
  }
}

builder.objectFields(RunRef, (t) => ({
  artifacts: t.field({
    type: [ArtifactRef],
    description:
      "The files and folders in a folder of the run's artifacts (its top when `path` is omitted), by path; with `recursive`, every file under it. A file's path lists as empty.",
    args: {
      path: t.arg.string({ description: 'A folder, e.g. "model"; the top when omitted.' }),
      recursive: t.arg.boolean({
        description: "List every file under the folder instead of its direct entries.",
      }),
    },
    resolve: async (run, args, ctx) =>
      listArtifactEntries(
        await ctx.loaders.artifacts.load(run.id),
        folderArg("path", args.path),
        args.recursive ?? false,
      ),
  }),
  artifact: t.field({
    type: ArtifactRef,
    nullable: true,
    description: "One file or folder of the run's artifacts; null when there is none.",
    args: {
      path: t.arg.string({ required: true, description: "Its path, e.g. `model/weights.bin`." }),
    },
    resolve: async (run, args, ctx) =>
      findArtifactEntry(await ctx.loaders.artifacts.load(run.id), folderArg("path", args.path)) ??
      null,
  }),
}));
