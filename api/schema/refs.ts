import type {
  ArtifactEntry,
  Experiment,
  KeyValue,
  MetricHistory,
  MetricSummary,
  Run,
} from "../../db/index.ts";
import { builder } from "../builder.ts";

// Object types refer to each other (a run has an experiment, an experiment has runs), so
// their refs are declared here and implemented in one file per type.
export const ExperimentRef = builder.objectRef<Experiment>("Experiment");
export const RunRef = builder.objectRef<Run>("Run");
export const MetricRef = builder.objectRef<MetricSummary>("Metric");
export const MetricHistoryRef = builder.objectRef<MetricHistory>("MetricHistory");
export const ParamRef = builder.objectRef<KeyValue>("Param");
export const TagRef = builder.objectRef<KeyValue>("Tag");
export const ArtifactRef = builder.objectRef<ArtifactEntry>("Artifact");

export const LifecycleStageEnum = builder.enumType("LifecycleStage", {
  description: "Whether a row is live or deleted (deleted rows stay restorable until collected).",
  values: {
    ACTIVE: { value: "active", description: "Live." },
    DELETED: { value: "deleted", description: "Deleted; restore it to bring it back." },
  } as const,
});

export const ViewTypeEnum = builder.enumType("ViewType", {
  description: "Which lifecycle stages a list includes (MLflow's ViewType).",
  values: {
    ACTIVE_ONLY: { value: "active", description: "Only live rows (the default)." },
    DELETED_ONLY: { value: "deleted", description: "Only deleted rows." },
    ALL: { value: "all", description: "Both." },
  } as const,
});

ParamRef.implement({
  description: "A run parameter: immutable once logged.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The parameter's name." }),
    value: t.exposeString("value", { description: "The value, as text (up to 6000 characters)." }),
  }),
});

TagRef.implement({
  description: "A tag: a key with a text value that can be changed or deleted.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The tag's name." }),
    value: t.exposeString("value", { description: "The value, as text (up to 5000 characters)." }),
  }),
});

export const KeyValueInput = builder.inputType("KeyValueInput", {
  description: "A key and a text value: a param or a tag.",
  fields: (t) => ({
    key: t.string({
      required: true,
      description: "Letters, digits and `_ - . / : space`, up to 250 characters.",
    }),
    value: t.string({ required: true, description: "The value, as text." }),
  }),
});
