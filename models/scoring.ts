/**
 * MLflow's scoring protocol, checked against a model's signature: the JSON bodies of
 * `POST /invocations` (`inputs`, `instances`, `dataframe_split`) turned into flat typed
 * arrays with their shapes, or a message saying what does not fit. Pure: no TensorFlow.js.
 */

/** One side of a signature: a tensor's name, dtype and shape (-1: any size). */
export interface TensorSpec {
  name?: string;
  dtype: string;
  shape: number[];
}

/** An input ready for `tf.tensor(values, shape, dtype)`. */
export interface InputTensor {
  spec: TensorSpec;
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
}

/** Input that does not fit the signature: answered with 400 and this message. */
export class BadInput extends Error {
  override readonly name = "BadInput";
}

const bodyKeys = ["inputs", "instances", "dataframe_split", "dataframe_records"] as const;

/** Whether an input is a table: one 2-D input (rows × columns), as `dataframe_split` needs. */
export const isColumnar = (inputs: readonly TensorSpec[]): boolean =>
  inputs.length === 1 && inputs[0]?.shape.length === 2;

const describeShape = (shape: readonly number[]) =>
  `[${shape.map((d) => (d === -1 ? "-1" : String(d))).join(", ")}]`;

/** The nested array's shape, checked to be rectangular; throws BadInput naming where it is ragged. */
function shapeOf(value: unknown, where: string): number[] {
  // The shape is read along the first items, then every array is checked against it.
  const shape: number[] = [];
  for (let item = value; Array.isArray(item); item = item[0]) shape.push(item.length);
  const check = (item: unknown, depth: number, path: () => string): void => {
    const size = shape[depth];
    if (size === undefined) {
      if (Array.isArray(item))
        throw new BadInput(
          `${path()} is ragged: it is a list where ${where} has numbers at this depth`,
        );
      return;
    }
    if (!Array.isArray(item))
      throw new BadInput(
        `${path()} is ragged: a ${typeof item} where ${where} has lists of ${size} at this depth`,
      );
    if (item.length !== size)
      throw new BadInput(
        `${path()} is ragged: it has ${item.length} items, ${where}${"[0]".repeat(depth)} has ${size}`,
      );
    if (depth === shape.length - 1) {
      for (let i = 0; i < item.length; i++)
        if (Array.isArray(item[i]))
          throw new BadInput(`${path()}[${i}] is ragged: a list where numbers are expected`);
      return;
    }
    for (let i = 0; i < item.length; i++) check(item[i], depth + 1, () => `${path()}[${i}]`);
  };
  check(value, 0, () => where);
  return shape;
}

