/**
 * One metric's points not yet cut into a batch, as the parallel lists `logBatch` takes.
 *
 * @example
 * const column: MetricColumn = { key: "loss", values: [0.4], steps: [1], timestamps: [Date.now()] };
 */
export interface MetricColumn {
  key: string;
  values: number[];
  steps: number[];
  timestamps: number[];
}

/**
 * The hot path of logging: per key, three growing arrays. Appending a point is a map lookup
 * and three pushes, so `logMetric` costs the training loop tens of nanoseconds; everything
 * else (encoding, sending, retrying) happens when a batch is cut.
 *
 * @example
 * const buffer = new MetricBuffer();
 * buffer.append(column, 0.41, 300, Date.now());
 * const columns = buffer.take(); // [{ key: "loss", values: [0.41], steps: [300], timestamps: […] }]
 */
export class MetricBuffer {
  #columns = new Map<string, MetricColumn>();
  /** Points appended since the last `take()`. */
  size = 0;

  /**
   * The column of a key, or undefined when no point of it is buffered: the caller then
   * checks the key once and calls `open`.
   *
   * @example
   * const column = buffer.column("loss") ?? buffer.open("loss");
   */
  column(key: string): MetricColumn | undefined {
    return this.#columns.get(key);
  }

  /**
   * Starts the column of a key.
   *
   * @example
   * buffer.open("loss");
   */
  open(key: string): MetricColumn {
    const column: MetricColumn = { key, values: [], steps: [], timestamps: [] };
    this.#columns.set(key, column);
    return column;
  }

  /**
   * Appends one point and returns how many points are buffered.
   *
   * @example
   * if (buffer.append(column, value, step, Date.now()) >= 5000) cut();
   */
  append(column: MetricColumn, value: number, step: number, timestamp: number): number {
    column.values.push(value);
    column.steps.push(step);
    column.timestamps.push(timestamp);
    return ++this.size;
  }

  /**
   * Hands over every buffered column and starts empty; fresh arrays rather than cleared
   * ones, because the columns taken are still being encoded.
   *
   * @example
   * const columns = buffer.take();
   */
  take(): MetricColumn[] {
    const columns = [...this.#columns.values()];
    this.#columns = new Map();
    this.size = 0;
    return columns;
  }
}
