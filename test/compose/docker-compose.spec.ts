// Static checks of the container setup (docker-compose.yml, Dockerfile, .dockerignore). No Docker engine is
// needed: the compose file is parsed with `yaml` (with YAML merge keys, as compose resolves `<<: *anchor`).
// `docker compose config -q` is deliberately NOT used here: CI may lack the compose plugin.
import { readFileSync } from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '../..');
const COMPOSE_PATH = path.join(__dirname, '../../docker-compose.yml');

type Env = Record<string, string>;

interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  volumes?: unknown[];
}

interface ComposeFile {
  version?: unknown;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const APP_ENV = ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'CASSANDRA_LOCAL_DC', 'CASSANDRA_KEYSPACE'] as const;

function loadCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose allows `environment` as a map or as a list of KEY=VALUE; normalise both to a map of strings. */
function envOf(svc: Service): Env {
  const env: Env = {};
  const raw = svc.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq === -1) env[entry] = '';
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (raw) {
    for (const [k, v] of Object.entries(raw)) env[k] = v === null || v === undefined ? '' : String(v);
  }
  return env;
}

function commandOf(svc: Service): string {
  return Array.isArray(svc.command) ? svc.command.join(' ') : (svc.command ?? '');
}

function healthTest(svc: Service): string {
  const t = svc.healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
}

function service(compose: ComposeFile, name: string): Service {
  const svc = compose.services[name];
  if (!svc) throw new Error(`service ${name} missing from docker-compose.yml`);
  return svc;
}

