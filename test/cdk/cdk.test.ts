/*
 * Every assertion on the synthesized app, in one jest file. Each module in
 * ./suites holds one subject's describe blocks; run alone they would each
 * load aws-cdk-lib and synthesize the shop again in a new module registry
 * (about 5 s apiece on two cores, most of it before the first test), where
 * here they share one load and `shopTemplate()`'s synthesis. One subject:
 * `npx jest test/cdk -t cdk-nag` (`-t` takes a regular expression of describe and test names).
 */
import './suites/shop-stack';
import './suites/shop-stacks';
import './suites/stage';
import './suites/catalog';
import './suites/cors';
import './suites/throttles';
import './suites/deadlines';
import './suites/observability';
import './suites/dashboard';
import './suites/nag';
import './suites/order-saga';
import './suites/order-saga-express';
import './suites/order-cancellation';
import './suites/order-reconciler';
import './suites/esbuild-bundler';
import './suites/github-deploy-access';
import './suites/inventory-service';
import './suites/payments-service';
import './suites/openapi';
