import {
  IntrinsicResolutionError,
  partitionOf,
  resolveIntrinsics,
  type IntrinsicContext,
  type JsonValue,
  type PseudoParameters,
} from '../../local/cloudformation/intrinsics';

const pseudoParameters: PseudoParameters = { region: 'eu-west-1', accountId: '111122223333', stackName: 'Shop' };

const resources: Record<string, { readonly ref: JsonValue; readonly attributes: Record<string, JsonValue> }> = {
  Fn: { ref: 'shop-fn', attributes: { Arn: 'arn:aws:lambda:eu-west-1:111122223333:function:shop-fn' } },
  Db: { ref: 'db-1', attributes: { 'Endpoint.Address': 'db.local', 'Endpoint.Port': '5432' } },
  Subnets: { ref: ['subnet-a', 'subnet-b'], attributes: {} },
  AttrName: { ref: 'Arn', attributes: {} },
  Port: { ref: 8080, attributes: {} },
};

const context = (pseudo: Partial<PseudoParameters> = {}): IntrinsicContext => ({
  lookups: {
    ref: (logicalId) => resources[logicalId]?.ref,
    getAtt: (logicalId, attribute) => resources[logicalId]?.attributes[attribute],
  },
  pseudoParameters: { ...pseudoParameters, ...pseudo },
});

const resolve = (value: unknown, pseudo?: Partial<PseudoParameters>): JsonValue => resolveIntrinsics(value, context(pseudo));

/** The error resolving `value` raises (fails the test when there is none). */
const errorOf = (value: unknown, path?: string): IntrinsicResolutionError => {
  try {
    resolveIntrinsics(value, context(), path);
  } catch (error) {
    if (error instanceof IntrinsicResolutionError) return error;
    throw error;
  }
  throw new Error('expected an IntrinsicResolutionError');
};

