/**
 * The template uses something the local cloud does not emulate. Start-up
 * stops with this, naming the resource and the property: nothing in the
 * template is silently ignored.
 */
export class UnsupportedFeatureError extends Error {
  public constructor(
    public readonly logicalId: string,
    public readonly resourceType: string,
    public readonly property: string,
    detail: string,
  ) {
    super(`${logicalId} (${resourceType}): ${property} — ${detail}. The local cloud cannot run this; change the template or extend local/.`);
    this.name = 'UnsupportedFeatureError';
  }
}
