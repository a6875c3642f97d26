/**
 * MLflow clients upload and download through the server (`--serve-artifacts`) when a run's
 * artifact URI is `mlflow-artifacts:/<path>`, which names `<artifact root>/<path>`. labbook
 * lays artifacts out under its root as MLflow does, so a location under the root is shown to
 * MLflow clients in that form, and read back from it.
 */
export const proxyScheme = "mlflow-artifacts:";

const trimSlashes = (text: string) => text.replace(/\/+$/, "");

/** `file:///…/artifacts/1/<run>/artifacts` → `mlflow-artifacts:/1/<run>/artifacts`; other locations as they are. */
export function toProxyUri(uri: string, artifactRoot: string): string {
  const root = trimSlashes(artifactRoot);
  if (uri === root) return `${proxyScheme}/`;
  return uri.startsWith(`${root}/`) ? `${proxyScheme}/${uri.slice(root.length + 1)}` : uri;
}

/** `mlflow-artifacts:/1/…` (or `mlflow-artifacts://host/1/…`) → `<root>/1/…`; other URIs as they are. */
export function fromProxyUri(uri: string, artifactRoot: string): string {
  if (!uri.startsWith(proxyScheme)) return uri;
  const path = uri
    .slice(proxyScheme.length)
    .replace(/^\/\/[^/]*/, "")
    .replace(/^\/+/, "");
  return path === "" ? trimSlashes(artifactRoot) : `${trimSlashes(artifactRoot)}/${path}`;
}
