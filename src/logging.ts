// pino logger: JSON lines by default (for log collectors), pretty when stdout is a terminal.
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, options: { pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty && !options.destination) {
    return pino({
      level,
      transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" } },
    });
  }
  return pino({ level, base: undefined }, (options.destination ?? process.stdout) as pino.DestinationStream);
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: "silent" });
