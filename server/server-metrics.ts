/**
 * Prometheus metrics for one server instance, in its own registry (no process-wide default
 * registry, so two servers in one process — tests — never collide): request counts and latency
 * by route, encoder batch sizes and times, and the library's size.
 */
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Library } from '../src/store/library.types.ts';

export type Tower = 'text' | 'image';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly batchSize: Histogram<'tower'>;
  readonly batchSeconds: Histogram<'tower'>;

  constructor(library: Library) {
    collectDefaultMetrics({ register: this.registry, prefix: 'clipdex_' });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'clipdex_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'clipdex_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'clipdex_encode_batch_size',
      help: 'Queries per encoder run (micro-batching)',
      labelNames: ['tower'],
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'clipdex_encode_batch_seconds',
      help: 'Encoder time per micro-batch',
      labelNames: ['tower'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    new Gauge({
      name: 'clipdex_library_items',
      help: 'Items in the library by kind and status',
      labelNames: ['kind', 'status'],
      registers,
      collect() {
        // Read at scrape time so the gauge follows a concurrent indexer.
        for (const kind of ['image', 'text'] as const) {
          const counts = library.counts(kind);
          for (const [status, n] of Object.entries(counts) as [string, number][]) {
            this.set({ kind, status }, n);
          }
        }
      },
    });
  }

  /** Hook for the micro-batcher. */
  onBatch(tower: Tower): (size: number, seconds: number) => void {
    return (size, seconds) => {
      this.batchSize.observe({ tower }, size);
      this.batchSeconds.observe({ tower }, seconds);
    };
  }
}
