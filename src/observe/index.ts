export { createLogger, memoryLogger, silentLogger, type Fields, type Level, type Logger, type LoggerOptions } from "./logger.ts";
export { detectorLines, formatReport, reportJson } from "./human.ts";
