import { ArtifactStoreError } from "./errors.ts";

/**
 * The longest artifact path, in UTF-8 bytes. S3 keys hold 1024 bytes, and the run's prefix
 * (`<root>/<experiment id>/<run id>/artifacts/`) comes before the path.
 */
export const maxArtifactPathBytes = 768;
/** The longest segment (file or folder name), in UTF-8 bytes: most file systems' NAME_MAX. */
export const maxArtifactSegmentBytes = 255;

/**
 * Why a path cannot name an artifact, or undefined when it can. An artifact path is relative
 * to the run's artifact folder: segments separated by `/`, none empty, `.` or `..`; no
 * backslash, NUL or other control character; no leading `/` or drive letter.
 */
export function artifactPathProblem(path: unknown): string | undefined {
  if (typeof path !== "string") return "an artifact path must be a string";
  if (path === "") return "an artifact path must not be empty";
  const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path);
  if (path.includes("\0")) return `artifact path ${shown}: NUL bytes are not allowed`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0001-\u001f\u007f]/.test(path))
    return `artifact path ${shown}: control characters are not allowed`;
  if (path.includes("\\"))
    return `artifact path ${shown}: backslashes are not allowed; separate folders with '/'`;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path))
    return `artifact path ${shown}: absolute paths are not allowed; give a path relative to the run's artifacts, e.g. 'model/weights.bin'`;
  const segments = path.split("/");
  if (segments.some((segment) => segment === ""))
    return `artifact path ${shown}: empty segments are not allowed (no leading, trailing or doubled '/')`;
  if (segments.some((segment) => segment === ".." || segment === "."))
    return `artifact path ${shown}: '.' and '..' segments are not allowed; paths stay inside the run's artifacts`;
  if (Buffer.byteLength(path) > maxArtifactPathBytes)
    return `artifact path ${shown}: longer than ${maxArtifactPathBytes} bytes`;
  if (segments.some((segment) => Buffer.byteLength(segment) > maxArtifactSegmentBytes))
    return `artifact path ${shown}: a segment is longer than ${maxArtifactSegmentBytes} bytes`;
  return undefined;
}

/** The path itself when it can name an artifact; an `invalid` ArtifactStoreError otherwise. */
export function validateArtifactPath(path: unknown): string {
  const problem = artifactPathProblem(path);
  if (problem) throw new ArtifactStoreError("invalid", problem);
  return path as string;
}

/**
 * A folder to list: "" (or undefined) is the run's whole artifact folder, anything else must
 * be a valid artifact path.
 */
export function validateArtifactFolder(path: string | undefined | null): string {
  return path === undefined || path === null || path === "" ? "" : validateArtifactPath(path);
}
