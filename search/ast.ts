/**
 * The filter language: MLflow's search grammar (`metrics.acc > 0.9 and params.lr = '0.001'`)
 * plus `or`, `not` and parentheses. A pure AST: `db/` compiles it to parameterized SQL, the
 * reports evaluate it in the page.
 */
export type EntityKind = "metric" | "param" | "tag" | "attribute";

export interface Identifier {
  kind: EntityKind;
  key: string;
  /** Offset of the identifier in the filter text, for error messages. */
  position: number;
}

export type ComparisonOperator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE";
export type ListOperator = "IN" | "NOT IN";

export type Literal = string | number;

export interface Comparison {
  type: "comparison";
  identifier: Identifier;
  operator: ComparisonOperator;
  value: Literal;
}

export interface Membership {
  type: "membership";
  identifier: Identifier;
  operator: ListOperator;
  values: Literal[];
}

export interface Logical {
  type: "and" | "or";
  left: FilterExpression;
  right: FilterExpression;
}

export interface Negation {
  type: "not";
  operand: FilterExpression;
}

export type FilterExpression = Comparison | Membership | Logical | Negation;
