import { describe, expect, it } from "vitest";
import { BadInput, parseInvocation, type TensorSpec } from "../../models/scoring.ts";

const table: TensorSpec[] = [{ name: "x", dtype: "float32", shape: [-1, 3] }];
const twoInputs: TensorSpec[] = [
  { name: "ids", dtype: "int32", shape: [-1, 2] },
  { name: "mask", dtype: "bool", shape: [-1] },
];

const message = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof BadInput) return error.message;
    throw error;
  }
  throw new Error("expected a BadInput");
};

describe("parseInvocation (MLflow's /invocations bodies against a signature)", () => {
  it("reads inputs, instances and dataframe_split into flat typed arrays", () => {
    const [fromInputs] = parseInvocation(
      {
        inputs: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      table,
    );
    expect(fromInputs?.shape).toEqual([2, 3]);
    expect([...(fromInputs?.values ?? [])]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseInvocation({ instances: [[1, 2, 3]] }, table)[0]?.shape).toEqual([1, 3]);
    const split = parseInvocation(
      { dataframe_split: { columns: ["a", "b", "c"], data: [[1, 2, 3]] } },
      table,
    );
    expect([...(split[0]?.values ?? [])]).toEqual([1, 2, 3]);
    expect(parseInvocation({ inputs: { x: [[0, 0, 0]] } }, table)[0]?.shape).toEqual([1, 3]);
  });

  it("reads several named inputs, by record or by instance, with their dtypes", () => {
    const byRecord = parseInvocation({ inputs: { ids: [[1, 2]], mask: [true] } }, twoInputs);
    expect(byRecord.map((t) => t.values.constructor.name)).toEqual(["Int32Array", "Uint8Array"]);
    const byInstance = parseInvocation(
      {
        instances: [
          { ids: [1, 2], mask: true },
          { ids: [3, 4], mask: false },
        ],
      },
      twoInputs,
    );
    expect(byInstance.map((t) => t.shape)).toEqual([[2, 2], [2]]);
    expect([...(byInstance[1]?.values ?? [])]).toEqual([1, 0]);
  });

  it("says what does not fit", () => {
    expect(message(() => parseInvocation({ inputs: [[1, 2]] }, table))).toMatch(
      /must have shape \[-1, 3\]; got \[1, 2\]/,
    );
    expect(message(() => parseInvocation({ inputs: [1, 2, 3] }, table))).toMatch(
      /must have 2 dimensions/,
    );
    expect(
      message(() =>
        parseInvocation(
          {
            inputs: [
              [1, 2, 3],
              [1, 2],
            ],
          },
          table,
        ),
      ),
    ).toMatch(/inputs\[1\] is ragged: it has 2 items, inputs\[0\] has 3/);
    expect(message(() => parseInvocation({ inputs: [[1, "2", 3]] }, table))).toMatch(
      /inputs\[0\]\[1\]: input 'x' has dtype float32 and takes numbers; got "2"/,
    );
    expect(
      message(() => parseInvocation({ inputs: { ids: [[1.5, 2]], mask: [true] } }, twoInputs)),
    ).toMatch(/inputs.ids\[0\]\[0\]: input 'ids' has dtype int32 and takes integers; got 1.5/);
    expect(message(() => parseInvocation({ inputs: { ids: [[1, 2]] } }, twoInputs))).toMatch(
      /input 'mask' is missing/,
    );
    expect(message(() => parseInvocation({ inputs: { y: [[1, 2, 3]] } }, table))).toMatch(
      /no input 'y'; its inputs are 'x'/,
    );
    expect(
      message(() => parseInvocation({ dataframe_split: { data: [[1, 2]] } }, twoInputs)),
    ).toMatch(/dataframe_split needs a model whose one input is a table/);
    expect(message(() => parseInvocation({ inputs: [], instances: [] }, table))).toMatch(
      /only one of inputs, instances/,
    );
    expect(message(() => parseInvocation([1, 2], table))).toMatch(/must be a JSON object/);
  });
});
