import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IamDenial, IamRequest } from './iam/authorizer';
import { jsonApiAuthorizations, type ApiAuthorization } from './iam/api-actions';
import type { IamPrincipal } from './iam/principals';
import { LoopbackServer } from './support/loopback';

/**
 * An error answered in the AWS JSON protocol shape (`__type` + `message`),
 * which the SDK turns into an exception of that name.
 */
export class AwsServiceError extends Error {
  public constructor(
    public readonly type: string,
    message: string,
    public readonly statusCode = 400,
    /** Headers the answer carries besides the error type (SQS's `x-amzn-query-error`). @default none */
    public readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = type;
  }
}

/** Handles one operation of a JSON-protocol service (`X-Amz-Target: Prefix.Operation`). */
export type JsonOperation = (input: Record<string, unknown>) => Promise<unknown>;

/** Where JSON-protocol services differ in how they answer. */
export interface JsonProtocolOptions {
  /** The `awsJson` version the service speaks, which names the answer's content type. @default '1.1' */
  readonly version?: '1.0' | '1.1';
  /**
   * The service's own answer to a call IAM denies.
   * @default `AccessDeniedException` with the denial's message, status 400
   */
  readonly denied?: (denial: IamDenial) => AwsServiceError;
}

/** A REST route (method + path pattern with `{name}` parameters). */
export interface RestRoute {
  readonly method: string;
  readonly path: string;
  /**
   * What IAM must allow before the route runs (the caller is whoever signed
   * the request); a denial answers 403 `AccessDeniedException`. @default nothing
   */
  readonly authorize?: (params: Record<string, string>) => readonly ApiAuthorization[];
  readonly handle: (params: Record<string, string>, body: Buffer, request: IncomingMessage) => Promise<{ status: number; headers?: Record<string, string>; body: Buffer | string }>;
}

/** How the endpoint learns who signs a request and asks IAM about it. */
export interface EndpointIam {
  principalOf(authorization: string | readonly string[] | undefined): IamPrincipal;
  check(request: IamRequest): Promise<IamDenial | undefined>;
}

const MAX_BODY = 6 * 1024 * 1024;

/** A body over the limit is read on and dropped (up to this much), so the client gets the 413 rather than a broken connection. */
const MAX_DRAINED = 4 * MAX_BODY;

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else if (size > MAX_DRAINED) request.destroy();
    });
    request.on('end', () =>
      size > MAX_BODY ? reject(new AwsServiceError('RequestEntityTooLargeException', `Request must be smaller than ${MAX_BODY} bytes for the ${request.url?.includes('/invocations') ? 'InvokeFunction' : 'request'} operation`, 413)) : resolve(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });

const compile = (pattern: string): { regex: RegExp; names: string[] } => {
  const names: string[] = [];
  const source = pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  // A trailing slash is optional, as the SDK's paths and the CLI's differ on it.
  return { regex: new RegExp(`^${source.replace(/\/$/, '')}/?$`), names };
};

/**
 * The local cloud's AWS endpoint: one loopback HTTP server that speaks the
 * AWS wire protocols of the emulated services, so the SDK (via
 * `AWS_ENDPOINT_URL_*`) and the AWS CLI (`--endpoint-url`) work against it.
 * Services register JSON operations by target prefix (`AWSEvents`,
 * `AWSStepFunctions`, `AmazonSQS`, `Logs_20140328`) and REST routes (Lambda's Invoke).
 */
export class AwsEndpoint {
  private readonly operations = new Map<string, JsonOperation>();
  private readonly protocols = new Map<string, JsonProtocolOptions>();
  private readonly routes: Array<RestRoute & { compiled: ReturnType<typeof compile> }> = [];
  private readonly server = new LoopbackServer('AWS endpoint', (request, response) => this.handle(request, response));
  private iam?: EndpointIam;

  /**
   * Authorizes every call from now on: the principal is whoever the request's
   * credentials name (a function's own, minted by the local cloud; anything
   * else is the account's administrator).
   */
  public useIam(iam: EndpointIam): void {
    this.iam = iam;
  }

