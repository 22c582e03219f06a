/**
 * The local EventBridge event-pattern matcher, checked against the examples of
 * the Amazon EventBridge User Guide ("Event patterns", "Comparison operators",
 * "Content filtering", "Arrays", "Null values and empty strings") and of AWS's
 * Event Ruler README, which is the engine behind the service. Where the guide
 * is silent, cases mirror behaviour recorded against the real service.
 */
import { InvalidEventError, InvalidEventPatternError } from '../../local/eventbridge/errors';
import {
  matchesEventPattern,
  parseEventPattern,
  testEventPattern,
} from '../../local/eventbridge/event-pattern';

/** The EC2 event of the guide's "Amazon EventBridge event patterns" page. */
const ec2TerminatedEvent = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

/** The EC2 state-change event with `c-count`/`d-count`/`x-limit` (Event Ruler README, content-filtering examples). */
const ec2CountsEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** The Auto Scaling event of "Matching null values and empty strings". */
const autoScalingEvent = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

/** The nested-array event of Event Ruler's "JSON Array Matching". */
const employeesEvent = {
  employees: [
    [
      { firstName: 'John', lastName: 'Doe', ids: [1234, 1000, 9999] },
      { firstName: 'Anna', lastName: 'Smith' },
    ],
    [{ firstName: 'Peter', lastName: 'Jones', ids: [] }],
  ],
};

/** A row of a table-driven matching test. */
interface MatchCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: unknown;
  readonly matches: boolean;
}

/** A row of a table-driven rejection test. */
interface RejectionCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly path: string;
  readonly reason: string | RegExp;
}

function rejectionOf(pattern: unknown): InvalidEventPatternError {
  try {
    parseEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
}

function assessMatch({ pattern, event, matches }: MatchCase): void {
  // Act
  const result = testEventPattern(pattern, event);

  // Assess
  expect(result).toBe(matches);
}

describe('Amazon EventBridge event patterns (user guide: "Amazon EventBridge event patterns")', () => {
  it('matches the guide\'s EC2 instance-termination pattern against its example event', () => {
    // Prepare
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };

    // Act
    const result = testEventPattern(pattern, ec2TerminatedEvent);

    // Assess
    expect(result).toBe(true);
  });

  it.each<MatchCase>([
    {
      name: 'a different state value does not match',
      pattern: { source: ['aws.ec2'], detail: { state: ['running'] } },
      event: ec2TerminatedEvent,
      matches: false,
    },
    {
      name: 'every field named in the pattern must be present in the event',
      pattern: { source: ['aws.ec2'], detail: { 'instance-type': ['t3.micro'] } },
      event: ec2TerminatedEvent,
      matches: false,
    },
    {
      name: 'fields must appear with the same nesting structure',
      pattern: { state: ['terminated'] },
      event: ec2TerminatedEvent,
      matches: false,
    },
    {
      name: 'fields the pattern does not mention are ignored',
      pattern: { region: ['us-west-1'] },
      event: ec2TerminatedEvent,
      matches: true,
    },
    {
      name: 'values in a leaf array are alternatives ("Match Values": aws.ec2 or aws.fargate)',
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      event: ec2TerminatedEvent,
      matches: true,
    },
    {
      name: 'string matching is exact and case-sensitive',
      pattern: { source: ['AWS.EC2'] },
      event: ec2TerminatedEvent,
      matches: false,
    },
    {
      name: 'field names are case-sensitive',
      pattern: { SOURCE: ['aws.ec2'] },
      event: ec2TerminatedEvent,
      matches: false,
    },
    {
      name: '"Field matching": Auto Scaling responseElements [null]',
      pattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful'],
        detail: { responseElements: [null] },
      },
      event: autoScalingEvent,
      matches: true,
    },
    {
      name: '"Value matching": Macie severity score 1 and count 2',
      pattern: {
        source: ['aws.macie'],
        'detail-type': ['Macie Finding'],
        detail: { severity: { score: [1] }, count: [2] },
      },
      event: {
        source: 'aws.macie',
        'detail-type': 'Macie Finding',
        detail: { severity: { score: 1, description: 'Low' }, count: 2 },
      },
      matches: true,
    },
    {
      name: '"Value matching": Macie pattern rejects a count of 3',
      pattern: { source: ['aws.macie'], detail: { severity: { score: [1] }, count: [2] } },
      event: { source: 'aws.macie', detail: { severity: { score: 1 }, count: 3 } },
      matches: false,
    },
    {
      name: 'a JSON object serialised into a string is not a nested object',
      pattern: { detail: { 'my-key': ['my-value'] } },
      event: { detail: '{"my-key": "my-value"}' },
      matches: false,
    },
  ])('$name', assessMatch);
});

describe('Matching null values and empty strings (user guide)', () => {
  it.each<MatchCase>([
    {
      name: '[""] matches the empty eventVersion',
      pattern: { detail: { eventVersion: [''] } },
      event: autoScalingEvent,
      matches: true,
    },
    {
      name: '[null] matches the null responseElements',
      pattern: { detail: { responseElements: [null] } },
      event: autoScalingEvent,
      matches: true,
    },
    {
      name: 'null and empty string are not interchangeable: [""] does not match null',
      pattern: { detail: { responseElements: [''] } },
      event: autoScalingEvent,
      matches: false,
    },
    {
      name: 'null and empty string are not interchangeable: [null] does not match ""',
      pattern: { detail: { eventVersion: [null] } },
      event: autoScalingEvent,
      matches: false,
    },
    {
      name: '[null] does not match a missing field',
      pattern: { detail: { userIdentity: [null] } },
      event: autoScalingEvent,
      matches: false,
    },
    {
      name: '[null] does not match the string "null"',
      pattern: { detail: { responseElements: [null] } },
      event: { detail: { responseElements: 'null' } },
      matches: false,
    },
    {
      name: '[null] does not match an empty array',
      pattern: { resources: [null] },
      event: autoScalingEvent,
      matches: false,
    },
  ])('$name', assessMatch);
});

