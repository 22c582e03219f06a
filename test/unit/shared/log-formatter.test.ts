import { Logger } from '@aws-lambda-powertools/logger';
import type { UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { ShopLogFormatter } from '../../../functions/shared/log-formatter';

const attributes = (overrides: Partial<UnformattedAttributes> = {}): UnformattedAttributes => ({
  logLevel: 'WARN',
  message: 'Reservation refused',
  timestamp: new Date('2026-12-04T12:00:00.000Z'),
  serviceName: 'inventory',
  sampleRateValue: 0,
  awsRegion: 'us-east-1',
  environment: '',
  xRayTraceId: '1-5759e988-bd862e3fe1be46a994272793',
  lambdaContext: {
    coldStart: true,
    functionName: 'ServerlessShop-InventoryReserveInventory62B1DC76-AbCdEfGhIjKl',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ServerlessShop-InventoryReserveInventory62B1DC76-AbCdEfGhIjKl',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  },
  ...overrides,
});

describe('ShopLogFormatter', () => {
  it('writes what a person needs to follow a request, not what the log group already says (function name, ARN, memory)', () => {
    // Act
    const line = new ShopLogFormatter().formatAttributes(attributes(), { correlationId: 'corr-1', orderId: 'o-1', reason: 'OUT_OF_STOCK' }).getAttributes();

    // Assess
    expect(line).toEqual({
      level: 'WARN',
      message: 'Reservation refused',
      timestamp: '2026-12-04T12:00:00.000Z',
      service: 'inventory',
      cold_start: true,
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      correlationId: 'corr-1',
      orderId: 'o-1',
      reason: 'OUT_OF_STOCK',
    });
  });
});

describe("ShopLogFormatter with Powertools' correlation id", () => {
  it('keeps the standard correlation_id key that logger.setCorrelationId writes, as CloudWatch Logs Insights and the local cloud read it', () => {
    // Prepare
    const printed: string[] = [];
    jest.spyOn(console, 'info').mockImplementation((line?: unknown) => void printed.push(String(line)));
    const logger = new Logger({ logFormatter: new ShopLogFormatter(), logLevel: 'INFO', serviceName: 'orders' });

    // Act
    logger.setCorrelationId('corr-2');
    logger.info('Order placed');

    // Assess
    expect(printed.map((line) => JSON.parse(line) as unknown)).toEqual([expect.objectContaining({ message: 'Order placed', service: 'orders', correlation_id: 'corr-2' })]);
    jest.restoreAllMocks();
  });
});
