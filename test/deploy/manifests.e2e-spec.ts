import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type MuninnConfig, VARIABLES, WATCHED_PREFIXES, loadConfig } from '@app/config';
import {
  DEPLOY,
  type Doc,
  HELM_CHART,
  type MuninnContainer,
  type PodContainer,
  ROOT,
  SERVED_PATHS,
  allMuninnContainers,
  composeFile,
  composeFiles,
  dockerfile,
  filesUnder,
  helmContext,
  imageContainers,
  k8sContainers,
  k8sDocs,
  leafPaths,
  podSpec,
  rel,
  renderChart,
  renderHelm,
  yamlDocs,
} from './artefacts.js';
import { buildContextFiles, dockerignore, imageTarget } from './dockerfile.js';

/**
 * Static checks that the deployment artefacts agree with the code: every variable they set is one
 * libs/config accepts for that node role (and the whole environment passes its validation), every
 * probe reaches a served path on the port the node binds, and the objects reference each other
 * correctly. The image test (image.e2e-spec.ts) runs the same probes against real processes.
 */

const PROBE_PATHS: Record<string, readonly string[]> = {
  startupProbe: ['/health/live'],
  livenessProbe: ['/health/live'],
  readinessProbe: ['/health/ready'],
  HEALTHCHECK: ['/health/live'],
  healthcheck: ['/health/live', '/health/ready'],
};

