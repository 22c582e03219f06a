// The console's Faults-and-cost view: the faults the local cloud applies right now, and what this run would cost
// on AWS so far (the cost meter priced by the bill's own code). Uses console.js's helpers ($, element, getJson) and
// registers its refresh in the console's views; everything from the API goes into the page as text.
'use strict';

{
  const view = { faultsText: '', costText: '' };

  const percent = (rate) => (rate > 0 ? `${Number((rate * 100).toFixed(2))} %` : '—');
  /** Dollars to three significant digits, never in exponent notation ($0.000000750). */
  const usd = (amount) => {
    if (amount === 0) return '$0';
    if (amount >= 100) return `$${amount.toFixed(0)}`;
    return `$${amount.toFixed(Math.min(12, 2 - Math.floor(Math.log10(amount))))}`;
  };

  const FAULT_STATES = {
    none: () => 'No faults: this run breaks nothing on purpose (npm start -- --faults FILE injects some).',
    configured: (faults) => `${faults.file ? `From ${faults.file}` : 'Given at start-up'}, seed ${faults.seed} (repeat the draws with --fault-seed ${faults.seed}).`,
    overridden: () => 'Overridden: withFaults put other function and DynamoDB faults in force while its work runs.',
    paused: () => 'Paused: every fault is off while the local cloud does its own work (the demo seeding, withoutFaults).',
  };

  const renderFaults = (faults) => {
    $('#faults-panel').dataset.state = faults.state;
    $('#faults-summary').textContent = `${FAULT_STATES[faults.state](faults)}${faults.state === 'none' ? ` Seed ${faults.seed}.` : ''}`;
    const table = $('#function-faults');
    table.hidden = faults.functions.length === 0;
    table.querySelector('tbody').replaceChildren(
      ...faults.functions.map((entry) => {
        const outage = entry.outage ? `down ${entry.outage.forMs} ms every ${entry.outage.everyMs} ms${entry.downNow.length > 0 ? ' · DOWN NOW' : ''}` : '—';
        return element(
          'tr',
          { 'data-pattern': entry.pattern, class: entry.downNow.length > 0 ? 'down' : '' },
          element('td', {}, entry.pattern),
          element('td', { class: 'name' }, entry.functions.length > 0 ? entry.functions.join(', ') : 'no function'),
          element('td', { class: 'rate' }, percent(entry.errorRate)),
          element('td', { class: 'rate' }, entry.latencyRate > 0 ? `${percent(entry.latencyRate)} (+${entry.latencyMs} ms)` : '—'),
          element('td', { class: 'rate' }, percent(entry.timeoutRate)),
          element('td', { class: 'rate' }, percent(entry.crashRate)),
          element('td', {}, outage),
        );
      }),
    );
    const { deliveries, dynamodb } = faults;
    const others = [
      [deliveries.eventBridgeDuplicateRate, `event-bus targets: each delivery made twice at ${percent(deliveries.eventBridgeDuplicateRate)}`],
      [deliveries.pipesDuplicateRate, `pipes: each element put on the bus twice at ${percent(deliveries.pipesDuplicateRate)}`],
      [deliveries.expressDuplicateStartRate, `Express executions: started twice at ${percent(deliveries.expressDuplicateStartRate)}`],
      [dynamodb.transactionConflictRate, `DynamoDB: transaction conflicts at ${percent(dynamodb.transactionConflictRate)}`],
      [dynamodb.throttleRate, `DynamoDB: throttling at ${percent(dynamodb.throttleRate)}`],
      [dynamodb.indexLagRate, `DynamoDB: index reads ${dynamodb.indexLagMs} ms behind at ${percent(dynamodb.indexLagRate)}`],
    ].filter(([rate]) => rate > 0);
    $('#other-faults').replaceChildren(...others.map(([, text]) => element('li', {}, text)));
  };

  const renderCost = (cost) => {
    $('#cost-summary').textContent =
      cost.orders > 0
        ? `${usd(cost.perMillion)} per million orders: ${cost.orders} order${cost.orders === 1 ? '' : 's'} so far (order saga executions), everything the run did included (demo data, cold starts, faults and their retries).`
        : `No orders yet: what the run did so far would cost ${usd(cost.totalUsd)} on AWS. Place an order to see the cost per million orders.`;
    $('#cost-lines tbody').replaceChildren(
      ...cost.lines.map((line) =>
        element(
          'tr',
          { 'data-component': line.component },
          element('td', {}, line.component),
          element('td', { class: 'money' }, line.perMillion === undefined ? '—' : usd(line.perMillion)),
          element('td', { class: 'money' }, usd(line.usd)),
          element('td', { class: 'name' }, line.detail),
        ),
      ),
    );
    $('#cost-lines tfoot').replaceChildren(
      element('tr', { class: 'total' }, element('td', {}, 'total'), element('td', { class: 'money' }, cost.perMillion === undefined ? '—' : usd(cost.perMillion)), element('td', { class: 'money' }, usd(cost.totalUsd)), element('td', {}, '')),
    );
    $('#cost-prices').textContent = `Prices: ${cost.prices} (local/cost/prices.ts). npm start prints the same bill on Ctrl-C.`;
  };

  views['faults-cost'] = {
    refresh: async () => {
      const [faults, cost] = await Promise.all([getJson('/api/faults'), getJson('/api/cost')]);
      if (faults.text !== view.faultsText) {
        view.faultsText = faults.text;
        renderFaults(faults.json);
      }
      if (cost.text !== view.costText) {
        view.costText = cost.text;
        renderCost(cost.json);
      }
    },
  };
}