describe('resolveIntrinsics', () => {
  it('returns literals unchanged and resolves inside objects and lists without modifying them', () => {
    // Prepare
    const template = { a: [1, true, null, 'x', { Ref: 'Fn' }], b: { c: { 'Fn::GetAtt': ['Fn', 'Arn'] } } };
    const before = JSON.stringify(template);

    // Act
    const resolved = resolve(template);

    // Assess
    expect(resolved).toEqual({ a: [1, true, null, 'x', 'shop-fn'], b: { c: 'arn:aws:lambda:eu-west-1:111122223333:function:shop-fn' } });
    expect(JSON.stringify(template)).toBe(before);
  });

  it('treats an object with more than one key as data, even when one key is Ref', () => {
    expect(resolve({ Ref: 'not-a-reference', Other: 1 })).toEqual({ Ref: 'not-a-reference', Other: 1 });
  });

  describe('Ref', () => {
    it('answers logical ids with the lookup, whatever JSON it gives', () => {
      expect(resolve({ Ref: 'Fn' })).toBe('shop-fn');
      expect(resolve({ Ref: 'Subnets' })).toEqual(['subnet-a', 'subnet-b']);
    });

    it.each([
      ['AWS::Region', 'eu-west-1'],
      ['AWS::AccountId', '111122223333'],
      ['AWS::StackName', 'Shop'],
      ['AWS::Partition', 'aws'],
      ['AWS::URLSuffix', 'amazonaws.com'],
    ])('answers %s from the pseudo parameters', (name, expected) => {
      expect(resolve({ Ref: name })).toBe(expected);
    });

    it('derives the partition and URL suffix from the region unless given', () => {
      expect(resolve({ Ref: 'AWS::Partition' }, { region: 'cn-north-1' })).toBe('aws-cn');
      expect(resolve({ Ref: 'AWS::URLSuffix' }, { region: 'cn-north-1' })).toBe('amazonaws.com.cn');
      expect(resolve({ Ref: 'AWS::Partition' }, { region: 'us-gov-west-1' })).toBe('aws-us-gov');
      expect(resolve({ Ref: 'AWS::Partition' }, { partition: 'aws-iso' })).toBe('aws-iso');
      expect(resolve({ Ref: 'AWS::URLSuffix' }, { urlSuffix: 'localhost' })).toBe('localhost');
    });

    it('answers AWS::StackId only when it is given', () => {
      expect(resolve({ Ref: 'AWS::StackId' }, { stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Shop/1' })).toBe(
        'arn:aws:cloudformation:eu-west-1:111122223333:stack/Shop/1',
      );
      expect(errorOf({ Ref: 'AWS::StackId' }).reason).toBe('AWS::StackId was not given');
    });

    it('refuses unknown logical ids and pseudo parameters, naming the path', () => {
      expect(errorOf({ Properties: { Name: { Ref: 'Missing' } } }, 'Resources.Queue')).toMatchObject({
        path: 'Resources.Queue.Properties.Name.Ref',
        reason: 'Ref to unknown logical id Missing',
      });
      expect(errorOf({ Ref: 'AWS::NoValue' }).reason).toBe('pseudo parameter AWS::NoValue is not supported');
      expect(errorOf({ Ref: 42 }).reason).toMatch(/Ref takes a logical id/);
    });
  });

  describe('Fn::GetAtt', () => {
    it('accepts the list and the dotted string forms, with dotted attribute names', () => {
      expect(resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:shop-fn');
      expect(resolve({ 'Fn::GetAtt': 'Fn.Arn' })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:shop-fn');
      expect(resolve({ 'Fn::GetAtt': 'Db.Endpoint.Address' })).toBe('db.local');
      expect(resolve({ 'Fn::GetAtt': ['Db', 'Endpoint.Port'] })).toBe('5432');
    });

    it('resolves an attribute name given by Ref', () => {
      expect(resolve({ 'Fn::GetAtt': ['Fn', { Ref: 'AttrName' }] })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:shop-fn');
    });

    it('refuses unknown attributes and malformed arguments', () => {
      expect(errorOf({ 'Fn::GetAtt': ['Fn', 'Nope'] })).toMatchObject({ path: 'Fn::GetAtt', reason: 'Fn::GetAtt Fn.Nope is unknown' });
      expect(errorOf({ 'Fn::GetAtt': ['Missing', 'Arn'] }).reason).toBe('Fn::GetAtt Missing.Arn is unknown');
      expect(errorOf({ 'Fn::GetAtt': 'NoDot' }).reason).toMatch(/LogicalId\.Attribute/);
      expect(errorOf({ 'Fn::GetAtt': ['Fn'] }).reason).toMatch(/takes \[logicalId, attribute\]/);
      expect(errorOf({ 'Fn::GetAtt': [{ Ref: 'Fn' }, 'Arn'] }).reason).toMatch(/logical id of Fn::GetAtt must be a literal string/);
    });
  });

  describe('Fn::Join', () => {
    it('joins resolved strings with the delimiter', () => {
      expect(resolve({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'sqs', { Ref: 'AWS::Region' }]] })).toBe('arn:aws:sqs:eu-west-1');
      expect(resolve({ 'Fn::Join': ['', []] })).toBe('');
    });

    it('joins a list an intrinsic gives', () => {
      expect(resolve({ 'Fn::Join': [',', { Ref: 'Subnets' }] })).toBe('subnet-a,subnet-b');
      expect(resolve({ 'Fn::Join': ['-', { 'Fn::Split': ['.', 'a.b.c'] }] })).toBe('a-b-c');
    });

    it('resolves a CDK-style definition string', () => {
      // Prepare
      const definitionString = { 'Fn::Join': ['', ['{"Resource":"', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '","Partition":"', { Ref: 'AWS::Partition' }, '"}']] };

      // Act
      const resolved = resolve(definitionString);

      // Assess
      expect(JSON.parse(String(resolved))).toEqual({ Resource: 'arn:aws:lambda:eu-west-1:111122223333:function:shop-fn', Partition: 'aws' });
    });

    it('refuses anything but strings to join, naming the element', () => {
      expect(errorOf({ Value: { 'Fn::Join': ['', ['a', { Ref: 'Port' }]] } })).toMatchObject({
        path: 'Value.Fn::Join[1][1]',
        reason: 'Fn::Join can only join strings, got number 8080',
      });
      expect(errorOf({ 'Fn::Join': ['', { Ref: 'Fn' }] }).reason).toBe('Fn::Join needs a list of strings, got string "shop-fn"');
      expect(errorOf({ 'Fn::Join': [{ Ref: 'Fn' }, ['a']] }).path).toBe('Fn::Join[0]');
      expect(errorOf({ 'Fn::Join': ['a'] }).reason).toMatch(/takes \[delimiter, \[values\]\]/);
    });
  });

  describe('Fn::Sub', () => {
    it('substitutes references, attributes and pseudo parameters in the string form', () => {
      expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${Fn}' })).toBe(
        'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/shop-fn',
      );
      expect(resolve({ 'Fn::Sub': '${Fn.Arn}:live' })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:shop-fn:live');
      expect(resolve({ 'Fn::Sub': 'postgres://${Db.Endpoint.Address}' })).toBe('postgres://db.local');
    });

    it('keeps ${!Literal} as the literal ${Literal}', () => {
      expect(resolve({ 'Fn::Sub': '${!Fn} is ${Fn}' })).toBe('${Fn} is shop-fn');
    });

    it('uses the variables of the list form first, resolving them', () => {
      expect(resolve({ 'Fn::Sub': ['${Fn}/${Name}/${AWS::Region}', { Fn: 'overridden', Name: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] } }] })).toBe(
        'overridden/db.local/eu-west-1',
      );
    });

    it('refuses unknown names, non-string values and malformed arguments', () => {
      expect(errorOf({ 'Fn::Sub': 'x-${Missing}' }, 'Outputs.Url.Value')).toMatchObject({
        path: 'Outputs.Url.Value.Fn::Sub',
        reason: 'Ref to unknown logical id Missing',
      });
      expect(errorOf({ 'Fn::Sub': '${Subnets}' }).reason).toBe('${Subnets} in Fn::Sub must give a string, got a list');
      expect(errorOf({ 'Fn::Sub': ['${X}', { X: { Ref: 'Port' } }] })).toMatchObject({ path: 'Fn::Sub[1].X', reason: 'Fn::Sub variable X must be a string, got number 8080' });
      expect(errorOf({ 'Fn::Sub': ['${X}', ['not', 'an', 'object']] }).path).toBe('Fn::Sub[1]');
      expect(errorOf({ 'Fn::Sub': [{ Ref: 'Fn' }, {}] }).path).toBe('Fn::Sub[0]');
      expect(errorOf({ 'Fn::Sub': 'a ${} b' }).reason).toMatch(/empty placeholder/);
    });
  });

  describe('Fn::Select and Fn::Split', () => {
    it('selects by a number or a numeric string from a literal or computed list', () => {
      expect(resolve({ 'Fn::Select': [1, ['a', { Ref: 'Fn' }]] })).toBe('shop-fn');
      expect(resolve({ 'Fn::Select': ['0', { Ref: 'Subnets' }] })).toBe('subnet-a');
      expect(resolve({ 'Fn::Select': [5, { 'Fn::Split': ['/', 'arn:aws:states:::stateMachine/x/y/z/w/last'] }] })).toBe('last');
    });

    it('splits a resolved string', () => {
      expect(resolve({ 'Fn::Split': [':', { 'Fn::GetAtt': ['Fn', 'Arn'] }] })).toEqual(['arn', 'aws', 'lambda', 'eu-west-1', '111122223333', 'function', 'shop-fn']);
      expect(resolve({ 'Fn::Split': [',', 'only'] })).toEqual(['only']);
    });

    it('refuses out-of-bounds and non-integer indexes and splitting non-strings', () => {
      expect(errorOf({ 'Fn::Select': [2, ['a', 'b']] }).reason).toBe('index 2 is out of bounds of a list of 2');
      expect(errorOf({ 'Fn::Select': [-1, ['a']] }).path).toBe('Fn::Select[0]');
      expect(errorOf({ 'Fn::Select': ['1.5', ['a']] }).path).toBe('Fn::Select[0]');
      expect(errorOf({ 'Fn::Select': [0, { Ref: 'Fn' }] }).reason).toBe('Fn::Select needs a list, got string "shop-fn"');
      expect(errorOf({ 'Fn::Split': ['', 'abc'] }).reason).toMatch(/non-empty literal string/);
      expect(errorOf({ 'Fn::Split': [',', { Ref: 'Subnets' }] }).reason).toBe('Fn::Split needs a string to split, got a list');
    });
  });

  it.each(['Fn::If', 'Fn::ImportValue', 'Fn::FindInMap', 'Fn::GetAZs', 'Fn::Base64', 'Fn::Cidr', 'Fn::Equals', 'Fn::Transform', 'Fn::Whatever'])(
    'refuses %s, naming where it is',
    (name) => {
      expect(errorOf({ Resources: { Topic: { Properties: { TopicName: { [name]: ['x'] } } } } })).toMatchObject({
        path: `Resources.Topic.Properties.TopicName.${name}`,
        reason: `${name} is not supported`,
        message: `Cannot resolve intrinsic at Resources.Topic.Properties.TopicName.${name}: ${name} is not supported`,
      });
    },
  );

  it('reports paths through list indexes', () => {
    expect(errorOf({ Statement: [{ Resource: 'a' }, { Resource: [{ 'Fn::If': [] }] }] }).path).toBe('Statement[1].Resource[0].Fn::If');
  });

  it('refuses values that are not JSON', () => {
    expect(errorOf({ a: undefined }).reason).toBe('a undefined is not a template value');
    expect(errorOf({ a: Number.NaN }).path).toBe('a');
  });
});

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-east-1', 'aws-us-gov'],
  ])('puts %s in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});
