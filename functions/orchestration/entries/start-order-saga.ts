import { StepFunctionsSagaStarter } from '../adapters/step-functions-saga-starter';
import { loadOrchestrationConfig } from '../config';
import { createStartOrderSagaHandler } from '../handlers/start-order-saga';

const config = loadOrchestrationConfig();

export const handler = createStartOrderSagaHandler({ starter: new StepFunctionsSagaStarter(config.STATE_MACHINE_ARN) });
