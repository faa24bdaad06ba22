export { createLogger, memoryLogger, silentLogger, type Fields, type Level, type Logger, type LoggerOptions } from "./logger.ts";
export { detectorLines, formatReport } from "./human.ts";
export { errorJson, evaluationJson, reportJson, simulateJson } from "./_json.ts";
export type { CheckResultView, ChecksView, ReportView, SlotHolderView } from "./report-view.ts";
export { escapeControl } from "./_escape.ts";
export { ALL_METRIC_NAMES, createPromMetrics, HISTOGRAMS, noopMetrics, METRIC_PREFIX, type Metrics } from "./metrics.ts";
export { serveMetrics, type MetricsServer } from "./serve.ts";
export { createNotifier, type NotificationEvent, type Notifier, type RebootFailure, type WebhookSpec } from "./notify.ts";
export { EVENTS, type EventName } from "./events.ts";
