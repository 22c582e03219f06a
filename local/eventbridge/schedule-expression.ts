/**
 * EventBridge schedule expressions (`ScheduleExpression` of a scheduled
 * rule): `rate(value unit)` and `cron(minutes hours day-of-month month
 * day-of-week year)`, parsed as EventBridge reads them, and the time each
 * fires next, in UTC as EventBridge runs them.
 *
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
 *
 * An expression EventBridge refuses is an {@link InvalidScheduleExpressionError}
 * (AWS answers `Parameter ScheduleExpression is not valid.`); one that AWS
 * may accept but this module does not implement (`LW`, `L-3`, ranges that
 * wrap around, `/` in day-of-week) is an {@link UnsupportedScheduleExpressionError},
 * so nothing is run with a meaning it does not have on AWS.
 */

/** An expression EventBridge refuses (`ValidationException: Parameter ScheduleExpression is not valid.`). */
export class InvalidScheduleExpressionError extends Error {
  public constructor(
    public readonly expression: string,
    public readonly reason: string,
  ) {
    super(`Parameter ScheduleExpression is not valid. (${expression}: ${reason})`);
    this.name = 'InvalidScheduleExpressionError';
  }
}

/** An expression the local cloud does not implement, although EventBridge may accept it. */
export class UnsupportedScheduleExpressionError extends Error {
  public constructor(
    public readonly expression: string,
    public readonly reason: string,
  ) {
    super(`${expression}: ${reason}`);
    this.name = 'UnsupportedScheduleExpressionError';
  }
}

/** A parsed `rate(...)` expression. */
export interface RateSchedule {
  readonly kind: 'rate';
  readonly text: string;
  /** The period, as AWS runs it (before any local scaling). */
  readonly periodMs: number;
}

/** Which days of the month a cron expression names. */
export type DayOfMonthSpec =
  | { readonly kind: 'any' }
  | { readonly kind: 'days'; readonly days: ReadonlySet<number> }
  | { readonly kind: 'last' }
  /** `15W`: the weekday (Monday to Friday) nearest the 15th, within the month. */
  | { readonly kind: 'nearestWeekday'; readonly day: number };

/** Which days of the week a cron expression names (1 = Sunday … 7 = Saturday). */
export type DayOfWeekSpec =
  | { readonly kind: 'any' }
  | { readonly kind: 'days'; readonly days: ReadonlySet<number> }
  /** `6L`: the last Friday of the month. */
  | { readonly kind: 'lastOfMonth'; readonly day: number }
  /** `3#2`: the second Tuesday of the month. */
  | { readonly kind: 'nth'; readonly day: number; readonly nth: number };

/** A parsed `cron(...)` expression. */
export interface CronSchedule {
  readonly kind: 'cron';
  readonly text: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly dayOfMonth: DayOfMonthSpec;
  readonly months: ReadonlySet<number>;
  readonly dayOfWeek: DayOfWeekSpec;
  readonly years: ReadonlySet<number>;
}

/** A schedule expression EventBridge accepts and the local cloud runs. */
export type ScheduleExpression = RateSchedule | CronSchedule;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The last year a cron expression can name. */
const LAST_YEAR = 2199;

/**
 * Parses a schedule expression as EventBridge reads it.
 *
 * @throws {InvalidScheduleExpressionError} for an expression EventBridge refuses.
 * @throws {UnsupportedScheduleExpressionError} for syntax the local cloud does not implement.
 */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const rate = RATE.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    const singular = unit.replace(/s$/, '');
    if (value < 1) throw new InvalidScheduleExpressionError(text, 'the value must be a positive number');
    // "If the value is equal to 1, then the unit must be singular. If the value is greater than 1, the unit must be plural."
    if ((value === 1) !== (unit === singular)) {
      throw new InvalidScheduleExpressionError(text, value === 1 ? `a value of 1 takes the singular unit (${singular})` : `a value above 1 takes the plural unit (${singular}s)`);
    }
    return { kind: 'rate', text, periodMs: value * (UNIT_MS[singular] ?? 0) };
  }
  if (text.startsWith('rate(')) throw new InvalidScheduleExpressionError(text, 'a rate is rate(value unit), the unit one of minute, minutes, hour, hours, day, days');
  const cron = CRON.exec(text);
  if (!cron) throw new InvalidScheduleExpressionError(text, 'a schedule is rate(value unit) or cron(minutes hours day-of-month month day-of-week year)');
  return parseCron(text, cron[1] ?? '');
}

