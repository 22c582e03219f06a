import { dynamoDbTableCheck } from '../adapters/dynamodb-table-check';
import { eventBusCheck } from '../adapters/event-bus-check';
import { functionCheck } from '../adapters/function-check';
import { stateMachineCheck } from '../adapters/state-machine-check';
import { loadHealthConfig, type ReadyCheck } from '../config';
import { createProbesHandler } from '../handlers/probes';
import type { DependencyCheck } from '../ports/dependency-check';
import { ReadinessProbe } from '../use-cases/readiness';

const config = loadHealthConfig();

const adapterFor = (check: ReadyCheck): DependencyCheck => {
  switch (check.kind) {
    case 'table':
      return dynamoDbTableCheck(check);
    case 'eventBus':
      return eventBusCheck(check.eventBusName);
    case 'stateMachine':
      return stateMachineCheck(check.stateMachineArn);
    case 'function':
      return functionCheck(check.functionName);
  }
};

export const handler = createProbesHandler({
  version: config.SHOP_PACKAGE_VERSION,
  build: config.SHOP_VERSION,
  checkDeadlineMs: config.READY_CHECK_DEADLINE_MS,
  readiness: new ReadinessProbe({
    checks: Object.fromEntries(Object.entries(config.READY_CHECKS).map(([name, check]) => [name, adapterFor(check)])),
    deadlineMs: config.READY_CHECK_DEADLINE_MS,
    cacheMs: config.READY_CACHE_MS,
  }),
});
