import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ShopApi } from './constructs/shop-api';
import { ShopBus } from './constructs/shop-bus';
import { CatalogService } from './services/catalog';
import { HealthCheck } from './services/health';

/** Props of {@link ShopStack}. */
export interface ShopStackProps extends StackProps {
  /** Version of the code, from `git describe`. @default 'unknown' */
  readonly version?: string;
}

/** The whole shop. The stack only composes; each construct owns one concern. */
export class ShopStack extends Stack {
  public constructor(scope: Construct, id: string, props: ShopStackProps = {}) {
    super(scope, id, props);
    const version = props.version ?? 'unknown';
    const alarmTopic = new Topic(this, 'Alarms', { displayName: 'serverless-shop alarms', enforceSSL: true });
    const api = new ShopApi(this, 'Api', { alarmTopic });
    const bus = new ShopBus(this, 'Events', { alarmTopic });

    const catalog = new CatalogService(this, 'Catalog', { api, version });

    new HealthCheck(this, 'Health', { api, version, tables: { catalog: catalog.table } });

    new CfnOutput(this, 'EventBusName', { key: 'EventBusName', value: bus.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { key: 'AlarmTopicArn', value: alarmTopic.topicArn });
  }
}