describe('Arrays in event patterns (user guide: "Arrays in Amazon EventBridge event patterns")', () => {
  const resourcesPattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it.each<MatchCase>([
    {
      name: 'matches when the pattern array and the event array intersect (the guide\'s example)',
      pattern: resourcesPattern,
      event: {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
      matches: true,
    },
    {
      name: 'does not match when the intersection is empty',
      pattern: resourcesPattern,
      event: {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        ],
      },
      matches: false,
    },
    {
      name: 'pattern fields apply to the objects inside an event array (Event Ruler "JSON Array Matching")',
      pattern: { employees: { firstName: ['Anna'] } },
      event: employeesEvent,
      matches: true,
    },
    {
      name: 'fields from different array elements do not combine (Anna + Jones)',
      pattern: { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
      event: employeesEvent,
      matches: false,
    },
    {
      name: 'fields from the same array element combine, through a nested primitive array (John + id 1000)',
      pattern: { employees: { firstName: ['John'], ids: [1000] } },
      event: employeesEvent,
      matches: true,
    },
    {
      name: 'a value of another element does not satisfy the element already chosen (Anna + id 1000)',
      pattern: { employees: { firstName: ['Anna'], ids: [1000] } },
      event: employeesEvent,
      matches: false,
    },
    {
      name: 'exists:false is judged within the matched element (Anna has no ids)',
      pattern: { employees: { firstName: ['Anna'], ids: [{ exists: false }] } },
      event: employeesEvent,
      matches: true,
    },
    {
      name: 'exists:true is judged within the matched element (Anna has no ids)',
      pattern: { employees: { firstName: ['Anna'], ids: [{ exists: true }] } },
      event: employeesEvent,
      matches: false,
    },
    {
      name: 'exists:false on a path sorting before the matched field sees every element (Event Ruler walk order)',
      pattern: { d: { a: [{ exists: false }], b: ['x'] } },
      event: { d: [{ b: 'x' }, { a: 1, z: 1 }] },
      matches: false,
    },
    {
      name: 'exists:false on a path sorting after the matched field sees only that element',
      pattern: { d: { z: [{ exists: false }], b: ['x'] } },
      event: { d: [{ b: 'x' }, { a: 1, z: 1 }] },
      matches: true,
    },
    {
      name: 'an operator matches when any element of an event array satisfies it',
      pattern: { detail: { sizes: [{ numeric: ['>', 100] }] } },
      event: { detail: { sizes: [5, 50, 500] } },
      matches: true,
    },
    {
      name: 'an empty event array holds no value, so exists:true does not match',
      pattern: { resources: [{ exists: true }] },
      event: autoScalingEvent,
      matches: false,
    },
    {
      name: 'exists:true matches an array holding objects that have the field',
      pattern: { detail: { automations: { id: [{ exists: true }] } } },
      event: { detail: { automations: [{ key1: 'value1' }, { id: 'match-does-exist' }, { key2: 'value2' }] } },
      matches: true,
    },
    {
      name: 'an equals-ignore-case value matches an event array element ("Equals-ignore-case matching" example)',
      pattern: { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      event: {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      },
      matches: true,
    },
  ])('$name', assessMatch);
});

describe('Numbers, booleans and exact values ("Considerations when creating event patterns")', () => {
  it.each<MatchCase>([
    {
      name: 'numbers compare by value: [300] matches 300.0 (as recorded against the service)',
      pattern: '{"number": [300]}',
      event: '{"number": 300.0}',
      matches: true,
    },
    {
      name: 'numbers compare by value: [300] matches 3.0e2',
      pattern: '{"number": [300]}',
      event: '{"number": 3.0e2}',
      matches: true,
    },
    {
      name: 'a number does not match its string spelling',
      pattern: { number: [300] },
      event: { number: '300' },
      matches: false,
    },
    {
      name: 'a string does not match the number it spells',
      pattern: { number: ['300'] },
      event: { number: 300 },
      matches: false,
    },
    { name: 'false matches false', pattern: { flag: [false] }, event: { flag: false }, matches: true },
    { name: 'false does not match true', pattern: { flag: [false] }, event: { flag: true }, matches: false },
    { name: 'true does not match the string "true"', pattern: { flag: [true] }, event: { flag: 'true' }, matches: false },
    {
      name: 'strings are matched exactly, including emoji and trailing whitespace',
      pattern: { text: ['A CamelCase string with an emoji 🚀 and trailing whitespace '] },
      event: { text: 'A CamelCase string with an emoji 🚀 and trailing whitespace ' },
      matches: true,
    },
    {
      name: 'a leaf array may mix values and operators, OR-ed ("Or": mixed leaf values)',
      pattern: { code: ['a', { prefix: 'b' }, { numeric: ['>', 5] }] },
      event: { code: 7 },
      matches: true,
    },
    {
      name: 'a mixed leaf array matches through its prefix alternative',
      pattern: { code: ['a', { prefix: 'b' }, { numeric: ['>', 5] }] },
      event: { code: 'bravo' },
      matches: true,
    },
    {
      name: 'a mixed leaf array rejects a value none of its alternatives accepts',
      pattern: { code: ['a', { prefix: 'b' }, { numeric: ['>', 5] }] },
      event: { code: 3 },
      matches: false,
    },
    {
      name: 'an IP address value matches the same address spelled differently (IPv6 ::1)',
      pattern: { ip: ['::1'] },
      event: { ip: '0:0:0:0:0:0:0:1' },
      matches: true,
    },
  ])('$name', assessMatch);

  it('uses the last of duplicated keys ("Complex example with multiple matching" note)', () => {
    // Prepare
    const pattern =
      '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}';

    // Act
    const outsideUs = testEventPattern(pattern, { detail: { location: 'eu-central-1' } });
    const usEast = testEventPattern(pattern, { detail: { location: 'us-east' } });

    // Assess
    expect(outsideUs).toBe(true);
    expect(usEast).toBe(false);
  });

  it.each<MatchCase>([
    {
      name: 'a dotted pattern key matches the nested event fields',
      pattern: { detail: { 'state.status': ['running'] } },
      event: { detail: { state: { status: 'running' } } },
      matches: true,
    },
    {
      name: 'nested pattern fields match a dotted event key',
      pattern: { detail: { state: { status: ['running'] } } },
      event: { detail: { 'state.status': 'running' } },
      matches: true,
    },
    {
      name: 'dot joining does not make a deeper path match a shallower one',
      pattern: { detail: { state: { status: ['running'] } } },
      event: { detail: { 'state.status': { status: 'running' } } },
      matches: false,
    },
  ])('keys are joined with dots (Event Ruler "JSON keys with dots"): $name', assessMatch);
});

describe('Comparison operators (user guide: "Comparison operators for use in event patterns")', () => {
  it.each<MatchCase>([
    { name: 'Prefix: time starts with 2017-10-02', pattern: { time: [{ prefix: '2017-10-02' }] }, event: ec2CountsEvent, matches: true },
    { name: 'Prefix: another day does not match', pattern: { time: [{ prefix: '2017-10-03' }] }, event: ec2CountsEvent, matches: false },
    { name: 'Begins with: Region is in the US', pattern: { Region: [{ prefix: 'us-' }] }, event: { Region: 'us-west-2' }, matches: true },
    { name: 'Begins with: eu-west-1 is not in the US', pattern: { Region: [{ prefix: 'us-' }] }, event: { Region: 'eu-west-1' }, matches: false },
    { name: 'Begins with: an empty prefix matches any string', pattern: { source: [{ prefix: '' }] }, event: ec2CountsEvent, matches: true },
    { name: 'Begins with: only strings have prefixes', pattern: { code: [{ prefix: '1' }] }, event: { code: 123 }, matches: false },
    {
      name: 'Begins with (ignore case): service starts with eventb',
      pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      event: { service: 'EventBridge' },
      matches: true,
    },
    {
      name: 'Begins with (ignore case): Lambda does not start with eventb',
      pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      event: { service: 'Lambda' },
      matches: false,
    },
    { name: 'Ends with: FileName ends with .png', pattern: { FileName: [{ suffix: '.png' }] }, event: { FileName: 'image.png' }, matches: true },
    { name: 'Ends with: suffix is case-sensitive', pattern: { FileName: [{ suffix: '.PNG' }] }, event: { FileName: 'image.png' }, matches: false },
    {
      name: 'Ends with (ignore case): service ends with tbridge in any case',
      pattern: { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
      event: { service: 'EVENTBRIDGE' },
      matches: true,
    },
    {
      name: 'Ends with (ignore case): image.jpg does not end with .png',
      pattern: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] },
      event: { FileName: 'image.jpg' },
      matches: false,
    },
    { name: 'Equals: Name is Alice', pattern: { Name: ['Alice'] }, event: { Name: 'Alice' }, matches: true },
    {
      name: 'Equals (ignore case): Name is alice in any case',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'ALICE' },
      matches: true,
    },
    {
      name: 'Equals (ignore case): a longer string does not match',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alice Smith' },
      matches: false,
    },
    {
      name: 'Equals (ignore case): an empty value matches only the empty string',
      pattern: { detail: { value: [{ 'equals-ignore-case': '' }] } },
      event: { detail: { value: 'test-value' } },
      matches: false,
    },
    { name: 'Empty: LastName is empty', pattern: { LastName: [''] }, event: { LastName: '' }, matches: true },
    { name: 'Null: UserID is null', pattern: { UserID: [null] }, event: { UserID: null }, matches: true },
    { name: 'Or: PaymentType is Credit or Debit', pattern: { PaymentType: ['Credit', 'Debit'] }, event: { PaymentType: 'Debit' }, matches: true },
    { name: 'Or: Cash is neither', pattern: { PaymentType: ['Credit', 'Debit'] }, event: { PaymentType: 'Cash' }, matches: false },
    {
      name: 'And: Location is New York and Day is Monday',
      pattern: { Location: ['New York'], Day: ['Monday'] },
      event: { Location: 'New York', Day: 'Monday' },
      matches: true,
    },
    {
      name: 'And: Tuesday fails the second condition',
      pattern: { Location: ['New York'], Day: ['Monday'] },
      event: { Location: 'New York', Day: 'Tuesday' },
      matches: false,
    },
  ])('$name', assessMatch);
});

