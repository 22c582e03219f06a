// The local console's page: plain browser JavaScript, no build step. It polls
// the console's JSON API once a second and redraws what changed. Every value
// from the API goes into the page as text (textContent), never as HTML.
/* global dagre */
'use strict';

const POLL_MS = 1000;
const SVG = 'http://www.w3.org/2000/svg';

const state = { view: 'sagas', executionsText: '', deadLettersText: '', selectedArn: undefined, selectedState: undefined, detail: undefined };

const $ = (selector) => document.querySelector(selector);
/**
 * Views other scripts add (functions.js, events.js, tables.js, ops.js), by section id:
 * `refresh()` runs with each poll while the view is shown, `open(params)` (if it has one) when it is shown.
 */
const views = (window.consoleViews ??= {});

const element = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
};

const svgElement = (tag, attributes = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
};

const getJson = async (url) => {
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text}`);
  return { text, json: JSON.parse(text) };
};

const formatDuration = (ms) => (ms === undefined ? '…' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const formatTime = (epochMs) => new Date(epochMs).toLocaleTimeString();
/** A state machine's logical id without CDK's hash suffix and the word StateMachine: `OrderSaga`. */
const machineLabel = (name) => name.replace(/[0-9A-F]{8}$/, '').replace(/StateMachine$/, '') || name;

// ---- Orders and sagas --------------------------------------------------------------------------

const renderExecutions = (machines) => {
  const rows = machines.flatMap((machine) => machine.executions.map((execution) => ({ machine, execution }))).sort((a, b) => b.execution.startDate - a.execution.startDate);
  const total = machines.reduce((sum, machine) => sum + machine.total, 0);
  const express = machines.filter((machine) => machine.type === 'EXPRESS').map((machine) => machineLabel(machine.name));
  const expressNote =
    express.length > 0 ? ` Express (${express.join(', ')}): AWS keeps none of their executions; the local cloud remembers the newest 200 of each for this page.` : '';
  $('#executions-caption').textContent =
    total === 0 ? `No executions yet: place an order.${expressNote}` : `${rows.length === total ? `${total}` : `Newest ${rows.length} of ${total}`} execution${total === 1 ? '' : 's'}, newest first.${expressNote}`;
  const body = $('#executions tbody');
  body.replaceChildren(
    ...rows.map(({ machine, execution }) => {
      const row = element(
        'tr',
        { 'data-arn': execution.executionArn, 'data-name': execution.name, 'data-order': execution.orderId ?? '', 'data-status': execution.status, 'data-started': String(execution.startDate), class: execution.reason && execution.status === 'SUCCEEDED' ? 'compensated' : '' },
        element('td', { class: `status status-${execution.status}` }, execution.reason && execution.status === 'SUCCEEDED' ? 'COMPENSATED' : execution.status),
        element(
          'td',
          { class: 'name', title: [execution.orderId && execution.orderId !== execution.name ? `execution ${execution.name}` : '', execution.correlationId ? `correlation id ${execution.correlationId}` : ''].filter(Boolean).join(' · ') },
          execution.orderId ?? execution.name,
          execution.correlationId ? element('a', { class: 'logs-link', href: `#functions?correlationId=${encodeURIComponent(execution.correlationId)}`, title: "every function's log lines for this order" }, 'logs') : '',
        ),
        element('td', { title: machine.name }, `${machineLabel(machine.name)}${machine.type === 'EXPRESS' ? ' (Express)' : ''}`),
        element('td', {}, formatTime(execution.startDate)),
        element('td', {}, formatDuration(execution.durationMs)),
        element('td', { class: 'reason' }, execution.reason ?? ''),
      );
      if (execution.executionArn === state.selectedArn) row.classList.add('selected');
      row.addEventListener('click', () => selectExecution(execution.executionArn));
      return row;
    }),
  );
};

const selectExecution = async (arn) => {
  if (state.selectedArn !== arn) state.selectedState = undefined;
  state.selectedArn = arn;
  for (const row of document.querySelectorAll('#executions tbody tr')) row.classList.toggle('selected', row.dataset.arn === arn);
  await refreshDetail();
};

const refreshDetail = async () => {
  if (!state.selectedArn) return;
  const { json } = await getJson(`/api/execution?arn=${encodeURIComponent(state.selectedArn)}`);
  state.detail = json;
  renderDetail(json);
};

