import { HopLog } from '../../local/log';

/** The hop lines a function's log lines become, as `npm start` prints them and the e2e diagnostics and soak filter them by `[correlation id]`. */
const hopLines = (...lines: string[]): string[] => {
  const written: string[] = [];
  const log = new HopLog({ verbose: false, color: false, write: (text) => void written.push(text.trimEnd()) });
  for (const line of lines) log.functionLine('orders-api', line);
  return written.map((line) => line.slice(13));
};

describe('HopLog, a function log line', () => {
  it("tags a warning or error with its Powertools correlation_id, so an order's lines can be followed", () => {
    expect(hopLines(JSON.stringify({ level: 'WARN', message: 'Reservation refused', correlation_id: 'corr-1' }), JSON.stringify({ level: 'ERROR', message: 'Request failed', correlation_id: 'corr-2' }))).toEqual([
      'FN    [corr-1] orders-api: WARN Reservation refused',
      'ERROR [corr-2] orders-api: ERROR Request failed',
    ]);
  });

  it('still reads a correlationId key, as apps that append their own write it', () => {
    expect(hopLines(JSON.stringify({ level: 'WARN', message: 'Slow', correlationId: 'corr-3' }))).toEqual(['FN    [corr-3] orders-api: WARN Slow']);
  });

  it('prints a line without a correlation id untagged', () => {
    expect(hopLines(JSON.stringify({ level: 'WARN', message: 'Cold' }))).toEqual(['FN    orders-api: WARN Cold']);
  });
});
