import { EXIT_BAD_INPUT, KeeperError } from "../errors.js";

// Command-line input errors: one line naming the option and what is wrong; exit code 2.
export class UsageError extends KeeperError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_BAD_INPUT, retryable: false });
    this.name = "UsageError";
  }
}

export function parseIntegerOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}