function parseCron(text: string, body: string): CronSchedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new InvalidScheduleExpressionError(text, `a cron expression has six fields (minutes hours day-of-month month day-of-week year); this one has ${String(fields.length)}`);
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = fields.map((field) => field.toUpperCase());
  if (dayOfMonth === '?' && dayOfWeek === '?') throw new InvalidScheduleExpressionError(text, 'day-of-month and day-of-week cannot both be ?');
  if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    throw new InvalidScheduleExpressionError(text, 'day-of-month and day-of-week cannot both be specified: one of them must be ?');
  }
  const context = { text };
  return {
    kind: 'cron',
    text,
    minutes: parseList(context, 'Minutes', minutes, 0, 59),
    hours: parseList(context, 'Hours', hours, 0, 23),
    dayOfMonth: parseDayOfMonth(context, dayOfMonth),
    months: parseList(context, 'Month', month, 1, 12, MONTHS),
    dayOfWeek: parseDayOfWeek(context, dayOfWeek),
    years: parseList(context, 'Year', year, 1970, LAST_YEAR),
  };
}

interface ParseContext {
  readonly text: string;
}

const invalid = (context: ParseContext, field: string, reason: string): InvalidScheduleExpressionError =>
  new InvalidScheduleExpressionError(context.text, `${field}: ${reason}`);

const unsupported = (context: ParseContext, field: string, reason: string): UnsupportedScheduleExpressionError =>
  new UnsupportedScheduleExpressionError(context.text, `${field}: ${reason}`);

/** One value of a field: a number in range, or (month, day-of-week) a three-letter name. */
function parseValue(context: ParseContext, field: string, token: string, min: number, max: number, names?: readonly string[]): number {
  const named = names?.indexOf(token) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) throw invalid(context, field, `"${token}" is not a value of this field`);
  const value = Number(token);
  if (value < min || value > max) throw invalid(context, field, `${token} is outside ${String(min)}-${String(max)}`);
  return value;
}

/** A field of values, ranges, lists and increments (`, - * /`). */
function parseList(context: ParseContext, field: string, text: string, min: number, max: number, names?: readonly string[]): ReadonlySet<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, ...extra] = item.split('/');
    if (extra.length > 0) throw invalid(context, field, `"${item}" has more than one /`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw invalid(context, field, `the increment of "${item}" must be a positive number`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [start = '', end = '', ...more] = range.split('-');
      if (more.length > 0) throw invalid(context, field, `"${item}" is not a range`);
      from = parseValue(context, field, start, min, max, names);
      to = parseValue(context, field, end, min, max, names);
      if (to < from) throw unsupported(context, field, `the range "${range}" wraps around; ranges whose end is before their start are not emulated by the local cloud`);
    } else {
      from = parseValue(context, field, range, min, max, names);
      // `a/n` runs from a to the end of the field's range; a single value is itself.
      to = stepText === undefined ? from : max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseDayOfMonth(context: ParseContext, text: string): DayOfMonthSpec {
  const field = 'Day-of-month';
  if (text === '?') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') throw unsupported(context, field, 'LW (the last weekday of the month) is not in AWS\'s documented syntax and is not emulated by the local cloud');
  if (/^L-\d+$/.test(text)) throw unsupported(context, field, `${text} (an offset from the last day) is not in AWS's documented syntax and is not emulated by the local cloud`);
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) return { kind: 'nearestWeekday', day: parseValue(context, field, weekday[1] ?? '', 1, 31) };
  if (/[LW]/.test(text)) throw invalid(context, field, `"${text}": L and W stand alone (L, or a day followed by W such as 15W)`);
  return { kind: 'days', days: parseList(context, field, text, 1, 31) };
}

