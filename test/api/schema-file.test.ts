import { readFileSync } from "node:fs";
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  printSchema,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../api/schema/index.ts";

const schemaFile = new URL("../../schema.graphql", import.meta.url);

/** Every described element of the schema, named like `Type.field(arg)`, with its description. */
function describedElements(): { name: string; description: string | null | undefined }[] {
  const elements: { name: string; description: string | null | undefined }[] = [];
  const addArgs = (owner: string, args: readonly GraphQLArgument[]) => {
    for (const arg of args)
      elements.push({ name: `${owner}(${arg.name})`, description: arg.description });
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
    elements.push({ name: type.name, description: type.description });
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        const name = `${type.name}.${field.name}`;
        elements.push({ name, description: field.description });
        addArgs(name, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLInputField[])
        elements.push({ name: `${type.name}.${field.name}`, description: field.description });
    } else if (isEnumType(type)) {
      for (const value of type.getValues())
        elements.push({ name: `${type.name}.${value.name}`, description: value.description });
    }
  }
  return elements;
}

describe("schema.graphql", () => {
  it("is the printed Pothos schema, as committed", () => {
    const committed = readFileSync(schemaFile, "utf8");
    expect(committed, "schema.graphql is stale: run `npm run schema` and commit it").toBe(
      `${printSchema(schema)}\n`,
    );
  });

  it("describes every type, field, argument, enum value and input field", () => {
    const elements = describedElements();
    // The walk reaches the whole API: types, fields, args, enum values and input fields.
    const names = elements.map((element) => element.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "Query",
        "Query.runs(orderBy)",
        "Mutation.logBatch(input)",
        "LogBatchInput.metrics",
        "RunStatus.FINISHED",
        "ViewType.ALL",
        "Long",
        "MetricValue",
      ]),
    );
    const undescribed = elements
      .filter((element) => (element.description ?? "").trim() === "")
      .map((element) => element.name);
    expect(undescribed, "give these a description in api/schema/").toEqual([]);
  });
});
