/** A GraphQL error answer, as a command reports it: the message and the error's code. */
export class GraphQLRequestError extends Error {
  override readonly name = "GraphQLRequestError";
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}
