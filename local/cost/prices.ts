/**
 * The one price table of the cost meter: AWS list prices in us-east-1, on
 * demand, beyond any free tier, each with the page it comes from. Dated:
 * prices change, and a figure is only as good as the day it was read.
 * Change a price here and every report follows.
 */

/** When these prices were read from their pages. */
export const PRICES_AS_OF = '2026-12-04';

/** The region the prices are for. */
export const PRICES_REGION = 'us-east-1';

export interface Price {
  /** Dollars per `per` units of `unit`. */
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  readonly source: string;
}

const price = (usd: number, per: number, unit: string, source: string): Price => ({ usd, per, unit, source });

const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const EVENTBRIDGE = 'https://aws.amazon.com/eventbridge/pricing/';
const API_GATEWAY = 'https://aws.amazon.com/api-gateway/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';

export const PRICES = {
  /** Lambda requests (every invocation, whatever its outcome). */
  lambdaRequests: price(0.2, 1_000_000, 'requests', LAMBDA),
  /** Lambda compute on x86_64, billed per ms of duration (the init phase included) × configured memory. */
  lambdaGbSecondX86: price(0.0000166667, 1, 'GB-seconds', LAMBDA),
  /** Lambda compute on arm64. */
  lambdaGbSecondArm: price(0.0000133334, 1, 'GB-seconds', LAMBDA),
  /** Step Functions Standard: each state entered, each retry included. */
  standardTransitions: price(0.025, 1_000, 'state transitions', STEP_FUNCTIONS),
  /** Step Functions Express: each execution started ("$1.00 per million requests", pricing page, read 2026-12-04). */
  expressRequests: price(1.0, 1_000_000, 'requests', STEP_FUNCTIONS),
  /**
   * Step Functions Express duration: each execution rounded up to the next
   * 100 ms, × memory in 64 MB chunks. First tier (the first 1,000 GB-hours a
   * month): $0.06000 per GB-hour, listed as $0.00001667 per GB-second (pricing
   * page, us-east-1, read 2026-12-04; later tiers $0.03000 and $0.01642 per
   * GB-hour are not applied).
   */
  expressGbSecond: price(0.00001667, 1, 'GB-seconds', STEP_FUNCTIONS),
  /** DynamoDB on-demand writes (Standard table class); transactional writes count two units per KB. */
  dynamoDbWriteUnits: price(0.625, 1_000_000, 'write request units', DYNAMODB),
  /** DynamoDB on-demand reads; eventually consistent reads count half a unit per 4 KB, transactional ones two. */
  dynamoDbReadUnits: price(0.125, 1_000_000, 'read request units', DYNAMODB),
  /** EventBridge custom events put on a bus (each 64 KB chunk is one event). */
  eventBridgeEvents: price(1.0, 1_000_000, 'events', EVENTBRIDGE),
  /** EventBridge archives: bytes of the events archived (storage, $0.023 per GB-month, is left out: it depends on retention, not on orders). */
  eventBridgeArchiveGb: price(0.1, 1, 'GB archived', EVENTBRIDGE),
  /** EventBridge Pipes: each event that passes the source filter (each 64 KB chunk is one request). */
  pipesRequests: price(0.4, 1_000_000, 'requests', EVENTBRIDGE),
  /** API Gateway HTTP API requests (first 300 million a month; each 512 KB chunk is one request). */
  httpApiRequests: price(1.0, 1_000_000, 'requests', API_GATEWAY),
  /** SQS standard queue requests (send, receive, delete; each 64 KB chunk is one request). */
  sqsRequests: price(0.4, 1_000_000, 'requests', SQS),
  /**
   * CloudWatch Logs ingestion, Standard log class (uncompressed bytes). Step
   * Functions' execution logs are vended logs, whose first tier (10 TB a
   * month) is the same $0.50 per GB in us-east-1.
   */
  logsIngestedGb: price(0.5, 1, 'GB ingested', CLOUDWATCH),
  /** CloudWatch custom metrics (first 10,000 a month): each distinct namespace, name and dimension values. */
  metricMonth: price(0.3, 1, 'metric-months', CLOUDWATCH),
  /** X-Ray traces recorded. */
  xrayTraces: price(5.0, 1_000_000, 'traces recorded', XRAY),
} as const;

export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of a price. */
export const dollars = (name: PriceName, quantity: number): number => (PRICES[name].usd * quantity) / PRICES[name].per;
