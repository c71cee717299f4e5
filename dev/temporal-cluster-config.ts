/** The four services of a Temporal Server, each run as its own process in the cluster. */
export const CLUSTER_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ClusterServiceName = (typeof CLUSTER_SERVICES)[number];

export interface ClusterPorts {
  /** Temporal's own Postgres (persistence and visibility). */
  postgres: number;
  /** The frontend's HTTP API (the gRPC port is `grpc.frontend`). */
  frontendHttp: number;
  grpc: Record<ClusterServiceName, number>;
  membership: Record<ClusterServiceName, number>;
}

/**
 * A frontend that speaks only TLS and requires a client certificate, as a secured cluster's does.
 * The other services talk to each other in plaintext on loopback; the cluster's own worker service
 * is a frontend client like any other, so it presents a client certificate too.
 */
export interface ClusterTls {
  /** The CA that signed the server certificate and the client certificates the frontend accepts. */
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A name in the server certificate, which the worker service checks. */
  serverName: string;
  /** The worker service's own client certificate. */
  clientCertFile: string;
  clientKeyFile: string;
}

/** How many ports a cluster listens on, in the order `portsFromList` hands them out. */
export const CLUSTER_PORT_COUNT = 2 + CLUSTER_SERVICES.length * 2;

export function portsFromList(list: readonly number[]): ClusterPorts {
  if (list.length < CLUSTER_PORT_COUNT) throw new Error(`a cluster needs ${CLUSTER_PORT_COUNT} ports, got ${list.length}`);
  const [postgres, frontendHttp, ...rest] = list as number[];
  const pick = (offset: number) =>
    Object.fromEntries(CLUSTER_SERVICES.map((s, i) => [s, rest[offset + i]!])) as Record<ClusterServiceName, number>;
  return { postgres: postgres!, frontendHttp: frontendHttp!, grpc: pick(0), membership: pick(CLUSTER_SERVICES.length) };
}

/**
 * The server's static config (`<root>/config/<env>.yaml`), written as JSON, which YAML parsers
 * read as it is. One file for all four processes: each binds only its own service's ports, and
 * they find each other through the membership table in Postgres.
 */
export function renderClusterConfig(options: {
  ports: ClusterPorts;
  postgresUser: string;
  postgresPassword: string;
  dynamicConfigFile: string;
  logLevel: string;
  historyShards: number;
  tls?: ClusterTls;
}): string {
  const { ports } = options;
  for (const s of CLUSTER_SERVICES) {
    // cluster_membership.rpc_port is a smallint: a larger port fails only once the service joins.
    if (ports.membership[s] > 32767) throw new Error(`${s}'s membership port ${ports.membership[s]} must be below 32768`);
  }
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: options.postgresUser,
      password: options.postgresPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const services = Object.fromEntries(
    CLUSTER_SERVICES.map((s) => [
      s,
      {
        rpc: {
          grpcPort: ports.grpc[s],
          membershipPort: ports.membership[s],
          bindOnLocalHost: true,
          ...(s === 'frontend' ? { httpPort: ports.frontendHttp } : {}),
        },
      },
    ]),
  );
  const frontend = `127.0.0.1:${ports.grpc.frontend}`;
  return JSON.stringify(
    {
      log: { stdout: true, level: options.logLevel },
      persistence: {
        defaultStore: 'postgres-default',
        visibilityStore: 'postgres-visibility',
        // Fixed for the life of the database: changing it later needs a new database.
        numHistoryShards: options.historyShards,
        datastores: { 'postgres-default': datastore('temporal', 20), 'postgres-visibility': datastore('temporal_visibility', 4) },
      },
      // No pprof or metrics listeners: four processes would fight over the one port each names.
      global: {
        membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
        ...(options.tls ? { tls: renderTls(options.tls) } : {}),
      },
      services,
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontend } },
      },
      dcRedirectionPolicy: { policy: 'noop' },
      dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
    },
    null,
    2,
  );
}

/** The server's `global.tls` (go.temporal.io/server common/config RootTLS). */
function renderTls(tls: ClusterTls) {
  return {
    frontend: {
      server: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile, requireClientAuth: true, clientCaFiles: [tls.caFile] },
    },
    // Without this the worker service would dial the frontend in plaintext and be refused.
    systemWorker: {
      certFile: tls.clientCertFile,
      keyFile: tls.clientKeyFile,
      client: { serverName: tls.serverName, rootCaFiles: [tls.caFile] },
    },
  };
}

/**
 * Dynamic config: namespaces become visible to every service within a second of registration
 * (default 10 s), and a stopping frontend or matching drains briefly, so restarts stay short.
 */
export function renderDynamicConfig(): string {
  const value = (v: unknown) => [{ value: v, constraints: {} }];
  return JSON.stringify(
    {
      'system.namespaceCacheRefreshInterval': value('1s'),
      'limit.maxIDLength': value(255),
      'frontend.shutdownDrainDuration': value('2s'),
      'frontend.enableExecuteMultiOperation': value(true),
      'matching.shutdownDrainDuration': value('2s'),
      'system.enableNexus': value(false),
    },
    null,
    2,
  );
}
