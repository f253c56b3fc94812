// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon');

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Fixed total rate (req/s); omitted = as fast as the server answers. */
  rate?: number;
  make: () => { headers: Record<string, string>; body: string };
}

export interface LoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

/** Drives one server with autocannon; every request gets fresh random ids. Latencies are exact (every response). */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    // A GraphQL error comes back as 200 with a top-level `errors` list: counted too. Only bodies
    // mentioning `errors` are parsed (syncRoster has a payload field of that name).
    let graphqlErrors = 0;
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        duration: o.seconds,
        overallRate: o.rate,
        requests: [
          {
            method: 'POST',
            setupRequest: (req: Record<string, unknown>) => {
              const r = o.make();
              return { ...req, headers: r.headers, body: r.body };
            },
            onResponse: (status: number, body: string) => {
              if (status === 200 && body.includes('"errors"') && Array.isArray((JSON.parse(body) as { errors?: unknown }).errors)) graphqlErrors += 1;
            },
          },
        ],
      },
      (error: Error | null, result: { requests: { total: number }; duration: number; errors: number; timeouts: number; non2xx: number }) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: result.requests.total,
          reqPerSec: result.requests.total / result.duration,
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  });
}
