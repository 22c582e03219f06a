// Handlers read their configuration once at import time; tests import them
// with these values. Tracing is off outside Lambda, metrics are captured.
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_DEV = 'true';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'ServerlessShopTest';
process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-1';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
