import { getLoggedModel } from "../db/index.ts";
import { listFolder } from "./artifact-owners.ts";
import { doesNotExist } from "./errors.ts";
import type { Route } from "./route.ts";
import { requireRunRow, runIdOf } from "./run-view.ts";
import { fileInfoJson } from "./serialize.ts";
import { toProxyUri } from "./uris.ts";

/**
 * Listings by owner rather than by proxy path (the MLflow UI's): a run's (`/artifacts/list`)
 * and a logged model's (`/logged-models/{id}/artifacts/directories`), paths relative to the
 * owner's folder.
 */
const folderOf = (path: string | undefined) => (path ?? "").replace(/^\/+|\/+$/g, "");

export const artifactListingRoutes: Route[] = [
  {
    method: "GET",
    path: "/artifacts/list",
    async handler(params, context) {
      const run = await requireRunRow(context, runIdOf(params));
      const owner = { kind: "run" as const, id: run.id, location: run.artifactUri };
      const files = await listFolder(context, owner, folderOf(params.string("path")));
      return {
        root_uri: toProxyUri(run.artifactUri, context.db.artifactRoot),
        files: files.map(fileInfoJson),
      };
    },
  },
  {
    method: "GET",
    path: "/logged-models/{model_id}/artifacts/directories",
    async handler(params, context) {
      const id = params.path.model_id ?? "";
      const model = await getLoggedModel(context.db, id);
      if (!model) throw doesNotExist(`Logged model with ID '${id}' not found.`);
      const owner = { kind: "model" as const, id, location: model.artifactLocation };
      const files = await listFolder(
        context,
        owner,
        folderOf(params.string("artifact_directory_path")),
      );
      return {
        root_uri: toProxyUri(model.artifactLocation, context.db.artifactRoot),
        files: files.map(fileInfoJson),
      };
    },
  },
];