const renderDetail = (detail) => {
  const title = detail.orderId && detail.orderId !== detail.name ? `${detail.orderId} (execution ${detail.name})` : detail.name;
  $('#execution-header').textContent = `${title} · ${detail.status}${detail.reason ? ` · ${detail.reason}` : ''} · ${formatDuration(detail.durationMs)}`;
  const note = $('#execution-note');
  note.hidden = !detail.express;
  if (detail.express) {
    const { logLevel, includeExecutionData, logRecords } = detail.express;
    const logs = logLevel === 'OFF' ? 'it writes no execution logs' : `its execution logs (level ${logLevel}, ${includeExecutionData ? 'with' : 'without'} execution data) hold ${logRecords} record${logRecords === 1 ? '' : 's'} of this execution`;
    note.textContent = `Express: AWS keeps no history of this execution, so on AWS ${logs}. The path below is the local cloud's own record.`;
  }
  drawGraph(detail);
  renderStateDetail();
};

/** The state machine as a graph laid out by dagre, the execution's path drawn over it. */
const drawGraph = (detail) => {
  const svg = $('#graph');
  const runs = new Map(detail.states.map((run) => [run.name, run]));
  const taken = new Set(detail.path.slice(1).map((to, i) => `${detail.path[i]}→${to}`));
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of detail.graph.states) graph.setNode(node.name, { width: Math.max(90, node.name.length * 7.4 + 24), height: 32, node });
  detail.graph.edges.forEach((edge, i) => graph.setEdge(edge.from, edge.to, { edge }, `e${i}`));
  dagre.layout(graph);
  const { width, height } = graph.graph();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const defs = svgElement('defs');
  const marker = svgElement('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
  marker.append(svgElement('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8c959f' }));
  defs.append(marker);
  const edges = svgElement('g', { class: 'edges' });
  const compensation = new Set(detail.graph.states.filter((node) => node.compensation).map((node) => node.name));
  for (const id of graph.edges()) {
    const { edge, points } = graph.edge(id);
    const d = points.map((point, i) => `${i === 0 ? 'M' : 'L'} ${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
    const classes = ['edge', edge.kind];
    if (taken.has(`${edge.from}→${edge.to}`)) classes.push('taken');
    if (compensation.has(edge.to)) classes.push('to-compensation');
    const path = svgElement('path', { d, class: classes.join(' '), 'data-from': edge.from, 'data-to': edge.to });
    if (edge.label) path.append(Object.assign(svgElement('title'), { textContent: `Catch ${edge.label}` }));
    edges.append(path);
  }
  const nodes = svgElement('g', { class: 'states' });
  for (const name of graph.nodes()) {
    const { x, y, width: w, height: h, node } = graph.node(name);
    const run = runs.get(name);
    const classes = ['state', node.compensation ? 'compensation' : 'happy'];
    if (run) classes.push('visited', run.outcome);
    if (name === state.selectedState) classes.push('selected');
    const group = svgElement('g', { class: classes.join(' '), 'data-state': name, transform: `translate(${(x - w / 2).toFixed(1)} ${(y - h / 2).toFixed(1)})` });
    group.append(svgElement('rect', { width: w, height: h }));
    const label = svgElement('text', { x: w / 2, y: h / 2 });
    const marks = run ? `${run.outcome === 'failed' || run.outcome === 'caught' ? ' ✗' : ''}${run.retries.length > 0 ? ` ↻${run.retries.length}` : ''}` : '';
    label.textContent = `${name}${marks}`;
    group.append(label);
    group.append(Object.assign(svgElement('title'), { textContent: `${node.type}${node.compensation ? ' · compensation' : ''}${run ? ` · ${run.outcome}` : ' · not taken'}` }));
    group.addEventListener('click', () => {
      state.selectedState = name;
      for (const other of document.querySelectorAll('g.state')) other.classList.toggle('selected', other.dataset.state === name);
      renderStateDetail();
    });
    nodes.append(group);
  }
  svg.replaceChildren(defs, edges, nodes);
};

const renderStateDetail = () => {
  const panel = $('#state-detail');
  const detail = state.detail;
  if (!detail || !state.selectedState) {
    panel.hidden = true;
    return;
  }
  const run = detail.states.find((candidate) => candidate.name === state.selectedState);
  const node = detail.graph.states.find((candidate) => candidate.name === state.selectedState);
  const parts = [element('h3', {}, `${state.selectedState} (${node ? node.type : 'state'}${node && node.compensation ? ', compensation' : ''})`)];
  if (!run) parts.push(element('p', { class: 'outcome' }, 'Not taken by this execution.'));
  else {
    const retries = run.retries.length > 0 ? `; retried ${run.retries.length}× (${run.retries.join(', ')})` : '';
    parts.push(element('p', { class: 'outcome' }, `${run.outcome}; entered ${run.entered}×${retries}${run.error ? `; error ${run.error}` : ''}`));
    if (run.cause) parts.push(element('p', {}, 'cause'), element('pre', { class: 'cause' }, run.cause));
    if (run.input !== undefined) parts.push(element('p', {}, 'input'), element('pre', { class: 'input' }, JSON.stringify(run.input, null, 2)));
    if (run.output !== undefined) parts.push(element('p', {}, 'output'), element('pre', { class: 'output' }, JSON.stringify(run.output, null, 2)));
  }
  panel.replaceChildren(...parts);
  panel.hidden = false;
};

// ---- Dead letters ------------------------------------------------------------------------------

const renderDeadLetters = (queues) => {
  const waiting = queues.reduce((sum, queue) => sum + queue.messages.length, 0);
  $('#dead-letter-count').textContent = waiting > 0 ? String(waiting) : '';
  const sorted = [...queues].sort((a, b) => b.messages.length - a.messages.length || a.name.localeCompare(b.name));
  $('#dead-letter-queues').replaceChildren(
    ...sorted.map((queue) =>
      element(
        'section',
        { class: `dlq${queue.messages.length === 0 ? ' empty' : ''}`, 'data-queue': queue.name },
        element('h3', {}, `${queue.name} · ${queue.messages.length} message${queue.messages.length === 1 ? '' : 's'}`),
        ...queue.messages.map((message) => renderMessage(queue, message)),
      ),
    ),
  );
};

const renderMessage = (queue, message) => {
  const button = element('button', { type: 'button', class: 'redrive', disabled: !message.redrivable }, message.redrivable ? `Redrive to ${message.redriveTo}` : 'Redrive');
  if (!message.redrivable) button.title = `Cannot be sent back: ${message.notRedrivable ?? 'the console cannot redrive here'}`;
  button.addEventListener('click', () => redrive(queue.arn, message.messageId, button));
  const why = message.redrivable ? '' : element('div', { class: 'not-redrivable' }, `Not redrivable: ${message.notRedrivable ?? 'the console cannot redrive here'}`);
  const attributes = Object.entries(message.attributes).map(([key, value]) => `${key}=${value}`).join('  ');
  return element(
    'div',
    { class: 'message', 'data-message-id': message.messageId },
    element('div', {}, `${message.messageId} · sent ${formatTime(message.sentAt)}${message.sourceQueue ? ` · from ${message.sourceQueue}` : ''} `, button),
    attributes ? element('div', { class: 'attributes' }, attributes) : '',
    why,
    element('pre', { class: 'body' }, JSON.stringify(message.body, null, 2)),
  );
};

const redrive = async (queue, messageId, button) => {
  button.disabled = true;
  const notice = $('#dead-letter-notice');
  const response = await fetch('/api/dead-letters/redrive', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queue, messageId }) });
  const answer = await response.json();
  notice.hidden = false;
  notice.classList.toggle('error', !response.ok);
  notice.textContent = response.ok ? `Message ${answer.redriven} (${answer.what}) sent back to ${answer.to}.` : `Not redriven: ${answer.error}`;
  await poll();
};

// ---- Polling and tabs --------------------------------------------------------------------------

const poll = async () => {
  try {
    const [executions, deadLetters] = await Promise.all([getJson('/api/executions'), getJson('/api/dead-letters')]);
    if (executions.text !== state.executionsText) {
      state.executionsText = executions.text;
      renderExecutions(executions.json);
      if (state.selectedArn) await refreshDetail();
    } else if (state.detail && state.detail.status === 'RUNNING') await refreshDetail();
    if (deadLetters.text !== state.deadLettersText) {
      state.deadLettersText = deadLetters.text;
      renderDeadLetters(deadLetters.json);
    }
    await views[state.view]?.refresh();
    $('#live').classList.remove('stale');
    $('#live').textContent = `live · ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('#live').classList.add('stale');
    $('#live').textContent = `the local cloud does not answer (${error.message})`;
  }
};

const show = (view, params = new URLSearchParams()) => {
  state.view = view;
  for (const tab of document.querySelectorAll('.tab')) tab.classList.toggle('active', tab.dataset.view === view);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== view;
  const shown = views[view];
  if (shown?.open) void shown.open(params);
  else if (shown) void tick();
};

/** `#functions?correlationId=…`: the view and its filters are in the URL, to share and reload. */
const showHash = () => {
  const [view, query = ''] = location.hash.slice(1).split('?');
  if (document.getElementById(view)?.classList.contains('view')) show(view, new URLSearchParams(query));
};
window.addEventListener('hashchange', showHash);
showHash();
for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => (location.hash = tab.dataset.view));
let polling = false;
const tick = async () => {
  if (polling) return;
  polling = true;
  try {
    await poll();
  } finally {
    polling = false;
  }
};
void tick();
setInterval(tick, POLL_MS);
