/**
 * POSTs JSON to a labbook server with the API token, turning "nothing listens there" into
 * an error that says what to check.
 */
export async function postJson(
  url: string,
  body: unknown,
  token: string | undefined,
): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`cannot reach the labbook server at ${url}; is it running?`, { cause: error });
  }
}
