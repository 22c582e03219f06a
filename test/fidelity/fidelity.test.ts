import { existsSync } from 'node:fs';
import { SCENARIOS } from './scenarios';
import { describeVerdict, differences, goldenFile, judge, readGolden, readKnownDrift, writeRecordedGolden, type KnownDrift } from './support/goldens';
import { Normalizer } from './support/normalize';
import { FidelityConfigurationError, startFidelityTarget, targetKind, type FidelityTarget } from './support/target';

/*
 * The fidelity suite: every scenario drives the probe app (bin/fidelity-probe.ts)
 * and compares its normalized observation with goldens/<scenario>.json.
 *
 * - FIDELITY_TARGET=local (the default, part of `npm test`): the local cloud,
 *   started here from a fresh synth of the probe. A difference from the golden
 *   fails unless known-drift.json accepts it; an accepted drift that no longer
 *   differs fails too.
 * - FIDELITY_TARGET=aws: the probe deployed with `npm run fidelity:deploy`;
 *   any difference fails (drift is the local cloud's, never AWS's).
 * - FIDELITY_RECORD=1 with FIDELITY_TARGET=aws rewrites the goldens from AWS.
 *   Goldens never come from the emulator: with the local target it refuses.
 */

const kind = targetKind();
const recording = ['1', 'true', 'yes'].includes((process.env.FIDELITY_RECORD ?? '').trim().toLowerCase());
jest.setTimeout(kind === 'aws' ? 300_000 : 30_000);

let target: FidelityTarget | undefined;
let normalize: Normalizer;
let drift: KnownDrift[];

beforeAll(async () => {
  if (recording && kind !== 'aws') {
    throw new FidelityConfigurationError('FIDELITY_RECORD=1 needs FIDELITY_TARGET=aws: goldens are recorded from AWS, never from the local cloud.');
  }
  drift = readKnownDrift();
  target = await startFidelityTarget();
  normalize = new Normalizer(target);
}, 240_000);

afterAll(async () => {
  await target?.stop();
}, 60_000);

const running = (): FidelityTarget => {
  if (!target) throw new FidelityConfigurationError('The fidelity target did not start (see the error of beforeAll).');
  return target;
};

describe(`fidelity: ${recording ? 'recording goldens from' : 'comparing with the goldens'} ${kind === 'aws' ? 'the probe on AWS' : 'the local cloud'}`, () => {
  it('names only scenarios of the suite in known-drift.json', () => {
    // Prepare
    const names = new Set(SCENARIOS.map((scenario) => scenario.name));

    // Act
    const orphans = readKnownDrift().filter((entry) => !names.has(entry.scenario));

    // Assess
    expect(orphans).toEqual([]);
  });

  (recording ? it.skip : it)('has a golden for every scenario', () => {
    // Act
    const withoutGolden = SCENARIOS.filter((scenario) => !existsSync(goldenFile(scenario.name))).map((scenario) => scenario.name);

    // Assess
    expect(withoutGolden).toEqual([]);
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      // Prepare
      const on = running();

      // Act
      let observation;
      try {
        observation = await scenario.run(on, normalize);
      } catch (error) {
        throw new Error(`${scenario.name} failed on ${on.description}: ${error instanceof Error ? error.message : String(error)}\n${on.diagnostics()}`, { cause: error });
      }

      // Assess
      if (recording) {
        writeRecordedGolden(scenario.name, observation, on.region);
        return;
      }
      const golden = readGolden(scenario.name);
      if (on.kind === 'aws') {
        expect(differences(golden.observation, observation)).toEqual([]);
        return;
      }
      const verdict = judge(scenario.name, golden.observation, observation, drift);
      expect(describeVerdict(scenario.name, verdict)).toBe('');
    });
  }

  (kind === 'local' ? it : it.skip)('local cloud: IAM denied exactly the calls the probe makes AWS deny, and nothing else', () => {
    // Prepare
    const on = running();
    const expected = [
      // iam-missing-grant: the function's role has no grant on the table.
      'arn:aws:sts::<account>:assumed-role/<BehaveRole>/<BehaveFunction> dynamodb:GetItem arn:aws:dynamodb:<region>:<account>:table/<ProbeTable>',
      // eventbridge-dlq-no-permissions: the function has no permission for that rule.
      'events.amazonaws.com lambda:InvokeFunction arn:aws:lambda:<region>:<account>:function:<BehaveFunction>',
      // http-api-missing-permission: the twin grants API Gateway nothing.
      'apigateway.amazonaws.com lambda:InvokeFunction arn:aws:lambda:<region>:<account>:function:<TwinFunction>',
    ];

    // Act
    const denied = [...new Set((on.iamDenials?.() ?? []).map((denial) => normalize.text(denial)))];

    // Assess
    expect(denied.sort()).toEqual(expected.sort());
  });
});