describe('docker-compose.yml', () => {
  const compose = loadCompose();

  it('uses the compose spec (no version key) and defines the four services', () => {
    expect(compose.version).toBeUndefined();
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'cassandra', 'fanout-worker', 'kafka']);
  });

  it('documents the scaled start-up command in its header', () => {
    const text = readFileSync(COMPOSE_PATH, 'utf8');
    expect(text).toMatch(/^#.*AUTH_JWT_SECRET=\S+ docker compose up --build --scale fanout-worker=3/m);
  });

  it('every service has an enabled healthcheck', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect({ name, disabled: svc.healthcheck?.disable ?? false }).toEqual({ name, disabled: false });
      expect({ name, test: healthTest(svc).length > 0 }).toEqual({ name, test: true });
    }
  });

  describe('cassandra', () => {
    const cassandra = service(compose, 'cassandra');
    const env = envOf(cassandra);

    it('runs Cassandra 5.0.x with a bounded heap and the tideline cluster name', () => {
      expect(cassandra.image).toMatch(/^cassandra:5\.0\.\d+$/);
      expect(env).toMatchObject({ MAX_HEAP_SIZE: '1G', HEAP_NEWSIZE: '200M', CASSANDRA_CLUSTER_NAME: 'tideline' });
    });

    it('publishes 9042 and keeps data in a named volume', () => {
      expect((cassandra.ports ?? []).map(String)).toContain('9042:9042');
      expect(cassandra.volumes).toContain('cassandra-data:/var/lib/cassandra');
      expect(compose.volumes).toHaveProperty('cassandra-data');
    });

    it('is healthy only once CQL answers', () => {
      expect(healthTest(cassandra)).toContain("cqlsh -e 'describe keyspaces'");
      expect(cassandra.healthcheck).toMatchObject({ interval: '10s', retries: 30, start_period: '60s' });
    });
  });

  describe('kafka', () => {
    const kafka = service(compose, 'kafka');
    const env = envOf(kafka);

    it('runs apache/kafka 3.9.x as one combined KRaft broker+controller', () => {
      expect(kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
      expect(env.KAFKA_PROCESS_ROLES?.split(',').map((r) => r.trim()).sort()).toEqual(['broker', 'controller']);
      expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@kafka:29093$/);
      expect(env.KAFKA_NODE_ID).toBe('1');
    });

    it('is reachable as kafka:19092 from containers and localhost:9092 from the host', () => {
      const listeners = env.KAFKA_LISTENERS ?? '';
      expect(listeners).toContain('PLAINTEXT://:19092');
      expect(listeners).toContain('PLAINTEXT_HOST://:9092');
      expect(listeners).toContain('CONTROLLER://:29093');
      const advertised = (env.KAFKA_ADVERTISED_LISTENERS ?? '').split(',');
      expect(advertised).toEqual(
        expect.arrayContaining(['PLAINTEXT://kafka:19092', 'PLAINTEXT_HOST://localhost:9092']),
      );
      // The controller listener must never be advertised to clients.
      expect(advertised.some((l) => l.startsWith('CONTROLLER'))).toBe(false);
      const protocols = (env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',');
      expect(protocols).toEqual(
        expect.arrayContaining(['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', 'PLAINTEXT_HOST:PLAINTEXT']),
      );
      expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('PLAINTEXT');
      expect((kafka.ports ?? []).map(String)).toContain('9092:9092');
    });

    it('is configured for a single node, with topics created by the apps only', () => {
      expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
      expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
      expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
      expect(env.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS).toBe('0');
      expect(env.KAFKA_HEAP_OPTS).toBe('-Xmx512m -Xms256m');
    });

    it('keeps its log dirs in a named volume', () => {
      expect(kafka.volumes).toContain(`kafka-data:${env.KAFKA_LOG_DIRS}`);
      expect(compose.volumes).toHaveProperty('kafka-data');
    });

    it('is healthy only once the broker answers on its own listener', () => {
      expect(healthTest(kafka)).toMatch(
        /\/opt\/kafka\/bin\/kafka-(broker-api-versions|topics)\.sh .*--bootstrap-server localhost:9092/,
      );
    });
  });

  describe.each([
    ['api', 'dist/apps/api/src/main.js', 3000],
    ['fanout-worker', 'dist/apps/fanout-worker/src/main.js', 9464],
  ])('%s', (name, entry, port) => {
    const svc = service(compose, name);
    const env = envOf(svc);

    it('is built from the repo Dockerfile and runs its own entry point', () => {
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      expect(build?.context).toBe('.');
      expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
      // `node [node flags] <entry>`; the worker runs with a fixed old-space limit (flat memory).
      expect(commandOf(svc)).toMatch(new RegExp(`^node (--[\\w=-]+ )*${entry.replace(/\./g, '\\.')}$`));
      if (name === 'fanout-worker') expect(commandOf(svc)).toContain('--max-old-space-size=');
    });

    it('starts only after Cassandra and Kafka are healthy', () => {
      expect(Array.isArray(svc.depends_on)).toBe(false);
      expect(svc.depends_on).toMatchObject({
        cassandra: { condition: 'service_healthy' },
        kafka: { condition: 'service_healthy' },
      });
    });

    it('gets every setting the apps need, pointing at the in-network addresses', () => {
      for (const key of APP_ENV) expect({ key, set: (env[key] ?? '') !== '' }).toEqual({ key, set: true });
      expect(env.KAFKA_BROKERS).toBe('kafka:19092');
      expect(env.CASSANDRA_CONTACT_POINTS).toBe('cassandra:9042');
      expect(env.CASSANDRA_LOCAL_DC).toBe('datacenter1');
      expect(env.CASSANDRA_KEYSPACE).toBe('tideline');
      expect(env.MIGRATE_ON_START).toBe('true');
      expect(env.LOG_LEVEL).toBe('info');
    });

    it(`is healthy only when GET http://127.0.0.1:${port}/health/ready answers 200, without curl`, () => {
      const test = healthTest(svc);
      expect(test).toContain(`http://127.0.0.1:${port}/health/ready`);
      expect(test).toMatch(/^CMD(-SHELL)? node -e /);
      expect(test).toContain('200');
      expect(test).not.toContain('curl');
    });
  });

  describe('api', () => {
    const api = service(compose, 'api');
    const env = envOf(api);

    it('listens on 3000 and publishes it', () => {
      expect(env.PORT).toBe('3000');
      expect((api.ports ?? []).map(String)).toContain('3000:3000');
    });

    it('requires AUTH_JWT_SECRET from the environment (no default)', () => {
      expect(env.AUTH_JWT_SECRET).toMatch(/^\$\{AUTH_JWT_SECRET:\?[^}]*\}$/);
    });
  });

  describe('fanout-worker', () => {
    const worker = service(compose, 'fanout-worker');
    const env = envOf(worker);

    it('can be scaled: no container_name and no published host ports', () => {
      expect(worker.container_name).toBeUndefined();
      expect(worker.ports ?? []).toEqual([]);
    });

    it('serves health on WORKER_HTTP_PORT 9464 and gets no API-only settings', () => {
      expect(env.WORKER_HTTP_PORT).toBe('9464');
      expect(env).not.toHaveProperty('PORT');
      expect(env).not.toHaveProperty('AUTH_JWT_SECRET');
    });

    it('runs the same image as the api', () => {
      const api = service(compose, 'api');
      expect(worker.build).toEqual(api.build);
      if (api.image !== undefined || worker.image !== undefined) expect(worker.image).toBe(api.image);
    });
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  // Instructions without comments; line continuations joined.
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  // Global ARG defaults (before the first FROM) so `FROM ${NODE_IMAGE}` can be resolved.
  const args: Record<string, string> = {};
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) break;
    const m = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (m?.[1] && m[2]) args[m[1]] = m[2];
  }
  const resolve = (s: string): string => s.replace(/\$\{?(\w+)\}?/g, (_, n: string) => args[n] ?? '');

  const stages: string[][] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) stages.push([line]);
    else stages[stages.length - 1]?.push(line);
  }
  const finalStage = stages[stages.length - 1] ?? [];
  const baseImages = stages.map((s) => resolve((s[0] ?? '').split(/\s+/)[1] ?? ''));

  it('is multi-stage on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const image of baseImages) expect(image).toBe('node:20-bookworm-slim');
  });

  it('installs with npm ci, builds, and prunes dev dependencies', () => {
    const runs = lines.filter((l) => /^RUN\s/i.test(l)).join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(runs).toMatch(/\bnpm prune --omit=dev\b/);
  });

  it('final stage copies the compiled dist and production node_modules from a build stage', () => {
    // Source paths (last path basename) of every `COPY --from=<stage> ... <dest>` in the final stage.
    const copiedFromStages = finalStage
      .filter((l) => /^COPY\s+(--\S+\s+)*--from=/i.test(l))
      .flatMap((l) => {
        const paths = l.split(/\s+/).slice(1).filter((t) => !t.startsWith('--'));
        return paths.slice(0, -1).map((p) => p.replace(/\/+$/, '').split('/').pop());
      });
    expect(copiedFromStages).toContain('dist');
    expect(copiedFromStages).toContain('node_modules');
  });

  it('final stage runs as a non-root user', () => {
    const users = finalStage.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1] ?? '').split(/\s+/)[1]?.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('defaults to one of the two app entry points', () => {
    const cmd = finalStage.filter((l) => /^(CMD|ENTRYPOINT)\s/i.test(l)).join(' ');
    expect(cmd).toMatch(/dist\/apps\/(api|fanout-worker)\/src\/main\.js/);
  });
});

describe('.dockerignore', () => {
  const entries = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^\/+|\/+$/g, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));

  it.each(['node_modules', 'dist', '.infra', '.git', 'bench/results', 'coverage'])('excludes %s', (entry) => {
    expect(entries).toContain(entry);
  });
});
