import { asc, inArray } from "drizzle-orm";
import type { KeyValue } from "./experiments.ts";
import { groupBy } from "./group-by.ts";
import { type ModelMetric, requireLoggedModel } from "./logged-models.ts";
import { decodeMetricValue, encodeMetricValue } from "./metric-value.ts";
import type { Db } from "./open-db.ts";
import {
  loggedModelMetricTable,
  loggedModelParamTable,
  loggedModelTagTable,
} from "./schema/index.ts";
import { validateInteger, validateKey, validateTimestamp } from "./validation.ts";

/**
 * What a logged model carries besides its row: tags, params, and the metric points linked to
 * it (a run's points logged with the model's id, as `log_model` does for its step).
 */

/** Links metric points to models (each point names its model); the models must exist. */
export async function linkModelMetrics(
  db: Db,
  points: readonly (ModelMetric & { modelId: string })[],
): Promise<void> {
  const rows = points.map((point, i) => {
    const field = `metrics[${i}]`;
    return {
      modelId: point.modelId,
      runId: point.runId,
      key: validateKey(`${field}.key`, point.key),
      ...encodeMetricValue(point.value),
      step: validateInteger(`${field}.step`, point.step),
      timestamp: validateTimestamp(`${field}.timestamp`, point.timestamp),
      datasetName: point.datasetName,
      datasetDigest: point.datasetDigest,
    };
  });
  if (rows.length === 0) return;
  await db.write(async (tx) => {
    for (const modelId of new Set(rows.map((row) => row.modelId)))
      await requireLoggedModel(tx, modelId, "metrics.modelId");
    await tx.insert(loggedModelMetricTable).values(rows);
  });
}

/** Tags, params and linked metrics of each model, by model id. */
export async function loggedModelDataByIds(
  db: Db,
  modelIds: readonly string[],
): Promise<{
  tags: Map<string, KeyValue[]>;
  params: Map<string, KeyValue[]>;
  metrics: Map<string, ModelMetric[]>;
}> {
  const ids = [...modelIds];
  if (ids.length === 0) return { tags: new Map(), params: new Map(), metrics: new Map() };
  const [tags, params, metrics] = await Promise.all([
    db.orm
      .select()
      .from(loggedModelTagTable)
      .where(inArray(loggedModelTagTable.modelId, ids))
      .orderBy(asc(loggedModelTagTable.key)),
    db.orm
      .select()
      .from(loggedModelParamTable)
      .where(inArray(loggedModelParamTable.modelId, ids))
      .orderBy(asc(loggedModelParamTable.key)),
    db.orm
      .select()
      .from(loggedModelMetricTable)
      .where(inArray(loggedModelMetricTable.modelId, ids))
      .orderBy(asc(loggedModelMetricTable.key), asc(loggedModelMetricTable.step)),
  ]);
  const keyValue = (row: KeyValue) => ({ key: row.key, value: row.value });
  return {
    tags: groupBy(tags, (row) => row.modelId, keyValue),
    params: groupBy(params, (row) => row.modelId, keyValue),
    metrics: groupBy(
      metrics,
      (row) => row.modelId,
      (row) => ({
        key: row.key,
        value: decodeMetricValue(row.value, row.special),
        step: row.step,
        timestamp: row.timestamp,
        runId: row.runId,
        datasetName: row.datasetName,
        datasetDigest: row.datasetDigest,
      }),
    ),
  };
}