function parseDayOfWeek(context: ParseContext, text: string): DayOfWeekSpec {
  const field = 'Day-of-week';
  if (text === '?') return { kind: 'any' };
  // "The L wildcard in the Day-of-month or Day-of-week fields specifies the last day of the month or week."
  if (text === 'L') return { kind: 'days', days: new Set([7]) };
  const last = /^(\w+)L$/.exec(text);
  if (last) return { kind: 'lastOfMonth', day: parseValue(context, field, last[1] ?? '', 1, 7, WEEKDAYS) };
  const nth = /^(\w+)#(\d+)$/.exec(text);
  if (nth) return { kind: 'nth', day: parseValue(context, field, nth[1] ?? '', 1, 7, WEEKDAYS), nth: parseValue(context, field, nth[2] ?? '', 1, 5) };
  // "If you use the '#' character, you can define only one expression in the day-of-week field."
  if (text.includes('#')) throw invalid(context, field, `"${text}": # takes a single expression such as 3#2`);
  if (text.includes('L')) throw invalid(context, field, `"${text}": L stands alone (L, or a day followed by L such as 6L)`);
  if (text.includes('/')) throw unsupported(context, field, 'increments (/) are not among the day-of-week wildcards AWS documents and are not emulated by the local cloud');
  return { kind: 'days', days: parseList(context, field, text, 1, 7, WEEKDAYS) };
}

// ---------------------------------------------------------------------------
// Next firing
// ---------------------------------------------------------------------------

const MINUTE = 60_000;

/**
 * When a rate schedule that started at `startedAt` fires next after `after`:
 * EventBridge starts a rate when the rule is created, then fires every period.
 */
export function nextRateFire(periodMs: number, startedAt: number, after: number): number {
  if (after < startedAt) return startedAt + periodMs;
  return startedAt + (Math.floor((after - startedAt) / periodMs) + 1) * periodMs;
}

/**
 * The first whole UTC minute strictly after `after` (epoch ms) that a cron
 * schedule names, or `undefined` when it names none before the end of 2199.
 */
export function nextCronFire(schedule: CronSchedule, after: number): number | undefined {
  let time = new Date((Math.floor(after / MINUTE) + 1) * MINUTE);
  while (time.getUTCFullYear() <= LAST_YEAR) {
    const year = time.getUTCFullYear();
    const month = time.getUTCMonth() + 1;
    const day = time.getUTCDate();
    if (!schedule.years.has(year)) {
      time = new Date(Date.UTC(year + 1, 0, 1));
    } else if (!schedule.months.has(month)) {
      time = new Date(Date.UTC(year, month, 1));
    } else if (!dayMatches(schedule, year, month, day)) {
      time = new Date(Date.UTC(year, month - 1, day + 1));
    } else if (!schedule.hours.has(time.getUTCHours())) {
      time = new Date(Date.UTC(year, month - 1, day, time.getUTCHours() + 1));
    } else if (!schedule.minutes.has(time.getUTCMinutes())) {
      time = new Date(time.getTime() + MINUTE);
    } else {
      return time.getTime();
    }
  }
  return undefined;
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday … 7 = Saturday, as cron numbers the days of the week. */
const weekdayOf = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  const last = daysIn(year, month);
  const dom = schedule.dayOfMonth;
  switch (dom.kind) {
    case 'any':
      break;
    case 'days':
      return dom.days.has(day);
    case 'last':
      return day === last;
    case 'nearestWeekday':
      return dom.day <= last && day === nearestWeekday(year, month, dom.day, last);
  }
  const dow = schedule.dayOfWeek;
  const weekday = weekdayOf(year, month, day);
  switch (dow.kind) {
    case 'any':
      return true;
    case 'days':
      return dow.days.has(weekday);
    case 'lastOfMonth':
      return weekday === dow.day && day + 7 > last;
    case 'nth':
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
  }
}

/** The weekday nearest `day`, never leaving the month (1W on a Saturday is Monday the 3rd). */
function nearestWeekday(year: number, month: number, day: number, last: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1;
  if (weekday === 1) return day === last ? day - 2 : day + 1;
  return day;
}
