import SchemaBuilder from "@pothos/core";
import type { Context } from "./context.ts";

export interface BuilderTypes {
  Context: Context;
  Scalars: {
    Long: { Input: number; Output: number };
    MetricValue: { Input: number; Output: number };
    MetricValueList: { Input: Float64Array<ArrayBuffer>; Output: readonly number[] };
    LongList: { Input: Float64Array<ArrayBuffer>; Output: readonly number[] };
  };
  DefaultFieldNullability: false;
}

/** The one Pothos builder; each file under schema/ adds its types to it. */
export const builder = new SchemaBuilder<BuilderTypes>({ defaultFieldNullability: false });

export type Types = PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>;