describe('Anything-but matching (user guide: "Anything-but matching")', () => {
  it.each<MatchCase>([
    { name: 'string: pending is not initializing', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: { detail: { state: 'pending' } }, matches: true },
    { name: 'string: initializing is excluded', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: { detail: { state: 'initializing' } }, matches: false },
    { name: 'string: a missing field does not match', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: { detail: {} }, matches: false },
    { name: 'string: a null value is not excluded, so it matches', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: { detail: { state: null } }, matches: true },
    { name: 'number: 789 is not 123', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: { detail: { 'x-limit': 789 } }, matches: true },
    { name: 'number: 123 is excluded', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: { detail: { 'x-limit': 123 } }, matches: false },
    { name: 'number: 123.0 is excluded too (numeric comparison)', pattern: '{"detail": {"x-limit": [{"anything-but": 123}]}}', event: '{"detail": {"x-limit": 123.0}}', matches: false },
    { name: 'Not: Weather is anything but Raining', pattern: { Weather: [{ 'anything-but': ['Raining'] }] }, event: { Weather: 'Sunny' }, matches: true },
    { name: 'list of strings: pending is in neither', pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, event: { detail: { state: 'pending' } }, matches: true },
    { name: 'list of strings: stopped is excluded', pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, event: { detail: { state: 'stopped' } }, matches: false },
    { name: 'list of numbers: 999 is in neither', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: { detail: { 'x-limit': 999 } }, matches: true },
    { name: 'list of numbers: 300 is excluded', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: { detail: { 'x-limit': 300 } }, matches: false },
    { name: 'list of numbers: a string is never an excluded number', pattern: { b: [{ 'anything-but': [111, 222, 333] }] }, event: { b: '111' }, matches: true },
    { name: 'prefix: post-init does not begin with init', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: { detail: { state: 'post-init' } }, matches: true },
    { name: 'prefix: init-prefix begins with init', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: { detail: { state: 'init-prefix' } }, matches: false },
    { name: 'prefix: a number has no prefix to exclude', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: { detail: { state: 12 } }, matches: true },
    { name: 'prefix list: neither init nor test', pattern: { detail: { state: [{ 'anything-but': { prefix: ['init', 'test'] } }] } }, event: { detail: { state: 'post-init' } }, matches: true },
    { name: 'prefix list: post is excluded', pattern: { detail: { state: [{ 'anything-but': { prefix: ['init', 'post'] } }] } }, event: { detail: { state: 'post-init' } }, matches: false },
    { name: 'Anything-but (begins with): Region is not in the US', pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] }, event: { Region: 'eu-west-1' }, matches: true },
    { name: 'suffix: file.txt.bak does not end with .txt', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, event: { detail: { FileName: 'file.txt.bak' } }, matches: true },
    { name: 'suffix: file.txt ends with .txt', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, event: { detail: { FileName: 'file.txt' } }, matches: false },
    { name: 'suffix list: .jpg is excluded', pattern: { detail: { FileName: [{ 'anything-but': { suffix: ['.txt', '.jpg'] } }] } }, event: { detail: { FileName: 'file.jpg' } }, matches: false },
    { name: 'suffix: a missing field does not match', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, event: { detail: {} }, matches: false },
    { name: 'Anything-but (ignore case): INITIALIZING is excluded', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, event: { detail: { state: 'INITIALIZING' } }, matches: false },
    { name: 'Anything-but (ignore case): pending is not excluded', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, event: { detail: { state: 'pending' } }, matches: true },
    { name: 'Anything-but (ignore case) list: Stopped is excluded', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } }, event: { detail: { state: 'Stopped' } }, matches: false },
    { name: 'Anything-but using a wildcard: a path without /lib/', pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, event: { FilePath: '/usr/bin/tool' }, matches: true },
    { name: 'Anything-but using a wildcard: a path with /lib/ is excluded', pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, event: { FilePath: '/usr/lib/tool' }, matches: false },
    { name: 'Anything-but using a wildcard list: */init/* is excluded', pattern: { detail: { state: [{ 'anything-but': { wildcard: ['*/init/*', '*/dir/*'] } }] } }, event: { detail: { state: 'dir/init/dir' } }, matches: false },
    { name: 'Anything-but using a wildcard list: dir/post/dir matches neither', pattern: { detail: { state: [{ 'anything-but': { wildcard: ['*/init/*', '*/dir/*'] } }] } }, event: { detail: { state: 'dir/post/dir' } }, matches: true },
    { name: 'on an event array: matches when any element is not excluded', pattern: { tags: [{ 'anything-but': 'internal' }] }, event: { tags: ['internal', 'public'] }, matches: true },
    { name: 'on an event array: no match when every element is excluded', pattern: { tags: [{ 'anything-but': 'internal' }] }, event: { tags: ['internal'] }, matches: false },
    { name: 'on an empty event array: there is no value to accept', pattern: { tags: [{ 'anything-but': 'internal' }] }, event: { tags: [] }, matches: false },
  ])('$name', assessMatch);
});

