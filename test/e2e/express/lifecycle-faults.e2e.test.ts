/**
 * test/e2e/lifecycle-faults.e2e.test.ts again, on the local cloud synthesized with the
 * Express saga (`-c saga=express`): every scenario that goes through the
 * saga runs on both workflow types. The suite reads SHOP_SAGA_TYPE when its
 * beforeAll starts the target, after this module (and the import, which is
 * hoisted above the assignment) has run.
 */
process.env.SHOP_SAGA_TYPE = 'express';

import '../lifecycle-faults.e2e.test';
