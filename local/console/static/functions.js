// The console's Functions view: each function's invocations, cold starts, errors, throttles and
// durations, and the log pane — the newest log lines, filtered by correlation id and function, the
// filters in the URL (#functions?correlationId=…&function=…) so a link to an order's logs can be
// shared and reloaded. Loaded after activity-views.js and before console.js, whose helpers (element,
// $, getJson) it uses once the page runs. Every value goes into the page as text, never as HTML.
'use strict';

(() => {
  const { clockTime, label: functionLabel, syncOptions } = window.activityViews;
  const view = { params: new URLSearchParams(), functionsText: '', logsText: '', expanded: new Set(), generation: 0 };

  const formatMs = (ms) => (ms === undefined ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);
  const plural = (count, word) => `${count.toLocaleString('en')} ${word}${count === 1 ? '' : 's'}`;
  const navigate = (changes) => window.activityViews.navigate('functions', view.params, changes);

  const renderFunctions = ({ bounds, functions }) => {
    const invoked = functions.filter((fn) => fn.invocations > 0).length;
    $('#functions-caption').textContent =
      `${plural(functions.length, 'function')}, ${invoked} invoked. Counts since the local cloud started; p50 and p99 over each function's share of the newest ` +
      `${bounds.invocations.toLocaleString('en')} invocations recorded. Click a function to see its log lines.`;
    const selected = view.params.get('function');
    $('#functions-table tbody').replaceChildren(
      ...functions.map((fn) => {
        const row = element(
          'tr',
          { 'data-function': fn.name, class: `${fn.invocations === 0 ? 'idle' : ''}${fn.name === selected ? ' selected' : ''}` },
          element('td', { class: 'name', title: fn.name }, functionLabel(fn.name)),
          element('td', { class: 'invocations num' }, String(fn.invocations)),
          element('td', { class: 'cold-starts num' }, String(fn.coldStarts)),
          element('td', { class: `errors num${fn.errors > 0 ? ' bad' : ''}`, title: fn.lastError ? `newest: ${fn.lastError}` : '' }, String(fn.errors)),
          element('td', { class: `throttles num${fn.throttles > 0 ? ' bad' : ''}` }, String(fn.throttles)),
          element('td', { class: 'async num', title: 'asynchronous retries / events given up (dead-lettered or dropped)' }, fn.asyncRetries + fn.asyncFailures > 0 ? `${fn.asyncRetries} / ${fn.asyncFailures}` : ''),
          element('td', { class: 'p50 num' }, formatMs(fn.p50Ms)),
          element('td', { class: 'p99 num' }, formatMs(fn.p99Ms)),
          element('td', { class: 'last' }, fn.lastInvokedAt ? clockTime(fn.lastInvokedAt) : ''),
        );
        row.addEventListener('click', () => navigate({ function: fn.name === selected ? '' : fn.name }));
        return row;
      }),
    );
    syncOptions($('#log-function'), [{ value: '', text: 'every function' }, ...functions.map((fn) => ({ value: fn.name, text: functionLabel(fn.name) }))], selected ?? '');
  };

  const renderLogs = (answer) => {
    const correlationId = view.params.get('correlationId');
    const fn = view.params.get('function');
    const functionsSeen = new Set(answer.lines.map((line) => line.functionName)).size;
    const what = [correlationId ? `of correlation id ${correlationId}` : '', fn ? `of ${functionLabel(fn)}` : ''].filter(Boolean).join(' ');
    const shown = answer.lines.length < answer.matched ? `the newest ${answer.lines.length} of ` : '';
    $('#logs-caption').textContent =
      answer.matched === 0
        ? `No log lines ${what || 'yet'} among the ${answer.kept.toLocaleString('en')} kept.`
        : `${shown}${plural(answer.matched, 'log line')} ${what}${functionsSeen > 1 ? ` from ${functionsSeen} functions` : ''}, newest first ` +
          `(the newest ${answer.bound.toLocaleString('en')} lines are kept; ${answer.received.toLocaleString('en')} received so far).`;
    $('#logs tbody').replaceChildren(...answer.lines.flatMap(renderLine));
  };

  const lineKey = (line) => `${line.at}|${line.functionName}|${line.message}`;

  const renderLine = (line) => {
    const key = lineKey(line);
    const row = element(
      'tr',
      { class: `level-${line.level ?? 'NONE'}${line.platform ? ' platform' : ''}`, 'data-function': line.functionName, 'data-correlation-id': line.correlationId ?? '', 'data-request-id': line.requestId ?? '' },
      element('td', { class: 'time' }, clockTime(line.at)),
      element('td', { class: 'function', title: line.functionName }, functionLabel(line.functionName)),
      element('td', { class: 'request', title: line.requestId ?? '' }, line.requestId ? line.requestId.slice(0, 8) : ''),
      element('td', { class: 'level' }, line.level ?? ''),
      element('td', { class: 'message' }, line.message),
    );
    if (line.fields === undefined) return [row];
    row.title = 'click for the whole line';
    row.addEventListener('click', () => {
      if (view.expanded.has(key)) view.expanded.delete(key);
      else view.expanded.add(key);
      view.logsText = '';
      void refresh();
    });
    if (!view.expanded.has(key)) return [row];
    row.classList.add('expanded');
    return [row, element('tr', { class: 'fields' }, element('td', { colSpan: 5 }, element('pre', {}, JSON.stringify(line.fields, null, 2))))];
  };

  const refresh = async () => {
    const generation = ++view.generation;
    const query = new URLSearchParams();
    for (const key of ['correlationId', 'function']) if (view.params.get(key)) query.set(key, view.params.get(key));
    const [functions, logs] = await Promise.all([getJson('/api/functions'), fetch(`/api/logs?${query}`).then(async (response) => ({ ok: response.ok, text: await response.text() }))]);
    if (generation !== view.generation) return;
    if (functions.text !== view.functionsText) {
      view.functionsText = functions.text;
      renderFunctions(functions.json);
    }
    if (logs.text === view.logsText) return;
    view.logsText = logs.text;
    if (logs.ok) renderLogs(JSON.parse(logs.text));
    else {
      $('#logs-caption').textContent = `No log lines: ${JSON.parse(logs.text).error}`;
      $('#logs tbody').replaceChildren();
    }
  };

  const open = async (params) => {
    // Other filters than the lines shown: those lines go at once, so they never pass for the new filter's while it loads.
    if (view.params.toString() !== params.toString()) {
      $('#logs tbody').replaceChildren();
      $('#logs-caption').textContent = 'Loading log lines…';
    }
    view.params = params;
    view.functionsText = '';
    view.logsText = '';
    const correlationId = params.get('correlationId') ?? '';
    $('#log-correlation').value = correlationId;
    const events = $('#log-events-link');
    events.hidden = !correlationId;
    events.href = `#events?correlationId=${encodeURIComponent(correlationId)}`;
    await refresh();
  };

  document.querySelector('#log-correlation').addEventListener('change', (event) => navigate({ correlationId: event.target.value.trim() }));
  document.querySelector('#log-function').addEventListener('change', (event) => navigate({ function: event.target.value }));
  document.querySelector('#log-clear').addEventListener('click', () => navigate({ correlationId: '', function: '' }));

  window.consoleViews ??= {};
  window.consoleViews.functions = { open, refresh };
})();
