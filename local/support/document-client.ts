import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';

/**
 * A document client that owns the client it wraps. lib-dynamodb's
 * `DynamoDBDocumentClient.destroy()` does nothing (the wrapped client is the
 * caller's), so destroying only the document client leaves the wrapped
 * client's keep-alive sockets open, and they keep a process (a jest worker,
 * a bench) alive until the server drops them. This one's `destroy()` closes
 * the wrapped client.
 */
export const ownedDocumentClient = (client: DynamoDBClient, translateConfig?: TranslateConfig): DynamoDBDocumentClient => {
  const document = DynamoDBDocumentClient.from(client, translateConfig);
  document.destroy = () => client.destroy();
  return document;
};
