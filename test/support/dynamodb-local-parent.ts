import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';

// A parent process for the watchdog test: starts DynamoDB Local, reports its port, waits to be killed.
void startDynamoDbLocal().then((instance) => {
  process.stdout.write(`PORT ${instance.port}\n`);
  setInterval(() => undefined, 1000);
});
