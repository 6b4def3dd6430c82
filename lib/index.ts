export * from './bootstrap';
export * from './capability';
export * from './cloud-config';
export * from './cluster';
export * from './executor-sizing';
export * from './external-network';
export * from './flavor';
export * from './high-availability';
export * from './image';
export * from './key-pair';
export * from './master';
export * from './monitoring';
export * from './network';
export * from './object-storage';
export * from './security';
export * from './server-options';
export * from './spark-version';
export * from './web-ui-tls';
export * from './worker-pool';
export { SparkConfigError } from './private/errors';
// The generated provider class, so stacks that use the library can configure the provider
// without generating bindings of their own (the library never configures it itself).
export { OpenstackProvider, OpenstackProviderConfig } from '../.gen/providers/openstack/provider';
