import type { DataOf, EventContract } from './contracts/envelope';

/**
 * Port: publishes a typed, versioned event. Implementations validate `data`
 * against the contract before anything leaves the process.
 */
export interface EventPublisher {
  publish<C extends EventContract>(contract: C, data: DataOf<C>, correlationId: string): Promise<void>;
}