describe('Numeric matching (user guide: "Numeric matching")', () => {
  const countsPattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it.each<MatchCase>([
    { name: 'the guide\'s c-count/d-count/x-limit pattern matches the example event', pattern: countsPattern, event: ec2CountsEvent, matches: true },
    {
      name: 'the guide\'s pattern rejects c-count 42',
      pattern: countsPattern,
      event: { detail: { 'c-count': 42, 'd-count': 3, 'x-limit': 301.8 } },
      matches: false,
    },
    { name: 'Numeric (equals): Price is 100', pattern: { Price: [{ numeric: ['=', 100] }] }, event: { Price: 100 }, matches: true },
    { name: 'Numeric (equals): 100.5 is not 100', pattern: { Price: [{ numeric: ['=', 100] }] }, event: { Price: 100.5 }, matches: false },
    { name: 'Numeric (range): 20 is in (10, 20]', pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] }, event: { Price: 20 }, matches: true },
    { name: 'Numeric (range): 10 is not in (10, 20]', pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] }, event: { Price: 10 }, matches: false },
    { name: '>= includes its bound', pattern: { n: [{ numeric: ['>=', 200] }] }, event: { n: 200 }, matches: true },
    { name: '< excludes its bound', pattern: { n: [{ numeric: ['<', 200] }] }, event: { n: 200 }, matches: false },
    { name: '<= includes its bound', pattern: { n: [{ numeric: ['<=', 200] }] }, event: { n: 200 }, matches: true },
    { name: '[>=, 200, <, 500] includes 200 and excludes 500', pattern: { n: [{ numeric: ['>=', 200, '<', 500] }] }, event: { n: 499.999 }, matches: true },
    { name: 'negative and fractional numbers compare as numbers', pattern: { n: [{ numeric: ['>', -1.5, '<', 0] }] }, event: { n: -0.25 }, matches: true },
    { name: 'a numeric string is not a number', pattern: { n: [{ numeric: ['>', 100] }] }, event: { n: '300' }, matches: false },
    { name: 'null is not a number', pattern: { n: [{ numeric: ['>', 100] }] }, event: { n: null }, matches: false },
  ])('$name', assessMatch);
});