function flatten(value: unknown, spec: TensorSpec, where: string): InputTensor {
  const shape = shapeOf(value, where);
  const label = spec.name ? `input '${spec.name}'` : "the input";
  if (shape.length !== spec.shape.length)
    throw new BadInput(
      `${where}: ${label} must have ${spec.shape.length} dimensions, shape ${describeShape(spec.shape)}; got ${shape.length} (shape ${describeShape(shape)})`,
    );
  spec.shape.forEach((size, i) => {
    if (size !== -1 && shape[i] !== size)
      throw new BadInput(
        `${where}: ${label} must have shape ${describeShape(spec.shape)}; got ${describeShape(shape)} (dimension ${i} is ${shape[i]}, not ${size})`,
      );
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const dtype = spec.dtype;
  const values =
    dtype === "int32"
      ? new Int32Array(count)
      : dtype === "bool"
        ? new Uint8Array(count)
        : new Float32Array(count);
  let n = 0;
  // The path of the n-th value, built only to report a bad one.
  const pathOf = (index: number) => {
    const indices: number[] = [];
    let rest = index;
    for (let d = shape.length - 1; d >= 0; d--) {
      const size = shape[d] ?? 1;
      indices.unshift(rest % size);
      rest = Math.floor(rest / size);
    }
    return `${where}${indices.map((i) => `[${i}]`).join("")}`;
  };
  const bad = (item: unknown, rule: string) =>
    new BadInput(`${pathOf(n)}: ${label} ${rule}; got ${JSON.stringify(item)}`);
  const take = (item: unknown) => {
    if (dtype === "bool") {
      if (typeof item !== "boolean") throw bad(item, "has dtype bool");
      values[n++] = item ? 1 : 0;
      return;
    }
    if (typeof item !== "number") throw bad(item, `has dtype ${dtype} and takes numbers`);
    if (dtype === "int32" && !Number.isInteger(item))
      throw bad(item, "has dtype int32 and takes integers");
    values[n++] = item;
  };
  const floats = dtype !== "bool" && dtype !== "int32";
  // Down to the innermost lists, then a tight loop over their values (the common case: floats).
  const visit = (item: unknown, depth: number) => {
    const list = item as unknown[];
    if (depth < shape.length - 1) {
      for (let i = 0; i < list.length; i++) visit(list[i], depth + 1);
      return;
    }
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      if (floats && typeof x === "number") values[n++] = x;
      else take(x);
    }
  };
  if (shape.length === 0) take(value);
  else visit(value, 0);
  return { spec, values, shape };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Values by input, from a record keyed by input names (or the only input's array). */
function byInput(
  value: unknown,
  inputs: readonly TensorSpec[],
  where: string,
): Map<TensorSpec, unknown> {
  if (!isRecord(value)) {
    if (inputs.length !== 1)
      throw new BadInput(
        `${where}: the model takes ${inputs.length} inputs (${inputs.map((s) => s.name).join(", ")}); give an object with one array per input`,
      );
    return new Map([[inputs[0] as TensorSpec, value]]);
  }
  const names = inputs.map((s) => s.name ?? "");
  const unknown = Object.keys(value).filter((key) => !names.includes(key));
  if (unknown.length > 0)
    throw new BadInput(
      `${where}: the model has no input ${unknown.map((k) => `'${k}'`).join(", ")}; its inputs are ${names.map((n) => `'${n}'`).join(", ")}`,
    );
  return new Map(
    inputs.map((spec) => {
      if (!(spec.name !== undefined && spec.name in value))
        throw new BadInput(`${where}: input '${spec.name}' is missing`);
      return [spec, value[spec.name]];
    }),
  );
}

/**
 * The tensors an `/invocations` body asks predictions for, in the order of `inputs`.
 *
 * @example
 * parseInvocation({ inputs: [[0, 1]] }, [{ dtype: "float32", shape: [-1, 2] }]);
 * // [{ values: Float32Array [0, 1], shape: [1, 2], … }]
 */
export function parseInvocation(body: unknown, inputs: readonly TensorSpec[]): InputTensor[] {
  if (!isRecord(body))
    throw new BadInput(
      `the body must be a JSON object with one of ${bodyKeys.slice(0, 3).join(", ")}`,
    );
  const given = bodyKeys.filter((key) => key in body);
  if (given.length !== 1)
    throw new BadInput(
      given.length === 0
        ? `the body must have one of the fields ${bodyKeys.slice(0, 3).join(", ")} (MLflow's scoring formats); it has ${Object.keys(body).join(", ") || "none"}`
        : `the body must have only one of ${given.join(", ")}`,
    );
  const key = given[0] as (typeof bodyKeys)[number];
  const value = body[key];
  switch (key) {
    case "inputs": {
      const values = byInput(value, inputs, "inputs");
      return inputs.map((spec) =>
        flatten(values.get(spec), spec, `inputs${inputs.length > 1 ? `.${spec.name}` : ""}`),
      );
    }
    case "instances": {
      if (!Array.isArray(value))
        throw new BadInput("instances must be a list, one item per instance");
      if (inputs.length === 1 && !value.some(isRecord))
        return [flatten(value, inputs[0] as TensorSpec, "instances")];
      // One record per instance: gather each input's values across instances.
      return inputs.map((spec) => {
        const column = value.map((instance, i) => {
          if (!isRecord(instance) || !(spec.name !== undefined && spec.name in instance))
            throw new BadInput(`instances[${i}]: input '${spec.name}' is missing`);
          return instance[spec.name];
        });
        return flatten(column, spec, `instances.${spec.name}`);
      });
    }
    case "dataframe_split": {
      const spec = inputs[0];
      if (!spec || !isColumnar(inputs))
        throw new BadInput(
          `dataframe_split needs a model whose one input is a table (rows × columns); this model's inputs are ${inputs.map((s) => describeShape(s.shape)).join(", ")}: send inputs or instances`,
        );
      if (!isRecord(value) || !Array.isArray(value.data))
        throw new BadInput(
          "dataframe_split must be an object with data (a list of rows) and columns",
        );
      const width = spec.shape[1] ?? -1;
      if (value.columns !== undefined) {
        if (!Array.isArray(value.columns))
          throw new BadInput("dataframe_split.columns must be a list of column names");
        if (width !== -1 && value.columns.length !== width)
          throw new BadInput(
            `dataframe_split.columns has ${value.columns.length} columns; the model takes ${width}`,
          );
      }
      return [flatten(value.data, spec, "dataframe_split.data")];
    }
    default:
      throw new BadInput(
        "dataframe_records is not supported for tensor models: send inputs, instances or dataframe_split",
      );
  }
}
