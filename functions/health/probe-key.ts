/**
 * The partition key the readiness probe reads in every table. No service
 * writes it, so the read finds nothing and costs the least a read can; the
 * probe's grant is held to this key (`dynamodb:LeadingKeys`), so the probe
 * can read no data.
 */
export const READY_PROBE_KEY = 'READY#probe';