  /** Registers `Prefix.Operation` handlers, e.g. `('AWSEvents', {PutEvents: ...})`. */
  public registerJson(prefix: string, operations: Readonly<Record<string, JsonOperation>>, protocol: JsonProtocolOptions = {}): void {
    for (const [name, operation] of Object.entries(operations)) this.operations.set(`${prefix}.${name}`, operation);
    this.protocols.set(prefix, protocol);
  }

  public registerRest(route: RestRoute): void {
    this.routes.push({ ...route, compiled: compile(route.path) });
  }

  /** Listens on 127.0.0.1 (`port` 0: a free port) and returns the base URL the SDK's `endpoint` takes. */
  public listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  /** Stops listening and drops open connections: AWS-protocol calls are short, and at shutdown their callers are gone. */
  public close(): Promise<void> {
    return this.server.close();
  }

  /** Checks each authorization for the request's signer; the first denial fails the call as AWS fails it. */
  private async authorize(request: IncomingMessage, authorizations: readonly ApiAuthorization[], what: string, deny: (denial: IamDenial) => AwsServiceError): Promise<void> {
    const iam = this.iam;
    if (!iam) return;
    const principal = iam.principalOf(request.headers.authorization);
    for (const authorization of authorizations) {
      const denial = await iam.check({ principal, ...authorization, hop: `${principal.label} → ${what}` });
      if (denial) throw deny(denial);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let contentType = 'application/x-amz-json-1.1';
    try {
      const body = await readBody(request);
      const target = request.headers['x-amz-target'];
      if (typeof target === 'string') {
        const protocol = this.protocols.get(target.split('.')[0] ?? '') ?? {};
        contentType = `application/x-amz-json-${protocol.version ?? '1.1'}`;
        const operation = this.operations.get(target);
        if (!operation) throw new AwsServiceError('UnknownOperationException', `The local cloud does not implement ${target}`);
        let input: unknown;
        try {
          input = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          throw new AwsServiceError('SerializationException', 'The request body is not valid JSON');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          throw new AwsServiceError('SerializationException', 'The request body must be a JSON object');
        }
        const deny = protocol.denied ?? ((denial: IamDenial) => new AwsServiceError('AccessDeniedException', denial.message, 400));
        await this.authorize(request, jsonApiAuthorizations(target, input as Record<string, unknown>) ?? [], target, deny);
        const output = await operation(input as Record<string, unknown>);
        response.writeHead(200, { 'content-type': contentType });
        response.end(JSON.stringify(output ?? {}));
        return;
      }
      const url = new URL(request.url ?? '/', 'http://local');
      for (const route of this.routes) {
        if (route.method !== request.method) continue;
        const match = route.compiled.regex.exec(url.pathname);
        if (!match) continue;
        const params = Object.fromEntries(route.compiled.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
        await this.authorize(request, route.authorize?.(params) ?? [], `${request.method ?? ''} ${url.pathname}`, (denial) => new AwsServiceError('AccessDeniedException', denial.message, 403));
        const result = await route.handle(params, body, request);
        response.writeHead(result.status, result.headers ?? {});
        response.end(result.body);
        return;
      }
      const action = /^application\/x-www-form-urlencoded/.test(request.headers['content-type'] ?? '') ? new URLSearchParams(body.toString('utf8')).get('Action') : null;
      if (action !== null) {
        // Clients older than a service's JSON protocol (an AWS CLI from before SQS moved to JSON, late 2023) send the query protocol.
        throw new AwsServiceError('InvalidAction', `The local cloud speaks the AWS JSON protocols only; this client sent ${action} in the query protocol. Upgrade the AWS CLI or SDK.`, 400);
      }
      throw new AwsServiceError('UnknownOperationException', `The local cloud does not implement ${request.method} ${url.pathname}`, 404);
    } catch (error) {
      const failure = error instanceof AwsServiceError ? error : new AwsServiceError('InternalFailure', error instanceof Error ? error.message : String(error), 500);
      if (!response.headersSent) {
        response.writeHead(failure.statusCode, { ...failure.headers, 'content-type': contentType, 'x-amzn-errortype': failure.type });
      }
      response.end(JSON.stringify({ __type: failure.type, message: failure.message }));
    }
  }
}
