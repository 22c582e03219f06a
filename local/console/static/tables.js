// The console's Tables view: the template's tables and indexes, and a read-only browser of their items, a page at a time
// (a Scan, or a Query for one partition key value). Uses console.js's helpers ($, element, getJson) and registers
// its refresh in the console's views; everything from the API goes into the page as text.
'use strict';

{
  const view = { listText: '', pageText: '', chosen: undefined, key: undefined, cursor: undefined, page: 1, next: undefined, asked: 0 };

  const chosenLabel = () => (view.chosen.index ? `${view.chosen.label} · index ${view.chosen.index}` : view.chosen.label);
  const keyText = (keys) => `${keys.partitionKey}${keys.sortKey ? ` + ${keys.sortKey}` : ''}`;

  const renderList = (tables) => {
    const items = tables.reduce((sum, table) => sum + table.itemCount, 0);
    $('#tables-caption').textContent = `${tables.length} table${tables.length === 1 ? '' : 's'} of the template, ${items} item${items === 1 ? '' : 's'} in all.`;
    const rows = tables.flatMap((table) => {
      const label = table.logicalId.replace(/[0-9A-F]{8}$/, '');
      const onClick = (index) => () => select({ table: table.logicalId, label, index, partitionKey: index ? index.partitionKey : table.partitionKey });
      const tableRow = element(
        'tr',
        { class: 'table-row', 'data-table': table.logicalId, title: `${table.tableName}${table.stream ? ` · stream ${table.stream}` : ''}` },
        element('td', { class: 'name' }, label),
        element('td', { class: 'count' }, String(table.itemCount)),
        element('td', {}, keyText(table)),
      );
      tableRow.addEventListener('click', onClick(undefined));
      const indexRows = table.indexes.map((index) => {
        const row = element(
          'tr',
          { class: 'index-row', 'data-table': table.logicalId, 'data-index': index.name, title: `projection ${index.projection}` },
          element('td', { class: 'name' }, `↳ ${index.name}`),
          element('td', { class: 'count' }, String(index.itemCount)),
          element('td', {}, keyText(index)),
        );
        row.addEventListener('click', onClick(index));
        return row;
      });
      return [tableRow, ...indexRows];
    });
    $('#tables-list tbody').replaceChildren(...rows);
    markChosen();
  };

  const markChosen = () => {
    for (const row of document.querySelectorAll('#tables-list tbody tr')) {
      const chosen = view.chosen && row.dataset.table === view.chosen.table && (row.dataset.index ?? '') === (view.chosen.index ?? '');
      row.classList.toggle('selected', Boolean(chosen));
    }
  };

  /** A table or index chosen in the list: its first page, scanned. */
  const select = (chosen) => {
    view.chosen = { table: chosen.table, label: chosen.label, index: chosen.index ? chosen.index.name : undefined, partitionKey: chosen.partitionKey };
    view.key = undefined;
    $('#key-value').value = '';
    $('#key-name').textContent = chosen.partitionKey;
    $('#key-lookup').hidden = false;
    markChosen();
    void firstPage();
  };

  const firstPage = async () => {
    view.cursor = undefined;
    view.page = 1;
    view.pageText = '';
    await loadPage();
  };

  const loadPage = async () => {
    if (!view.chosen) return;
    const query = new URLSearchParams({ table: view.chosen.table });
    if (view.chosen.index) query.set('index', view.chosen.index);
    if (view.key !== undefined) query.set('key', view.key);
    if (view.cursor) query.set('cursor', view.cursor);
    const notice = $('#items-notice');
    // Only the answer to the latest question is shown: a poll's answer for the page before a click is dropped.
    const asked = (view.asked += 1);
    let page;
    try {
      page = await getJson(`/api/table-items?${query}`);
    } catch (error) {
      if (asked !== view.asked) return;
      notice.textContent = error.message;
      notice.hidden = false;
      return;
    }
    if (asked !== view.asked) return;
    notice.hidden = true;
    if (page.text === view.pageText) return;
    view.pageText = page.text;
    renderPage(page.json);
  };

  const renderPage = (page) => {
    view.next = page.next;
    const how = page.key !== undefined ? `Query ${view.chosen.partitionKey} = ${page.key}` : 'Scan';
    const shown = page.items.length === 0 ? 'no items' : `items ${(view.page - 1) * page.limit + 1}–${(view.page - 1) * page.limit + page.items.length}`;
    $('#items-header').textContent = `${chosenLabel()} · ${how} · page ${view.page}: ${shown}${page.next ? '' : ' (last page)'}`;
    $('#items').replaceChildren(
      ...page.items.map((item) => {
        const key = page.keyAttributes.filter((name) => item[name] !== undefined).map((name) => `${name} = ${typeof item[name] === 'string' ? item[name] : JSON.stringify(item[name])}`);
        return element('div', { class: 'item', 'data-key': key.join(' · ') }, element('div', { class: 'item-key' }, key.join(' · ')), element('pre', { class: 'item-json' }, JSON.stringify(item, null, 2)));
      }),
    );
    document.querySelector('#tables .pager').hidden = false;
    $('#next-page').disabled = !page.next;
    $('#first-page').disabled = view.page === 1;
  };

  $('#next-page').addEventListener('click', () => {
    if (!view.next) return;
    view.cursor = view.next;
    view.page += 1;
    void loadPage();
  });
  $('#first-page').addEventListener('click', () => void firstPage());
  $('#key-lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('#key-value').value;
    view.key = value === '' ? undefined : value;
    void firstPage();
  });
  $('#key-scan').addEventListener('click', () => {
    $('#key-value').value = '';
    view.key = undefined;
    void firstPage();
  });

  views.tables = {
    // The list's counts, and the page on screen, as they are now.
    refresh: async () => {
      const list = await getJson('/api/tables');
      if (list.text !== view.listText) {
        view.listText = list.text;
        renderList(list.json);
      }
      await loadPage();
    },
  };
}