describe('IP address matching (user guide: "IP address matching")', () => {
  it.each<MatchCase>([
    { name: 'IPv4: 10.0.0.255 is in 10.0.0.0/24', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, event: { detail: { sourceIPAddress: '10.0.0.255' } }, matches: true },
    { name: 'IPv4: 10.0.1.0 is outside 10.0.0.0/24', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, event: { detail: { sourceIPAddress: '10.0.1.0' } }, matches: false },
    { name: 'IPv4: 10.0.0.256 is not an address', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, event: { detail: { sourceIPAddress: '10.0.0.256' } }, matches: false },
    { name: 'IPv4: host bits of the block are ignored (10.0.0.33 in 10.0.0.5/24)', pattern: { ip: [{ cidr: '10.0.0.5/24' }] }, event: { ip: '10.0.0.33' }, matches: true },
    { name: 'IPv4: the example event\'s source-ip is in 10.0.0.0/8', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, event: ec2CountsEvent, matches: true },
    { name: 'IPv4: a number is not an address', pattern: { ip: [{ cidr: '10.0.0.0/24' }] }, event: { ip: 123 }, matches: false },
    {
      name: 'IPv6: an address inside 2001:db8:1234:1a00::/64',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
      event: { detail: { sourceIPAddress: '2001:0db8:1234:1a00:0000:0000:0000:0000' } },
      matches: true,
    },
    {
      name: 'IPv6: an address outside 2001:db8:1234:1a00::/64',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
      event: { detail: { sourceIPAddress: '2001:0db8:123f:1a01:0000:0000:0000:0000' } },
      matches: false,
    },
    { name: 'IPv6: an IPv4 address is not in an IPv6 block', pattern: { ip: [{ cidr: '::/0' }] }, event: { ip: '10.0.0.1' }, matches: false },
  ])('$name', assessMatch);
});

describe('Exists matching (user guide: "Exists matching")', () => {
  it.each<MatchCase>([
    {
      name: 'the guide\'s detail.state exists pattern matches its pending-instance event',
      pattern: { detail: { state: [{ exists: true }] } },
      event: {
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      },
      matches: true,
    },
    {
      name: 'the guide\'s pattern does not match an event without detail.state',
      pattern: { detail: { state: [{ exists: true }] } },
      event: {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      },
      matches: false,
    },
    { name: 'Does not exist: ProductName is absent', pattern: { ProductName: [{ exists: false }] }, event: { Price: 3 }, matches: true },
    { name: 'Does not exist: a present ProductName fails', pattern: { ProductName: [{ exists: false }] }, event: { ProductName: 'Tea' }, matches: false },
    { name: 'Exists: a null value exists', pattern: { ProductName: [{ exists: true }] }, event: { ProductName: null }, matches: true },
    {
      name: 'exists works on leaf nodes only: an object-valued c-count does not exist',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: { detail: { 'c-count': { c1: 100 } } },
      matches: true,
    },
    {
      name: 'exists works on leaf nodes only: exists:true on an intermediate node fails',
      pattern: { dynamodb: { presentKey: [{ exists: true }] } },
      event: { dynamodb: { presentKey: { S: 'test123' } } },
      matches: false,
    },
    {
      name: 'exists:false matches when a whole parent object is missing',
      pattern: { detail: { level1: { level2: { level3: [{ exists: false }] } } } },
      event: { detail: { level1: 'flat' } },
      matches: true,
    },
    {
      name: 'exists:false OR-ed with anything-but: the field is missing',
      pattern: { dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } } },
      event: { dynamodb: { NewImage: { purchased: { N: '789' } } } },
      matches: true,
    },
    {
      name: 'exists:false OR-ed with anything-but: the value is excluded',
      pattern: { dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } } },
      event: { dynamodb: { NewImage: { homemade: { S: 'roses' } } } },
      matches: false,
    },
  ])('$name', assessMatch);
});

describe('Wildcard matching (user guide: "Matching using wildcards")', () => {
  it.each<MatchCase>([
    { name: 'any .png file located within the folder dir', pattern: { FileName: [{ wildcard: 'dir/*.png' }] }, event: { FileName: 'dir/image.png' }, matches: true },
    { name: 'a .png file outside dir does not match', pattern: { FileName: [{ wildcard: 'dir/*.png' }] }, event: { FileName: 'other/image.png' }, matches: false },
    {
      name: 'an event bus ARN in any account',
      pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      event: { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' },
      matches: true,
    },
    { name: '* matches zero characters', pattern: { FileName: [{ wildcard: 'dir/*.png' }] }, event: { FileName: 'dir/.png' }, matches: true },
    { name: 'several wildcards match in order', pattern: { s: [{ wildcard: '*Title*' }] }, event: { s: 'The Title Page' }, matches: true },
    {
      name: 'a repeated literal after a wildcard still anchors at the end',
      pattern: { FileName: [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }] },
      event: { FileName: '/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt' },
      matches: false,
    },
    { name: '\\* matches a literal asterisk', pattern: { s: [{ wildcard: 'a\\*b*' }] }, event: { s: 'a*bcd' }, matches: true },
    { name: '\\* does not match any other character', pattern: { s: [{ wildcard: 'a\\*b*' }] }, event: { s: 'axbcd' }, matches: false },
    { name: '\\\\ matches a literal backslash', pattern: { s: [{ wildcard: 'C:\\\\*' }] }, event: { s: 'C:\\Windows' }, matches: true },
    { name: 'an empty wildcard matches only the empty string', pattern: { s: [{ wildcard: '' }] }, event: { s: 'anything' }, matches: false },
    { name: 'wildcards are case-sensitive', pattern: { s: [{ wildcard: '*.PNG' }] }, event: { s: 'image.png' }, matches: false },
    { name: 'wildcards only match strings', pattern: { s: [{ wildcard: '1*' }] }, event: { s: 123 }, matches: false },
  ])('$name', assessMatch);
});

