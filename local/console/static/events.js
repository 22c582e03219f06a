// The console's Events view: a timeline of the events on each bus, newest first, with the rules
// each matched and what each rule's target got (delivered, retried, dead-lettered); a click on an
// event shows it as the bus received it, redacted. Filters (bus, correlation id) are in the URL
// (#events?bus=…&correlationId=…). Loaded after activity-views.js and before console.js, whose helpers
// (element, $) it uses once the page runs. Every value goes into the page as text, never as HTML.
'use strict';

(() => {
  const { clockTime, label, syncOptions } = window.activityViews;
  const view = { params: new URLSearchParams(), text: '', selected: undefined, detailText: '', generation: 0 };
  const OUTCOME_MARK = { pending: '…', delivered: '✓', retrying: '↻', 'dead-lettered': '✗', dropped: '✗' };
  const navigate = (changes) => window.activityViews.navigate('events', view.params, changes);

  /** What one target got, in a few words. */
  const describeTarget = (target) => {
    const retries = target.attempts > 1 ? ` after ${target.attempts} attempts` : '';
    switch (target.outcome) {
      case 'pending':
        return 'in flight';
      case 'delivered':
        return target.consumerDeadLetter
          ? `delivered${retries}; its consumer failed ${target.consumerDeadLetter.receives}× and the queue moved it to ${label(target.consumerDeadLetter.queueArn)}`
          : `delivered${retries}`;
      case 'retrying':
        return `retrying (attempt ${target.attempts} failed: ${target.errors.at(-1) ?? ''})`;
      case 'dead-lettered':
        return `sent to dead-letter queue ${label(target.deadLetterArn)}${retries}`;
      default:
        return `dropped: ${target.reason ?? ''}`;
    }
  };

  /** A link to the Dead-letters view that scrolls to the queue. */
  const deadLetterLink = (queueArn, text) => {
    const name = queueArn.split(':').pop();
    const link = element('a', { class: 'dlq-link', href: '#dead-letters', title: `${name}: see it, and send its messages back, in Dead letters` }, text);
    link.addEventListener('click', (event) => {
      event.stopPropagation();
      setTimeout(() => document.querySelector(`section.dlq[data-queue="${CSS.escape(name)}"]`)?.scrollIntoView({ block: 'start' }), 0);
    });
    return link;
  };

  /** The target as a coloured tag with its mark, and a link to its dead letter when it has one (the queue named in full when `long`). */
  const renderTarget = (target, long = false) => {
    const outcome = target.consumerDeadLetter ? 'dead-lettered' : target.outcome;
    const span = element(
      'span',
      { class: `target outcome-${outcome}`, 'data-target': target.targetArn, 'data-outcome': outcome, title: `${target.targetArn}${target.duplicate ? ' (injected duplicate)' : ''}: ${describeTarget(target)}` },
      `${label(target.targetArn)} ${OUTCOME_MARK[outcome] ?? ''}${target.attempts > 1 ? ` ${target.attempts}×` : ''}${target.duplicate ? ' (dup)' : ''}`,
    );
    const dlq = target.deadLetterArn ?? target.consumerDeadLetter?.queueArn;
    return dlq ? [span, deadLetterLink(dlq, long ? `dead letters: ${label(dlq)}` : 'dead letters')] : [span];
  };

  const renderDeliveries = (event) => {
    if (event.rules.length === 0) return [element('span', { class: 'muted' }, 'no rule matched')];
    return event.rules.map((rule) =>
      element('div', { class: 'rule', 'data-rule': rule }, element('span', { class: 'rule-name', title: rule }, `${label(rule)} →`), ...event.targets.filter((target) => target.rule === rule).flatMap(renderTarget)),
    );
  };

  const renderTimeline = (answer) => {
    const bus = view.params.get('bus');
    const correlationId = view.params.get('correlationId');
    syncOptions($('#events-bus'), [{ value: '', text: 'every bus' }, ...answer.buses.map((known) => ({ value: known.name, text: `${known.name} (${known.events})` }))], bus ?? '');
    const where = `${bus ? ` on ${bus}` : ''}${correlationId ? ` of correlation id ${correlationId}` : ''}`;
    const shown = answer.events.length < answer.matched ? `The newest ${answer.events.length} of ` : '';
    $('#events-caption').textContent =
      answer.matched === 0
        ? `No events${where} yet.`
        : `${shown}${answer.matched.toLocaleString('en')} event${answer.matched === 1 ? '' : 's'}${where}, newest first (the newest ${answer.bound.toLocaleString('en')} are kept; ${answer.received.toLocaleString('en')} seen so far).`;
    $('#events-timeline tbody').replaceChildren(
      ...answer.events.map((event) => {
        const selected = view.selected && view.selected.bus === event.bus && view.selected.id === event.eventId;
        const row = element(
          'tr',
          { 'data-event-id': event.eventId, 'data-bus': event.bus, 'data-detail-type': event.detailType, 'data-status': event.status, class: selected ? 'selected' : '' },
          element('td', { class: 'time' }, clockTime(event.at)),
          element(
            'td',
            { class: 'event', title: `event ${event.eventId} on ${event.bus}` },
            element('div', { class: 'detail-type' }, event.detailType),
            element('div', { class: 'muted small' }, element('span', { class: 'source' }, event.scheduledBy ? `${event.source} (${label(event.scheduledBy)})` : event.source), ` · ${label(event.bus)} · ${event.eventId.slice(0, 8)}`),
          ),
          element(
            'td',
            { class: 'correlation', title: event.correlationId ?? '' },
            event.correlationId ? `${event.correlationId.slice(0, 12)} ` : '',
            event.correlationId ? element('a', { class: 'logs-link', href: `#functions?correlationId=${encodeURIComponent(event.correlationId)}` }, 'logs') : '',
          ),
          element('td', { class: 'deliveries' }, ...renderDeliveries(event)),
          element('td', { class: `status event-${event.status.replace(' ', '-')}` }, event.status),
        );
        row.addEventListener('click', () => selectEvent(event.bus, event.eventId));
        for (const link of row.querySelectorAll('a.logs-link')) link.addEventListener('click', (click) => click.stopPropagation());
        return row;
      }),
    );
  };

  const selectEvent = async (bus, id) => {
    view.selected = { bus, id };
    view.detailText = '';
    for (const row of document.querySelectorAll('#events-timeline tbody tr')) row.classList.toggle('selected', row.dataset.bus === bus && row.dataset.eventId === id);
    await refreshDetail();
  };

  const refreshDetail = async () => {
    const panel = $('#event-detail');
    if (!view.selected) {
      panel.hidden = true;
      return;
    }
    const response = await fetch(`/api/event?bus=${encodeURIComponent(view.selected.bus)}&id=${encodeURIComponent(view.selected.id)}`);
    const text = await response.text();
    if (text === view.detailText) return;
    view.detailText = text;
    const answer = JSON.parse(text);
    panel.hidden = false;
    if (!response.ok) {
      panel.replaceChildren(element('p', { class: 'outcome' }, answer.error));
      return;
    }
    const rows = answer.targets.map((target) =>
      element(
        'tr',
        { 'data-target': target.targetArn, 'data-outcome': target.consumerDeadLetter ? 'dead-lettered' : target.outcome },
        element('td', { title: target.rule }, label(target.rule)),
        element('td', { title: target.targetArn }, `${label(target.targetArn)}${target.duplicate ? ' (injected duplicate)' : ''}`),
        element(
          'td',
          { class: `outcome-${target.outcome}` },
          describeTarget(target),
          ...(target.errors.length > 0 ? [element('div', { class: 'errors' }, target.errors.join('\n'))] : []),
          ...renderTarget(target, true).slice(1).map((link) => element('div', {}, link)),
        ),
      ),
    );
    panel.replaceChildren(
      element('h3', {}, `${answer.detailType} · ${answer.source} · ${answer.bus}`),
      element('p', { class: 'outcome' }, `event ${answer.eventId} · ${answer.status}${answer.correlationId ? ` · correlation id ${answer.correlationId}` : ''}`),
      answer.targets.length > 0
        ? element('table', { class: 'targets' }, element('thead', {}, element('tr', {}, element('th', {}, 'rule'), element('th', {}, 'target'), element('th', {}, 'what it got'))), element('tbody', {}, ...rows))
        : element('p', {}, 'No rule matched it.'),
      element('p', {}, 'the event (payment tokens, addresses and card-like numbers redacted)'),
      element('pre', { class: 'event-json' }, answer.event ? JSON.stringify(answer.event, null, 2) : '(not kept)'),
    );
  };

  const refresh = async () => {
    const generation = ++view.generation;
    const query = new URLSearchParams();
    for (const key of ['bus', 'correlationId']) if (view.params.get(key)) query.set(key, view.params.get(key));
    const response = await fetch(`/api/events?${query}`);
    const text = await response.text();
    if (generation !== view.generation) return;
    if (text !== view.text) {
      view.text = text;
      if (response.ok) renderTimeline(JSON.parse(text));
      else {
        $('#events-caption').textContent = `No events: ${JSON.parse(text).error}`;
        $('#events-timeline tbody').replaceChildren();
      }
    }
    await refreshDetail();
  };

  const open = async (params) => {
    // Other filters than the events shown: those go at once, so they never pass for the new filter's while it loads.
    if (view.params.toString() !== params.toString()) {
      $('#events-timeline tbody').replaceChildren();
      $('#events-caption').textContent = 'Loading events…';
    }
    view.params = params;
    view.text = '';
    document.querySelector('#events-correlation').value = params.get('correlationId') ?? '';
    await refresh();
  };

  document.querySelector('#events-bus').addEventListener('change', (event) => navigate({ bus: event.target.value }));
  document.querySelector('#events-correlation').addEventListener('change', (event) => navigate({ correlationId: event.target.value.trim() }));
  document.querySelector('#events-clear').addEventListener('click', () => navigate({ bus: '', correlationId: '' }));

  window.consoleViews ??= {};
  window.consoleViews.events = { open, refresh };
})();
