/**
 * Jest's order, with the suites known to take longest first. On a clean
 * machine jest has no timings yet and orders by file size, which put the
 * soak (about 3 minutes on one worker) and the IAM grant proofs after
 * dozens of short suites: the run then ended with one worker busy and the
 * other idle. Started first, they overlap the short ones instead.
 */
const Sequencer = require('@jest/test-sequencer').default;

/** Longest first, as measured in a full run on a quiet 2-core machine (seconds on one worker, the other busy). */
const SLOW = [
  /\/test\/soak\/soak\.test\.ts$/, // 154 s
  /\/test\/iam\/grants\.test\.ts$/, // 58 s
  /\/test\/ops\/redrive\.test\.ts$/, // 45 s
  /\/test\/iam\/grants-express\.test\.ts$/, // 40 s
  /\/test\/iam\/grant-removal\.test\.ts$/, // 38 s
  /\/test\/cdk\/cdk\.test\.ts$/, // 36 s
  /\/test\/saga\/payment-breaker\.test\.ts$/, // 35 s
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = SLOW.findIndex((pattern) => pattern.test(test.path));
      return index === -1 ? SLOW.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowFirstSequencer;