describe('Complex examples (user guide: "Complex example with multiple matching" and "with $or matching")', () => {
  const complexPattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
    },
  };
  const orPattern = {
    detail: {
      $or: [
        { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
        { 'd-count': [{ numeric: ['<', 10] }] },
        { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
      ],
    },
  };

  it.each<MatchCase>([
    { name: 'multiple matching: the example event satisfies every field', pattern: complexPattern, event: ec2CountsEvent, matches: true },
    {
      name: 'multiple matching: an excluded x-limit of 300 fails the whole pattern',
      pattern: complexPattern,
      event: { ...ec2CountsEvent, detail: { ...ec2CountsEvent.detail, 'x-limit': 300 } },
      matches: false,
    },
    {
      name: 'multiple matching with cidr (Event Ruler README)',
      pattern: { ...complexPattern, detail: { ...complexPattern.detail, 'source-ip': [{ cidr: '10.0.0.0/8' }] } },
      event: ec2CountsEvent,
      matches: true,
    },
    {
      name: '$or: matches through d-count alone',
      pattern: orPattern,
      event: { detail: { 'c-count': 0, 'd-count': 0, 'x-limit': 9.018e2 } },
      matches: true,
    },
    {
      name: '$or: no alternative holds',
      pattern: orPattern,
      event: { detail: { 'c-count': 0, 'd-count': 10, 'x-limit': 9.018e2 } },
      matches: false,
    },
    {
      name: 'Or (multiple fields): Location is New York, or Day is Monday',
      pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      event: { Location: 'Boston', Day: 'Monday' },
      matches: true,
    },
  ])('$name', assessMatch);

  describe('$or combined with sibling fields (Event Ruler README: "The $or Primitive")', () => {
    const normalOr = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    const parallelOr = {
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    const nestedOr = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };

    it.each<MatchCase>([
      { name: 'normal Or: source and namespace', pattern: normalOr, event: { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, matches: true },
      { name: 'normal Or: the sibling source must still match', pattern: normalOr, event: { source: 'aws.ec2', namespace: 'AWS/ES' }, matches: false },
      {
        name: 'parallel Or: one alternative of each $or',
        pattern: parallelOr,
        event: { metricName: 'ReadLatency', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
        matches: true,
      },
      { name: 'parallel Or: the nested $or is unsatisfied', pattern: parallelOr, event: { metricName: 'ReadLatency', detail: { source: 'aws.ec2' } }, matches: false },
      {
        name: 'nested Or and And: metricType, namespace and spaceId',
        pattern: nestedOr,
        event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
        matches: true,
      },
      {
        name: 'nested Or and And: the inner $or is required by its branch',
        pattern: nestedOr,
        event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' },
        matches: false,
      },
      { name: 'nested Or and And: the scope branch alone', pattern: nestedOr, event: { source: 'aws.cloudwatch', scope: 'Service' }, matches: true },
    ])('$name', assessMatch);
  });
});

describe('Invalid event patterns (InvalidEventPatternException)', () => {
  it.each<RejectionCase>([
    { name: 'a JSON array is not an object', pattern: '["not", "a", "dict"]', path: '', reason: 'Filter is not an object' },
    { name: 'a number is not an object', pattern: 42, path: '', reason: 'Filter is not an object' },
    { name: 'text that is not JSON', pattern: "{'bad': 'quotation'}", path: '', reason: /JSON/ },
    { name: 'an empty pattern', pattern: {}, path: '', reason: 'Empty objects are not allowed' },
    { name: 'an empty nested object', pattern: { detail: {} }, path: 'detail', reason: 'Empty objects are not allowed' },
    { name: 'a leaf string instead of an array', pattern: { source: 'aws.ec2' }, path: 'source', reason: '"source" must be an object or an array' },
    { name: 'a leaf number instead of an array', pattern: { detail: { int: 42 } }, path: 'detail.int', reason: '"int" must be an object or an array' },
    { name: 'an empty leaf array', pattern: { resources: [] }, path: 'resources', reason: 'Empty arrays are not allowed' },
    { name: 'an array inside a leaf array', pattern: { detail: { a: [['x']] } }, path: 'detail.a', reason: 'Match value must be String, number, true, false, or null' },
    { name: 'an unknown operator', pattern: { detail: { price: [{ foo: 1 }] } }, path: 'detail.price.foo', reason: 'Unrecognized match type foo' },
    { name: 'operators are case-sensitive', pattern: { detail: { equal: [{ NUMERIC: ['=', 5] }] } }, path: 'detail.equal.NUMERIC', reason: 'Unrecognized match type NUMERIC' },
    { name: 'an empty match expression', pattern: { a: [{}] }, path: 'a', reason: 'Match expression name not found' },
    { name: 'two operators in one expression', pattern: { a: [{ prefix: 'x', suffix: 'y' }] }, path: 'a.prefix', reason: 'Only one key allowed in match expression' },
    { name: 'numeric that is not an array', pattern: { detail: { price: [{ numeric: 10 }] } }, path: 'detail.price.numeric', reason: 'Value of numeric must be an array.' },
    { name: 'numeric with an empty array', pattern: { detail: { price: [{ numeric: [] }] } }, path: 'detail.price.numeric', reason: 'Invalid member in numeric match: ]' },
    { name: 'numeric with two lower bounds', pattern: { detail: { price: [{ numeric: ['>', 0, '>', 0] }] } }, path: 'detail.price.numeric', reason: 'Bad numeric range operator: >' },
    { name: 'numeric with a dangling operator', pattern: { detail: { price: [{ numeric: ['>', 0, '<'] }] } }, path: 'detail.price.numeric', reason: 'Value of < must be numeric' },
    { name: 'numeric with the upper bound first', pattern: { detail: { price: [{ numeric: ['<', 10, '>', 1] }] } }, path: 'detail.price.numeric', reason: 'Too many elements in numeric expression' },
    { name: 'numeric with a string operand', pattern: { detail: { price: [{ numeric: ['=', '5'] }] } }, path: 'detail.price.numeric', reason: 'Value of equals must be numeric' },
    { name: 'numeric with an unknown operator', pattern: { detail: { price: [{ numeric: ['!=', 5] }] } }, path: 'detail.price.numeric', reason: 'Unrecognized numeric range operator: !=' },
    { name: 'numeric with an empty range', pattern: { detail: { price: [{ numeric: ['>', 10, '<', 5] }] } }, path: 'detail.price.numeric', reason: 'Bottom must be less than top' },
    { name: 'numeric with too many terms', pattern: { detail: { price: [{ numeric: ['>', 1, '<', 5, 6] }] } }, path: 'detail.price.numeric', reason: 'Too many terms in numeric range expression' },
    { name: 'anything-but null', pattern: { detail: { state: [{ 'anything-but': null }] } }, path: 'detail.state.anything-but', reason: 'Value of anything-but must be an array or single string/number value.' },
    { name: 'anything-but list with null', pattern: { detail: { state: [{ 'anything-but': ['stopped', null] }] } }, path: 'detail.state.anything-but', reason: 'Inside anything but list, start|null|boolean is not supported.' },
    { name: 'anything-but list mixing strings and numbers', pattern: { detail: { state: [{ 'anything-but': ['stopped', 1] }] } }, path: 'detail.state.anything-but', reason: /mixed type is not supported/ },
    { name: 'anything-but empty list', pattern: { detail: { state: [{ 'anything-but': [] }] } }, path: 'detail.state.anything-but', reason: /mixed type is not supported/ },
    { name: 'anything-but with an empty prefix', pattern: { detail: { FileName: [{ 'anything-but': { prefix: '' } }] } }, path: 'detail.FileName.anything-but.prefix', reason: 'Null prefix/suffix not allowed' },
    { name: 'anything-but with an empty suffix', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '' } }] } }, path: 'detail.FileName.anything-but.suffix', reason: 'Null prefix/suffix not allowed' },
    { name: 'anything-but with a numeric prefix', pattern: { detail: { state: [{ 'anything-but': { prefix: 123 } }] } }, path: 'detail.state.anything-but.prefix', reason: 'prefix/suffix match pattern must be a string' },
    { name: 'anything-but with a prefix list holding a number', pattern: { detail: { state: [{ 'anything-but': { prefix: [123, 'test'] } }] } }, path: 'detail.state.anything-but.prefix', reason: 'prefix/suffix match pattern must be a string' },
    { name: 'anything-but with a case-insensitive prefix', pattern: { detail: { FileName: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'file' } } }] } }, path: 'detail.FileName.anything-but.prefix', reason: 'Value of anything-but must be an array or single string/number value.' },
    { name: 'anything-but with an unknown operator', pattern: { detail: { state: [{ 'anything-but': { numeric: ['>', 1] } }] } }, path: 'detail.state.anything-but.numeric', reason: 'Unsupported anything-but pattern: numeric' },
    { name: 'anything-but equals-ignore-case with a number', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 123 } }] } }, path: 'detail.state.anything-but.equals-ignore-case', reason: 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.' },
    { name: 'anything-but wildcard with a number', pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: 123 } }] } }, path: 'detail.FilePath.anything-but.wildcard', reason: 'wildcard match pattern must be a string' },
    { name: 'anything-but wildcard with consecutive asterisks', pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/**'] } }] } }, path: 'detail.FilePath.anything-but.wildcard', reason: 'Consecutive wildcard characters at pos 7' },
    { name: 'prefix with a list', pattern: { time: [{ prefix: ['2022-07-13'] }] }, path: 'time.prefix', reason: 'prefix match pattern must be a string' },
    { name: 'prefix with a number', pattern: { time: [{ prefix: 123 }] }, path: 'time.prefix', reason: 'prefix match pattern must be a string' },
    { name: 'prefix with an unknown option', pattern: { time: [{ prefix: { 'ignore-case': 'x' } }] }, path: 'time.prefix.ignore-case', reason: 'Unsupported prefix pattern: ignore-case' },
    { name: 'suffix with a number', pattern: { FileName: [{ suffix: 123 }] }, path: 'FileName.suffix', reason: 'suffix match pattern must be a string' },
    { name: 'equals-ignore-case with a list', pattern: { 'detail-type': [{ 'equals-ignore-case': ['x'] }] }, path: 'detail-type.equals-ignore-case', reason: 'equals-ignore-case match pattern must be a string' },
    { name: 'exists with a string', pattern: { a: [{ exists: 'yes' }] }, path: 'a.exists', reason: 'exists match pattern must be either true or false.' },
    { name: 'cidr without a mask', pattern: { ip: [{ cidr: 'bad-filter' }] }, path: 'ip.cidr', reason: "Malformed CIDR, one '/' required" },
    { name: 'cidr with a non-integer mask', pattern: { ip: [{ cidr: '10.0.0.0/x' }] }, path: 'ip.cidr', reason: 'Malformed CIDR, mask bits must be an integer' },
    { name: 'cidr with a non-address', pattern: { ip: [{ cidr: 'xx.11.xx/8' }] }, path: 'ip.cidr', reason: 'Nonstandard IP address: xx.11.xx' },
    { name: 'cidr with an out-of-range IPv4 octet', pattern: { ip: [{ cidr: '10.0.0.256/24' }] }, path: 'ip.cidr', reason: 'Invalid IP address: 10.0.0.256' },
    { name: 'cidr with an IPv4 mask over 31', pattern: { ip: [{ cidr: '192.168.0.1/33' }] }, path: 'ip.cidr', reason: 'IPv4 mask bits must be < 32' },
    { name: 'cidr with an IPv6 mask over 127', pattern: { ip: [{ cidr: '2400:6500:FF00::36FB:1F80/222' }] }, path: 'ip.cidr', reason: 'IPv6 mask bits must be < 128' },
    { name: 'cidr with a list', pattern: { ip: [{ cidr: ['10.0.0.0/24'] }] }, path: 'ip.cidr', reason: 'prefix match pattern must be a string' },
    { name: 'wildcard with consecutive asterisks', pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:**:event-bus/*' }] }, path: 'EventBusArn.wildcard', reason: 'Consecutive wildcard characters at pos 26' },
    { name: 'wildcard escaping an ordinary character', pattern: { s: [{ wildcard: 'a\\b' }] }, path: 's.wildcard', reason: 'Invalid escape character at pos 2' },
    { name: 'wildcard ending in a lone backslash', pattern: { s: [{ wildcard: 'a\\' }] }, path: 's.wildcard', reason: 'Invalid escape character at pos 2' },
    { name: 'wildcard with a number', pattern: { s: [{ wildcard: 123 }] }, path: 's.wildcard', reason: 'wildcard match pattern must be a string' },
    { name: '$or that is not an array', pattern: { detail: { $or: { a: ['x'] } } }, path: 'detail.$or', reason: 'It must be an Array followed with $or.' },
    { name: '$or with a single object', pattern: { $or: [{ a: ['x'] }] }, path: '$or', reason: 'There must have at least 2 Objects in $or relationship.' },
    { name: '$or holding a non-object', pattern: { $or: [{ a: ['x'] }, ['b']] }, path: '$or[1]', reason: 'Only JSON object is allowed in array of $or relationship.' },
    { name: 'an operator name used as a field inside $or', pattern: { $or: [{ numeric: [123] }, { prefix: ['abc'] }] }, path: '$or[0].numeric', reason: 'numeric is Ruler reserved fieldName which cannot be used inside $or.' },
    { name: 'an invalid leaf inside $or', pattern: { $or: [{ a: ['x'] }, { c: { d: [{ numeric: ['>'] }] } }] }, path: '$or[1].c.d.numeric', reason: 'Value of > must be numeric' },
  ])('rejects $name', ({ pattern, path, reason }) => {
    // Act
    const error = rejectionOf(pattern);

    // Assess
    expect(error.path).toBe(path);
    if (typeof reason === 'string') {
      expect(error.reason).toBe(reason);
    } else {
      expect(error.reason).toMatch(reason);
    }
    expect(error.message).toContain(`Event pattern is not valid. Reason: ${error.reason}`);
    if (path !== '') {
      expect(error.message).toContain(path);
    }
  });

  it('rejects $or arrays that expand to more than 1000 rule combinations (the guide\'s $or note)', () => {
    // Prepare: 11 × 10 × 10 = 1100 combinations.
    const alternatives = (field: string, count: number): Record<string, string[]>[] =>
      Array.from({ length: count }, (_, i) => ({ [field]: [String(i)] }));
    const pattern = {
      $or: alternatives('a', 11),
      detail: { $or: alternatives('b', 10) },
      other: { $or: alternatives('c', 10) },
    };

    // Act
    const error = rejectionOf(pattern);

    // Assess
    expect(error.reason).toMatch(/more than 1000 rule combinations/);
  });

  it('accepts exactly 1000 $or combinations', () => {
    // Prepare
    const alternatives = (field: string): Record<string, string[]>[] =>
      Array.from({ length: 10 }, (_, i) => ({ [field]: [String(i)] }));
    const pattern = { $or: alternatives('a'), detail: { $or: alternatives('b') }, other: { $or: alternatives('c') } };

    // Act
    const compiled = parseEventPattern(pattern);

    // Assess
    expect(compiled.branches).toHaveLength(1000);
    expect(matchesEventPattern(compiled, { a: '9', detail: { b: '0' }, other: { c: '5' } })).toBe(true);
  });

  it('keeps the JSON syntax error as the cause and names itself', () => {
    // Act
    const error = rejectionOf('{"not": closed mark"');

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEventPatternError');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each<{ readonly name: string; readonly pattern: unknown }>([
    { name: 'an empty wildcard', pattern: { s: [{ wildcard: '' }] } },
    { name: 'an empty anything-but wildcard', pattern: { s: [{ 'anything-but': { wildcard: '' } }] } },
    { name: 'an empty prefix', pattern: { s: [{ prefix: '' }] } },
    { name: 'an anything-but suffix list', pattern: { s: [{ 'anything-but': { suffix: ['.txt', '.jpg'] } }] } },
    { name: 'a /0 IPv4 block', pattern: { ip: [{ cidr: '0.0.0.0/0' }] } },
    { name: 'a numeric range with >= and <=', pattern: { n: [{ numeric: ['>=', 0, '<=', 0.5] }] } },
    { name: 'field names that are operator names outside $or', pattern: { numeric: ['x'], prefix: ['y'] } },
  ])('accepts $name', ({ pattern }) => {
    // Act
    const parse = (): unknown => parseEventPattern(pattern);

    // Assess
    expect(parse).not.toThrow();
  });
});

describe('API behaviour', () => {
  it('parses JSON text and objects to patterns that match the same events', () => {
    // Prepare
    const pattern = { source: ['aws.ec2'], detail: { state: ['terminated'] } };

    // Act
    const fromObject = parseEventPattern(pattern);
    const fromText = parseEventPattern(JSON.stringify(pattern));

    // Assess
    expect(matchesEventPattern(fromObject, ec2TerminatedEvent)).toBe(true);
    expect(matchesEventPattern(fromText, ec2TerminatedEvent)).toBe(true);
    expect(matchesEventPattern(fromText, ec2CountsEvent)).toBe(false);
  });

  it('reuses one compiled pattern across many events', () => {
    // Prepare
    const compiled = parseEventPattern({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } });
    const counts = [-1, 0, 1, 5, 6];

    // Act
    const results = counts.map((count) => matchesEventPattern(compiled, { detail: { 'c-count': count } }));

    // Assess
    expect(results).toEqual([false, false, true, true, false]);
  });

  it('treats a non-object event as matching nothing when routing', () => {
    // Prepare
    const compiled = parseEventPattern({ a: [{ exists: false }] });

    // Act
    const results = [null, 'text', 42, ['a']].map((event) => matchesEventPattern(compiled, event));

    // Assess
    expect(results).toEqual([false, false, false, false]);
  });

  it.each<{ readonly name: string; readonly event: unknown }>([
    { name: 'a plain string', event: 'hello' },
    { name: 'JSON text of an array', event: '["a"]' },
    { name: 'an array', event: ['a'] },
    { name: 'null', event: null },
  ])('TestEventPattern refuses $name as the event (ValidationException wording)', ({ event }) => {
    // Act
    const run = (): boolean => testEventPattern({ source: ['aws.ec2'] }, event);

    // Assess
    expect(run).toThrow(InvalidEventError);
    expect(run).toThrow('Parameter Event is not valid.');
  });

  it('TestEventPattern accepts the event as JSON text', () => {
    // Act
    const result = testEventPattern(
      '{"detail": {"state": [{"anything-but": "initializing"}]}}',
      JSON.stringify(ec2CountsEvent),
    );

    // Assess
    expect(result).toBe(true);
  });

  it('TestEventPattern validates the pattern before looking at the event', () => {
    // Act
    const run = (): boolean => testEventPattern({ source: 'aws.ec2' }, ec2TerminatedEvent);

    // Assess
    expect(run).toThrow(InvalidEventPatternError);
  });
});
