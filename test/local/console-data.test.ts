import { graphOf, redact, REDACTED } from '../../local/console/console-data';

const definition = JSON.stringify({
  StartAt: 'Reserve',
  States: {
    Reserve: { Type: 'Task', Next: 'Check', Catch: [{ ErrorEquals: ['OutOfStock'], Next: 'Release' }] },
    Check: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }], Default: 'Release' },
    Release: { Type: 'Task', Next: 'Cancelled' },
    Cancelled: { Type: 'Fail' },
    Undo: { Type: 'Pass', Next: 'Cancelled' },
    Done: { Type: 'Succeed' },
  },
});

describe('graphOf', () => {
  it('draws every transition and marks as compensation only the states no path reaches without a Catch', () => {
    // Act
    const graph = graphOf(definition);

    // Assess
    expect(graph.startAt).toBe('Reserve');
    expect(graph.edges).toEqual([
      { from: 'Reserve', to: 'Check', kind: 'next' },
      { from: 'Reserve', to: 'Release', kind: 'catch', label: 'OutOfStock' },
      { from: 'Check', to: 'Done', kind: 'choice' },
      { from: 'Check', to: 'Release', kind: 'default' },
      { from: 'Release', to: 'Cancelled', kind: 'next' },
      { from: 'Undo', to: 'Cancelled', kind: 'next' },
    ]);
    // Release is also the Choice's Default, so a path reaches it without a Catch; Undo is reached by nothing at all.
    expect(graph.states.filter((state) => state.compensation).map((state) => state.name)).toEqual(['Undo']);
  });

  it('marks a state reached only through a Catch as compensation', () => {
    // Act
    const graph = graphOf(JSON.stringify({ StartAt: 'Charge', States: { Charge: { Type: 'Task', End: true, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Refund' }] }, Refund: { Type: 'Task', End: true } } }));

    // Assess
    expect(graph.states).toEqual([
      { name: 'Charge', type: 'Task', compensation: false },
      { name: 'Refund', type: 'Task', compensation: true },
    ]);
  });
});

describe('redact', () => {
  it('hides payment tokens, addresses and card-like numbers at any depth, JSON inside strings included', () => {
    // Prepare
    const value = {
      orderId: 'o-1',
      paymentToken: 'tok_visa',
      'paymentToken.$': '$.data.paymentToken',
      data: { shippingAddress: { line1: '1 Main St' }, items: [{ productId: 'p-1', quantity: 4242 }], note: '4242 4242 4242 4242' },
      Payload: JSON.stringify({ address: { city: 'Springfield' }, amount: 1200 }),
      Cause: 'not json {',
    };

    // Act
    const redacted = redact(value);

    // Assess
    expect(redacted).toEqual({
      orderId: 'o-1',
      paymentToken: REDACTED,
      'paymentToken.$': REDACTED,
      data: { shippingAddress: REDACTED, items: [{ productId: 'p-1', quantity: 4242 }], note: REDACTED },
      Payload: JSON.stringify({ address: REDACTED, amount: 1200 }),
      Cause: 'not json {',
    });
  });
});
