/**
 * test/iam/grants.test.ts again, on the template with the Express saga
 * (`-c saga=express`): no grant missing and none unused there either. The
 * suite reads SHOP_SAGA_TYPE when its beforeAll starts the local cloud, after
 * this module (and the import, hoisted above the assignment) has run.
 */
process.env.SHOP_SAGA_TYPE = 'express';

import './grants.test';
