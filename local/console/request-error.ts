/** A request the console refuses, with the status that says why (see README "Console"). */
export class ConsoleRequestError extends Error {
  public constructor(
    /** 4xx for what the request asks; 502 when the local cloud refused what the console passed on (a redrive). */
    public readonly status: 400 | 404 | 405 | 409 | 413 | 415 | 502,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleRequestError';
  }
}
