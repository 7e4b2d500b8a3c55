// The OpenTelemetry SDK, loaded by tracing.ts only when tracing is on: the SDK brings every exporter (gRPC,
// protobuf) and slows every start, and the semantic conventions are some 300 kB of source kept in memory for two
// names. Its packages are imported statically here, and this module dynamically: bundled (scripts/bundle.ts),
// a dynamic import() of a CommonJS package yields only its `default`, not its named exports.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export { ATTR_SERVICE_NAME };

/** A started NodeSDK exporting traces only; the NodeSDK puts the env detector's resource over this one. */
export function startNodeSdk(serviceName: string, serviceVersion: string, attributes: Readonly<Record<string, string>>): NodeSDK {
  const resource = defaultResource().merge(resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: serviceVersion,
    ...attributes,
  }));
  // Traces only: tunnelwatch's metrics are Prometheus and its logs go through its own log pipeline.
  const sdk = new NodeSDK({ resource, instrumentations: [], metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  return sdk;
}
