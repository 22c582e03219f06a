import * as z from '../zod';

/** Metadata every event carries, whatever its type. */
export const eventMetadataSchema = z.object({
  eventId: z.string().check(z.minLength(1)),
  version: z.string().check(z.regex(/^\d+$/)),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** The `detail` of every event: `{metadata, data}`. */
export interface EventDetail<TData> {
  readonly metadata: EventMetadata;
  readonly data: TData;
}

/**
 * A versioned event contract: where it comes from, what it is called on the
 * bus, and the schema of its `data`. Producers validate before they publish;
 * consumers validate what they receive.
 */
export interface EventContract<TType extends string = string, TData = unknown> {
  readonly detailType: TType;
  readonly source: string;
  readonly version: string;
  readonly data: z.ZodMiniType<TData>;
  readonly detail: z.ZodMiniType<EventDetail<TData>>;
}

/** Builds a contract; the detail schema pins `metadata.version`. */
export const defineEvent = <TType extends string, TData>(
  detailType: TType,
  source: string,
  version: string,
  data: z.ZodMiniType<TData>,
): EventContract<TType, TData> => ({
  detailType,
  source,
  version,
  data,
  detail: z.object({
    metadata: z.extend(eventMetadataSchema, { version: z.literal(version) }),
    data,
  }) as unknown as z.ZodMiniType<EventDetail<TData>>,
});

/** The data type a contract carries. */
export type DataOf<C> = C extends EventContract<string, infer D> ? D : never;
