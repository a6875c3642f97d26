import { and, asc, eq, inArray } from "drizzle-orm";
import { invalid } from "./errors.ts";
import type { KeyValue } from "./experiments.ts";
import { groupBy } from "./group-by.ts";
import type { Db } from "./open-db.ts";
import { requireRun } from "./runs.ts";
import {
  datasetTable,
  type RunModelDirection,
  runDatasetInputTable,
  runModelLinkTable,
} from "./schema/index.ts";
import { validateInteger, validateKey, validateText } from "./validation.ts";

/**
 * What runs used and produced (MLflow's `log_input(s)` and `log_outputs`): datasets, kept once
 * per experiment by name and digest, with the tags of each use; and logged models.
 */

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string | null | undefined;
  profile?: string | null | undefined;
}

export interface DatasetInput {
  dataset: Dataset;
  tags: KeyValue[];
}

export interface ModelLink {
  modelId: string;
  step: number;
}

/** MLflow's limits for dataset fields. */
export const datasetLimits = {
  name: 500,
  digest: 36,
  sourceType: 36,
  source: 65535,
  schema: 1048575,
  profile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
} as const;

function validateDatasetInput(field: string, input: DatasetInput): DatasetInput {
  const d = input.dataset;
  const optional = (name: keyof Dataset, value: unknown, max: number) =>
    value === undefined || value === null
      ? null
      : validateText(`${field}.dataset.${name}`, value, max);
  return {
    dataset: {
      name: validateText(`${field}.dataset.name`, d.name, datasetLimits.name),
      digest: validateText(`${field}.dataset.digest`, d.digest, datasetLimits.digest),
      sourceType: validateText(
        `${field}.dataset.sourceType`,
        d.sourceType,
        datasetLimits.sourceType,
      ),
      source: validateText(`${field}.dataset.source`, d.source, datasetLimits.source),
      schema: optional("schema", d.schema, datasetLimits.schema),
      profile: optional("profile", d.profile, datasetLimits.profile),
    },
    tags: input.tags.map((tag, i) => ({
      key: validateText(`${field}.tags[${i}].key`, tag.key, datasetLimits.inputTagKey),
      value: validateText(`${field}.tags[${i}].value`, tag.value, datasetLimits.inputTagValue),
    })),
  };
}

function validateModelLinks(field: string, models: readonly ModelLink[]): ModelLink[] {
  return models.map((model, i) => ({
    modelId: validateKey(`${field}[${i}].modelId`, model.modelId),
    step: validateInteger(`${field}[${i}].step`, model.step),
  }));
}

/** Records datasets (and logged models) a run used; logging the same dataset again updates its tags. */
export async function logRunInputs(
  db: Db,
  runId: string,
  inputs: { datasets?: readonly DatasetInput[]; models?: readonly ModelLink[] },
): Promise<void> {
  const datasets = (inputs.datasets ?? []).map((input, i) =>
    validateDatasetInput(`datasets[${i}]`, input),
  );
  const models = validateModelLinks("models", inputs.models ?? []);
  await db.write(async (tx) => {
    const run = await requireRun(tx, runId, { active: true });
    for (const { dataset, tags } of datasets) {
      const [row] = await tx
        .insert(datasetTable)
        .values({ experimentId: run.experimentId, ...dataset })
        .onConflictDoUpdate({
          target: [datasetTable.experimentId, datasetTable.name, datasetTable.digest],
          // The same (name, digest) is the same data: keep one row, with the newest description.
          set: {
            sourceType: dataset.sourceType,
            source: dataset.source,
            schema: dataset.schema,
            profile: dataset.profile,
          },
        })
        .returning({ id: datasetTable.id });
      if (!row) throw new Error("upsert into datasets returned no row");
      await tx
        .insert(runDatasetInputTable)
        .values({ runId, datasetId: row.id, tags: JSON.stringify(tags) })
        .onConflictDoUpdate({
          target: [runDatasetInputTable.runId, runDatasetInputTable.datasetId],
          set: { tags: JSON.stringify(tags) },
        });
    }
    await linkModels(tx, runId, "input", models);
  });
}

/** Records logged models a run produced, each at a step. */
export async function logRunOutputs(
  db: Db,
  runId: string,
  models: readonly ModelLink[],
): Promise<void> {
  const valid = validateModelLinks("models", models);
  if (valid.length === 0) throw invalid("models", "name at least one model output");
  await db.write(async (tx) => {
    await requireRun(tx, runId, { active: true });
    await linkModels(tx, runId, "output", valid);
  });
}

async function linkModels(
  tx: Parameters<Parameters<Db["write"]>[0]>[0],
  runId: string,
  direction: RunModelDirection,
  models: readonly ModelLink[],
): Promise<void> {
  for (const model of models)
    await tx
      .insert(runModelLinkTable)
      .values({ runId, modelId: model.modelId, direction, step: model.step })
      .onConflictDoUpdate({
        target: [runModelLinkTable.runId, runModelLinkTable.modelId, runModelLinkTable.direction],
        set: { step: model.step },
      });
}

export interface RunInputsAndOutputs {
  datasetInputs: DatasetInput[];
  modelInputs: ModelLink[];
  modelOutputs: ModelLink[];
}

/** Each run's inputs and outputs, two statements for any number of runs. */
export async function runInputsByRunIds(
  db: Db,
  runIds: readonly string[],
): Promise<Map<string, RunInputsAndOutputs>> {
  const ids = [...runIds];
  const result = new Map<string, RunInputsAndOutputs>(
    ids.map((id) => [id, { datasetInputs: [], modelInputs: [], modelOutputs: [] }]),
  );
  if (ids.length === 0) return result;
  const [datasets, links] = await Promise.all([
    db.orm
      .select({ input: runDatasetInputTable, dataset: datasetTable })
      .from(runDatasetInputTable)
      .innerJoin(datasetTable, eq(datasetTable.id, runDatasetInputTable.datasetId))
      .where(inArray(runDatasetInputTable.runId, ids))
      .orderBy(asc(datasetTable.id)),
    db.orm
      .select()
      .from(runModelLinkTable)
      .where(and(inArray(runModelLinkTable.runId, ids)))
      .orderBy(asc(runModelLinkTable.modelId)),
  ]);
  for (const [runId, rows] of groupBy(
    datasets,
    (row) => row.input.runId,
    (row) => row,
  )) {
    const entry = result.get(runId);
    if (!entry) continue;
    entry.datasetInputs = rows.map(({ input, dataset }) => ({
      dataset: {
        name: dataset.name,
        digest: dataset.digest,
        sourceType: dataset.sourceType,
        source: dataset.source,
        schema: dataset.schema,
        profile: dataset.profile,
      },
      tags: JSON.parse(input.tags) as KeyValue[],
    }));
  }
  for (const link of links) {
    const entry = result.get(link.runId);
    const item = { modelId: link.modelId, step: link.step };
    if (link.direction === "input") entry?.modelInputs.push(item);
    else entry?.modelOutputs.push(item);
  }
  return result;
}
