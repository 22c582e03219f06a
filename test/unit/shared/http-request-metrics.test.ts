import { NotFoundError } from '../../../functions/shared/errors';
import { jsonResponse } from '../../../functions/shared/http';
import { httpApi } from '../../../functions/shared/middleware';
import type { RequestMetrics } from '../../../functions/shared/request-metrics';
import { httpEvent, invoke } from '../../support/lambda';

class RecordingRequestMetrics implements RequestMetrics {
  public readonly requests: Array<{ route: string; status: number; latencyMs: number }> = [];
  public recordRequest(route: string, status: number, latencyMs: number): void {
    this.requests.push({ route, status, latencyMs });
  }
}

const routes = { 'GET /things/{id}': 'public', 'POST /things': 'user' } as const;

const setup = () => {
  const metrics = new RecordingRequestMetrics();
  const handler = httpApi(
    routes,
    {
      'GET /things/{id}': async ({ event }) => {
        if (event.pathParameters?.id === 'missing') throw new NotFoundError('THING_NOT_FOUND', 'No such thing.');
        if (event.pathParameters?.id === 'broken') throw new Error('bug');
        await new Promise((resolve) => setTimeout(resolve, 20));
        return jsonResponse(200, { id: event.pathParameters?.id });
      },
      'POST /things': async () => jsonResponse(201, {}),
    },
    metrics,
  );
  return { metrics, handler };
};

describe('httpApi request metrics', () => {
  it('records every answer once, by route key (not path) and status, with the time the function spent', async () => {
    // Prepare
    const { metrics, handler } = setup();

    // Act
    await invoke(handler, httpEvent({ routeKey: 'GET /things/{id}', pathParameters: { id: 'a1' } }));
    await invoke(handler, httpEvent({ routeKey: 'GET /things/{id}', pathParameters: { id: 'missing' } }));
    await invoke(handler, httpEvent({ routeKey: 'GET /things/{id}', pathParameters: { id: 'broken' } }));
    await invoke(handler, httpEvent({ routeKey: 'POST /things' }));

    // Assess
    expect(metrics.requests.map(({ route, status }) => [route, status])).toEqual([
      ['GET /things/{id}', 200],
      ['GET /things/{id}', 404],
      ['GET /things/{id}', 500],
      ['POST /things', 401],
    ]);
    expect(metrics.requests[0]?.latencyMs).toBeGreaterThanOrEqual(19);
  });

  it('records a route key outside the route table as unmatched, so a stray key adds no series', async () => {
    const { metrics, handler } = setup();
    await invoke(handler, httpEvent({ routeKey: 'DELETE /things/{id}', pathParameters: { id: 'a1' } }));
    expect(metrics.requests.map(({ route, status }) => [route, status])).toEqual([['unmatched', 404]]);
  });
});
