// What the Functions and Events views (functions.js, events.js) share: their clock, the names they
// show, their filter boxes and the URL that holds the filters. Loaded before both.
'use strict';

window.activityViews = {
  /** `08:28:14.354`: log lines and events are milliseconds apart. */
  clockTime: (epochMs) => {
    const date = new Date(epochMs);
    return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  },

  /** A resource's name from its ARN (or name), without CDK's hash suffix: `OrdersApi`, `EventsOrderStatusQueue`. */
  label: (nameOrArn) => {
    const name = nameOrArn.split(/[:/]/).pop() || nameOrArn;
    return name.replace(/[0-9A-F]{8}$/, '') || name;
  },

  /**
   * Sets a select's options ({value, text}) and its value. The options are replaced only when their
   * values change, so a poll does not close a list a person has open.
   */
  syncOptions: (select, options, value) => {
    const same = select.options.length === options.length && options.every((option, i) => select.options[i].value === option.value);
    if (same) options.forEach((option, i) => (select.options[i].textContent = option.text));
    else select.replaceChildren(...options.map((option) => Object.assign(document.createElement('option'), { value: option.value, textContent: option.text })));
    select.value = value;
  },

  /** Puts a view's filters in the URL (`#view?key=value`, empty values left out); the hashchange that follows opens the view with them. */
  navigate: (view, params, changes) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const query = next.toString();
    location.hash = `${view}${query ? `?${query}` : ''}`;
  },
};
