import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CLUSTER_PORT_COUNT,
  CLUSTER_SERVICES,
  portsFromList,
  renderClusterConfig,
  renderDynamicConfig,
} from './temporal-cluster-config.js';

const ports = portsFromList(Array.from({ length: CLUSTER_PORT_COUNT }, (_, i) => 21000 + i));
const render = (p = ports) =>
  renderClusterConfig({
    ports: p,
    postgresUser: 'u',
    postgresPassword: 'p',
    dynamicConfigFile: '/d.yaml',
    logLevel: 'warn',
    historyShards: 4,
  });

describe('Temporal cluster config', () => {
  it('gives every service its own gRPC and membership port, all distinct, and points both stores at the one Postgres', () => {
    const config = parse(render());
    const used = [config.services.frontend.rpc.httpPort];
    for (const s of CLUSTER_SERVICES) used.push(config.services[s].rpc.grpcPort, config.services[s].rpc.membershipPort);
    expect(new Set([...used, ports.postgres]).size).toBe(CLUSTER_PORT_COUNT);
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe(`127.0.0.1:${ports.grpc.frontend}`);
    for (const store of Object.values(config.persistence.datastores) as Array<{ sql: { connectAddr: string; pluginName: string } }>) {
      expect(store.sql).toMatchObject({ connectAddr: `127.0.0.1:${ports.postgres}`, pluginName: 'postgres12' });
    }
    expect(parse(renderDynamicConfig())['system.namespaceCacheRefreshInterval']).toEqual([{ value: '1s', constraints: {} }]);
  });

  it('refuses a membership port the smallint column cannot hold', () => {
    expect(() => render({ ...ports, membership: { ...ports.membership, history: 40000 } })).toThrow(
      /history's membership port 40000 must be below 32768/,
    );
  });

  it('renders no TLS by default, and with TLS a frontend requiring client certificates and a worker service presenting one', () => {
    expect(parse(render()).global.tls).toBeUndefined();
    const tls = {
      caFile: '/t/ca.pem',
      serverCertFile: '/t/s.pem',
      serverKeyFile: '/t/s.key',
      serverName: 'localhost',
      clientCertFile: '/t/c.pem',
      clientKeyFile: '/t/c.key',
    };
    const config = parse(
      renderClusterConfig({
        ports,
        postgresUser: 'u',
        postgresPassword: 'p',
        dynamicConfigFile: '/d.yaml',
        logLevel: 'warn',
        historyShards: 4,
        tls,
      }),
    );
    expect(config.global.tls).toEqual({
      frontend: { server: { certFile: '/t/s.pem', keyFile: '/t/s.key', requireClientAuth: true, clientCaFiles: ['/t/ca.pem'] } },
      systemWorker: { certFile: '/t/c.pem', keyFile: '/t/c.key', client: { serverName: 'localhost', rootCaFiles: ['/t/ca.pem'] } },
    });
    expect(config.global.membership.broadcastAddress).toBe('127.0.0.1');
  });
});
