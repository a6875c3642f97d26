/** All times are integer milliseconds UTC. */
export const nowMs = (): number => Date.now();