/** Everything wrong with one container; the config it would run with when it is valid. */
function check(c: MuninnContainer): { problems: string[]; config?: MuninnConfig } {
  const problems = [...c.problems];
  for (const name of c.setNames) {
    const spec = VARIABLES.find((v) => v.name === name);
    if (spec && !spec.roles.includes(c.role)) {
      problems.push(`${name} is a ${spec.roles.join('/')} variable; it does nothing on a ${c.role} node`);
    } else if (
      !spec &&
      !(c.expansionHelpers.includes(name) && !WATCHED_PREFIXES.some((p) => name.startsWith(p)))
    ) {
      problems.push(`${name} is not a variable libs/config knows`);
    }
  }
  let config: MuninnConfig | undefined;
  try {
    const loaded = loadConfig(c.role, c.env);
    config = loaded.config;
    problems.push(...loaded.warnings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const port = config?.server.bind.port;
  if (port !== undefined && !c.ports.includes(port) && (c.ports.length > 0 || c.requirePort)) {
    problems.push(`declares port(s) ${c.ports.join(', ') || 'none'}, but BIND is port ${port}`);
  }
  for (const p of c.probes) {
    if (!SERVED_PATHS[c.role].includes(p.path))
      problems.push(`${p.kind} ${p.path} is not served by ${c.role}`);
    if (!PROBE_PATHS[p.kind]?.includes(p.path)) {
      problems.push(`${p.kind} should use ${PROBE_PATHS[p.kind]?.join(' or ')}, not ${p.path}`);
    }
    if (p.port !== undefined && p.port !== port)
      problems.push(`${p.kind} port ${p.port} is not BIND's ${port}`);
  }
  return { problems: problems.map((p) => (p.startsWith(c.where) ? p : `${c.where}: ${p}`)), config };
}

function problemsOf(containers: MuninnContainer[]): string[] {
  return containers.flatMap((c) => check(c).problems);
}

/** Service selectors, target ports, Ingress backends and HPA targets resolve within `docs`. */
function k8sReferenceProblems(docs: Doc[], where: string): string[] {
  const problems: string[] = [];
  const workloads = docs.filter((d) => podSpec(d));
  const selects = (selector: Record<string, unknown>, labels: Record<string, unknown>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    const spec = svc.spec as {
      selector?: Record<string, unknown>;
      ports?: { port: number; targetPort?: unknown }[];
    };
    const pods = workloads.filter((w) => spec.selector && selects(spec.selector, podSpec(w)!.labels));
    if (pods.length === 0) problems.push(`${where}: Service ${svc.metadata?.name} selects no workload`);
    const containerPorts = pods.flatMap((w) =>
      ((podSpec(w)!.spec.containers ?? []) as PodContainer[]).flatMap((c) => c.ports ?? []),
    );
    for (const p of spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (!containerPorts.some((cp) => cp.containerPort === target || cp.name === target)) {
        problems.push(
          `${where}: Service ${svc.metadata?.name} targetPort ${String(target)} is no container port`,
        );
      }
    }
  }
  const servicePort = (name: string, port: { number?: number; name?: string }) =>
    docs.some(
      (d) =>
        d.kind === 'Service' &&
        d.metadata?.name === name &&
        ((d.spec as { ports: { port: number; name?: string }[] }).ports ?? []).some(
          (p) => p.port === port.number || (port.name !== undefined && p.name === port.name),
        ),
    );
  for (const ing of docs.filter((d) => d.kind === 'Ingress')) {
    const rules = (
      ing.spec as {
        rules?: { http?: { paths?: { backend: { service: { name: string; port: object } } }[] } }[];
      }
    ).rules;
    for (const path of (rules ?? []).flatMap((r) => r.http?.paths ?? [])) {
      const { name, port } = path.backend.service;
      if (!servicePort(name, port))
        problems.push(`${where}: Ingress backend ${name} ${JSON.stringify(port)} is no Service port`);
    }
  }
  for (const hpa of docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')) {
    const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    if (!docs.some((d) => d.kind === ref.kind && d.metadata?.name === ref.name)) {
      problems.push(`${where}: HPA ${hpa.metadata?.name} targets missing ${ref.kind}/${ref.name}`);
    }
  }
  return problems;
}

/** URL host and port, with the scheme's default port. */
function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

/** Every Muninn node of one deployment shares the core DB and the cluster secret, and workers find management. */
function clusterProblems(
  containers: MuninnContainer[],
  where: string,
  managementAt: (host: string, port: number) => boolean,
): string[] {
  const problems: string[] = [];
  const configs = containers.map((c) => ({ c, config: check(c).config })).filter((x) => x.config);
  const distinct = (f: (cfg: MuninnConfig) => unknown) =>
    new Set(configs.map((x) => JSON.stringify(f(x.config!)))).size;
  if (distinct((cfg) => cfg.coreDb.location) > 1) problems.push(`${where}: nodes use different core DBs`);
  if (distinct((cfg) => cfg.cluster.secret) > 1)
    problems.push(`${where}: nodes use different CLUSTER_SECRETs`);
  if (!configs.some((x) => x.c.role === 'management')) problems.push(`${where}: no management node`);
  for (const { c, config } of configs.filter((x) => x.c.role === 'worker')) {
    const m = config!.cluster.managementUrl;
    if (!m) problems.push(`${c.where}: no CLUSTER_MANAGEMENT_URL (a standalone node in a cluster)`);
    else if (!managementAt(hostPort(m).host, hostPort(m).port)) {
      problems.push(`${c.where}: CLUSTER_MANAGEMENT_URL ${m} does not reach the management node`);
    }
    if (hostPort(config!.cluster.nodeUrl).port !== config!.server.bind.port) {
      problems.push(`${c.where}: CLUSTER_NODE_URL ${config!.cluster.nodeUrl} is not on BIND's port`);
    }
  }
  if (configs.some((x) => x.config!.coreDb.location.kind !== 'postgres')) {
    problems.push(`${where}: a cluster needs CORE_DB_PATH=postgres://… on every node`);
  }
  return problems;
}

/** Stable order for comparing two sets of Kubernetes objects. */
function byKindAndName(docs: Doc[]): Doc[] {
  return [...docs].sort((a, b) =>
    `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`),
  );
}

describe('deployment artefacts agree with the code', () => {
  it('every YAML file under deploy/ parses (Helm templates once rendered)', () => {
    const files = filesUnder(DEPLOY, (n) => /\.ya?ml$/.test(n));
    const templates = join(HELM_CHART, 'templates');
    const plain = files.filter((f) => !f.startsWith(templates));
    expect(plain.map(rel)).toEqual(expect.arrayContaining(['deploy/compose/docker-compose.yaml']));
    for (const f of plain) expect(() => yamlDocs(f)).not.toThrow();
    expect(renderChart(helmContext()).length).toBe(files.length - plain.length);
  });

  it('each Muninn container sets only variables its role accepts, passes validation, and probes BIND', () => {
    const containers = allMuninnContainers();
    // management + server images, 3 per compose file, 2 in deploy/k8s, 2 rendered from the chart
    expect(containers.length).toBe(2 + 3 * composeFiles().length + 2 + 2);
    expect(problemsOf(containers)).toEqual([]);
  });

  it('the check itself rejects what it must (a wrong name, a wrong role, a wrong port, a wrong path)', () => {
    const [management, server] = imageContainers();
    const bad: MuninnContainer = {
      ...server,
      where: 'synthetic worker container',
      setNames: ['CLUSTER_HEARTBEET', 'CHECK', 'BIND'],
      env: { ...server.env, CLUSTER_HEARTBEET: '1s', CHECK: '1m', BIND: ':16000' },
      ports: [15000],
      probes: [
        { kind: 'livenessProbe', path: '/healthz', port: 16000 },
        { kind: 'readinessProbe', path: '/health/ready', port: 15000 },
      ],
    };
    const problems = check(bad).problems.join('\n');
    expect(problems).toMatch(/CLUSTER_HEARTBEET is not a variable/);
    expect(problems).toMatch(/did you mean CLUSTER_HEARTBEAT/);
    expect(problems).toMatch(/CHECK is a management variable/);
    expect(problems).toMatch(/BIND is port 16000/);
    expect(problems).toMatch(/\/healthz is not served/);
    expect(problems).toMatch(/readinessProbe port 15000 is not BIND's 16000/);
    expect(check({ ...management, env: {} }).problems.join('\n')).toMatch(/CLUSTER_SECRET: is required/);
  });

  describe('Dockerfile', () => {
    const file = dockerfile();

    it('builds management and server targets, non-root, under tini, with a HEALTHCHECK on /health/live', () => {
      for (const name of ['management', 'server']) {
        const t = imageTarget(file, name);
        expect(t.user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so Kubernetes can verify runAsNonRoot
        expect(t.entrypoint.slice(0, 2)).toEqual(['tini', '--']);
        expect(t.healthcheck?.at(-1)).toBe('/health/live');
        expect(t.cmd[0]).toBe('node');
        expect(t.chain.length).toBeGreaterThan(1);
      }
      expect(problemsOf(imageContainers(file))).toEqual([]);
    });

    it('installs with npm install (not npm ci), builds, and prunes dev dependencies in the build stage', () => {
      const runs = file.stages[0].instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
      expect(runs.join('\n')).not.toMatch(/npm ci\b/);
      expect(runs.map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual([
        'npm install',
        'npm run',
        'npm prune',
      ]);
      expect(runs[2]).toMatch(/--omit=dev/);
      const runtime = file.stage('runtime');
      const copied = runtime.instructions.filter(
        (i) => i.op === 'COPY' && i.flags.from === file.stages[0].name,
      );
      expect(copied.map((i) => i.args.split(/\s+/)[0])).toEqual([
        '/app/package.json',
        '/app/node_modules',
        '/app/dist',
      ]);
      for (const target of ['management', 'server']) {
        expect(imageTarget(file, target).cmd[1]).toMatch(/^dist\/apps\/.*\/main\.js$/);
      }
    });

    it('.dockerignore keeps the context to what the build needs', () => {
      const text = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
      const ignored = dockerignore(text);
      for (const p of [
        'node_modules/x',
        'dist/x',
        '.git/HEAD',
        '.muninn/core-db/x',
        '.env',
        'test/x.ts',
        'deploy/k8s/worker.yaml',
      ]) {
        expect([p, ignored(p)]).toEqual([p, true]);
      }
      for (const p of [
        'package.json',
        'package-lock.json',
        'apps/worker/src/main.ts',
        'libs/config/src/index.ts',
        'deploy/docker/healthcheck.mjs',
      ]) {
        expect([p, ignored(p)]).toEqual([p, false]);
      }
      const context = buildContextFiles(ROOT, text);
      expect(context).toContain('nest-cli.json');
      expect(context.some((f) => f.startsWith('node_modules/'))).toBe(false);
    });
  });

  describe('Compose', () => {
    it("has the seed's two examples", () => {
      expect(composeFiles().map(rel)).toEqual([
        'deploy/compose/docker-compose.nginx.yaml',
        'deploy/compose/docker-compose.yaml',
      ]);
    });

    it.each(composeFiles().map((f) => [rel(f)]))(
      '%s: services, dependencies and credentials fit together',
      (name) => {
        const path = join(ROOT, name);
        const { services, containers } = composeFile(path);
        const problems: string[] = [];
        expect([...containers.keys()].sort()).toEqual(['management', 'worker-1', 'worker-2']);
        expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis']));

        problems.push(
          ...clusterProblems([...containers.values()], name, (host, port) => {
            const m = containers.get(host);
            return m?.role === 'management' && check(m).config?.server.bind.port === port;
          }),
        );
        for (const [svcName, svc] of Object.entries(services)) {
          const deps = svc.depends_on ?? [];
          for (const [dep, opts] of Array.isArray(deps) ? deps.map((d) => [d, {}]) : Object.entries(deps)) {
            if (!services[dep]) problems.push(`${svcName} depends on missing ${dep}`);
            else if (
              (opts as { condition?: string }).condition === 'service_healthy' &&
              !services[dep].healthcheck
            ) {
              problems.push(`${svcName} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
            }
          }
        }
        const pgEnv = Object.fromEntries(
          ((services.postgres.environment ?? []) as string[]).map((e) => e.split(/=(.*)/s).slice(0, 2)),
        );
        const requirepass = /--requirepass\s+(\S+)/.exec(String(services.redis.command ?? ''))?.[1];
        for (const [svcName, c] of containers) {
          const config = check(c).config!;
          const db = new URL((config.coreDb.location as { url: string }).url);
          if (
            db.hostname !== 'postgres' ||
            db.username !== pgEnv.POSTGRES_USER ||
            db.password !== pgEnv.POSTGRES_PASSWORD ||
            db.pathname !== `/${pgEnv.POSTGRES_DB}`
          ) {
            problems.push(
              `${svcName}: CORE_DB_PATH does not match the postgres service's user, password and database`,
            );
          }
          for (const addr of config.cache.l2Addresses) {
            if (!services[addr.split(':')[0]])
              problems.push(`${svcName}: CACHE_L2_ADDRESSES ${addr} is no service`);
          }
          if (config.cache.l2Enabled && config.cache.l2Password !== requirepass) {
            problems.push(`${svcName}: CACHE_L2_PASSWORD is not redis's --requirepass`);
          }
          if (c.role === 'worker' && new URL(config.cluster.nodeUrl).hostname !== svcName) {
            problems.push(
              `${svcName}: CLUSTER_NODE_URL ${config.cluster.nodeUrl} is not its own service name`,
            );
          }
          if (!services[svcName].healthcheck) problems.push(`${svcName}: no healthcheck`);
        }
        expect(problems).toEqual([]);
      },
    );

    it('the nginx example mounts deploy/nginx/nginx.conf, whose upstreams are the work nodes on their BIND port', () => {
      const path = join(DEPLOY, 'compose/docker-compose.nginx.yaml');
      const { services, containers } = composeFile(path);
      const mounts = ((services.nginx?.volumes ?? []) as string[]).map((v) => v.split(':'));
      const conf = mounts.find(
        ([src]) => resolve(join(path, '..'), src) === join(DEPLOY, 'nginx/nginx.conf'),
      );
      expect(conf?.[1]).toBe('/etc/nginx/nginx.conf');
      // The file belongs to deploy/nginx (its own drills run nginx -t); here: does it fit this compose file?
      expect(existsSync(join(DEPLOY, 'nginx/nginx.conf'))).toBe(true);
      const text = readFileSync(join(DEPLOY, 'nginx/nginx.conf'), 'utf8').replace(/#.*$/gm, '');
      expect(text).toMatch(/^\s*http\s*\{/m); // a whole nginx.conf, since it replaces /etc/nginx/nginx.conf
      const upstreams = [...text.matchAll(/upstream\s+\S+\s*\{([^}]*)\}/g)].flatMap((m) =>
        [...m[1].matchAll(/^\s*server\s+([^\s:;]+):(\d+)/gm)].map((s) => ({
          host: s[1],
          port: Number(s[2]),
        })),
      );
      expect(upstreams.length).toBeGreaterThan(0);
      for (const u of upstreams) {
        const c = containers.get(u.host);
        expect([u.host, c?.role, c && check(c).config?.server.bind.port]).toEqual([u.host, 'worker', u.port]);
      }
      const proxied = Object.entries(services.nginx.depends_on as Record<string, unknown>).map(([k]) => k);
      expect(proxied.sort()).toEqual(['worker-1', 'worker-2']);
    });
  });

  describe('Kubernetes', () => {
    const files = k8sDocs();
    const docs = files.flatMap((f) => f.docs);

    it('has the management and worker Deployments, their Services, a headless Service, Ingress, Secrets and HPA', () => {
      const kinds = byKindAndName(docs).map((d) => `${d.kind}/${d.metadata?.name}`);
      expect(kinds).toEqual([
        'Deployment/muninn-management',
        'Deployment/muninn-worker',
        'HorizontalPodAutoscaler/muninn-worker-hpa',
        'Ingress/muninn-ingress',
        'Secret/muninn-admin-secret',
        'Secret/muninn-cluster-secret',
        'Secret/muninn-db-secret',
        'Secret/muninn-redis-secret',
        'Service/muninn-management',
        'Service/muninn-worker',
        'Service/muninn-worker-headless',
      ]);
      const headless = docs.find((d) => d.metadata?.name === 'muninn-worker-headless')!.spec as {
        clusterIP: string;
      };
      expect(headless.clusterIP).toBe('None');
      const mgmt = docs.find((d) => d.metadata?.name === 'muninn-management' && d.kind === 'Deployment')!;
      expect((mgmt.spec as { replicas: number }).replicas).toBe(1);
    });

    it('the HPA scales workers 3..10 on CPU 70 % and memory 80 %', () => {
      const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler')!.spec as {
        scaleTargetRef: { name: string };
        minReplicas: number;
        maxReplicas: number;
        metrics: { resource: { name: string; target: { averageUtilization: number } } }[];
      };
      expect([hpa.scaleTargetRef.name, hpa.minReplicas, hpa.maxReplicas]).toEqual(['muninn-worker', 3, 10]);
      expect(
        Object.fromEntries(hpa.metrics.map((m) => [m.resource.name, m.resource.target.averageUtilization])),
      ).toEqual({
        cpu: 70,
        memory: 80,
      });
    });

    it('every Muninn container has liveness and readiness probes and resource requests and limits', () => {
      const problems: string[] = [];
      for (const doc of docs.filter((d) => podSpec(d))) {
        for (const c of (podSpec(doc)!.spec.containers ?? []) as PodContainer[]) {
          for (const need of ['livenessProbe', 'readinessProbe'] as const) {
            if (!c[need]) problems.push(`${doc.metadata?.name}/${c.name}: no ${need}`);
          }
          for (const kind of ['requests', 'limits'] as const) {
            for (const r of ['cpu', 'memory']) {
              if (!c.resources?.[kind]?.[r])
                problems.push(`${doc.metadata?.name}/${c.name}: no ${kind}.${r}`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
      expect(
        k8sContainers(docs, 'deploy/k8s')
          .map((c) => c.role)
          .sort(),
      ).toEqual(['management', 'worker']);
    });

    it('Services, Ingress and HPA reference existing objects and ports; nodes find each other', () => {
      const containers = k8sContainers(docs, 'deploy/k8s');
      expect([
        ...k8sReferenceProblems(docs, 'deploy/k8s'),
        ...clusterProblems(containers, 'deploy/k8s', (host, port) => managementServiceAt(docs, host, port)),
      ]).toEqual([]);
    });
  });

  describe('Helm chart', () => {
    it('renders, with the default values and release "muninn", exactly the objects of deploy/k8s', () => {
      const used = new Set<string>();
      const rendered = renderChart(helmContext(), used).flatMap((f) => f.docs);
      expect(byKindAndName(rendered)).toEqual(byKindAndName(k8sDocs().flatMap((f) => f.docs)));
      // Every value is read by some template (no value that silently does nothing).
      expect(leafPaths(helmContext().Values).filter((p) => !used.has(p))).toEqual([]);
      const chart = yamlDocs(join(HELM_CHART, 'Chart.yaml'))[0] as {
        apiVersion: string;
        name: string;
        version: string;
      };
      expect([chart.apiVersion, chart.name]).toEqual(['v2', 'muninn']);
      expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('stays consistent with another release name and other ports', () => {
      const ctx = helmContext({
        release: 'shop',
        values: (v) => {
          (v.worker as { port: number }).port = 16000;
          (v.management as { port: number }).port = 17000;
        },
      });
      const docs = renderChart(ctx).flatMap((f) => f.docs);
      const containers = k8sContainers(docs, 'chart (release shop)');
      expect(docs.every((d) => d.metadata?.name?.startsWith('shop-'))).toBe(true);
      expect(containers.map((c) => check(c).config?.server.bind.port).sort()).toEqual([16000, 17000]);
      expect([
        ...problemsOf(containers),
        ...k8sReferenceProblems(docs, 'chart'),
        ...clusterProblems(containers, 'chart', (host, port) => managementServiceAt(docs, host, port)),
      ]).toEqual([]);
    });

    it('the renderer refuses template actions it cannot check', () => {
      const ctx = helmContext();
      expect(() => renderHelm('{{ if .Values.x }}', ctx)).toThrow(/unsupported/);
      expect(() => renderHelm('{{ include "x" . }}', ctx)).toThrow(/unsupported/);
      expect(() => renderHelm('{{ .Values.nope.port }}', ctx)).toThrow(/not set/);
      expect(renderHelm('{{ .Values.worker.port | quote }}-{{ .Release.Name }}', ctx)).toBe('"15000"-muninn');
    });
  });
});

/** A Service named `host` with `port`, in front of a management container on its BIND port. */
function managementServiceAt(docs: Doc[], host: string, port: number): boolean {
  const svc = docs.find((d) => d.kind === 'Service' && d.metadata?.name === host);
  const spec = svc?.spec as {
    selector?: Record<string, string>;
    ports?: { port: number; targetPort?: number | string }[];
  };
  const p = spec?.ports?.find((x) => x.port === port);
  if (!p || !spec.selector) return false;
  return k8sContainers(docs, 'lookup').some((c) => {
    const workload = docs.find((d) => c.where.includes(`${d.kind}/${d.metadata?.name} `));
    const labels = workload ? podSpec(workload)!.labels : {};
    const selected = Object.entries(spec.selector!).every(([k, v]) => labels[k] === v);
    const bind = check(c).config?.server.bind.port;
    return selected && c.role === 'management' && (p.targetPort ?? p.port) === bind;
  });
}
