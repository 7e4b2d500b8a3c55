// The client_golang default-registry collectors a Go cloudflared exposes (Go collector with the
// memstats-like set plus /gc/gogc, /gc/gomemlimit and /sched/gomaxprocs, and the Linux process collector),
// filled from this Node process so values move like a live process's do.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Family, Sample } from './exposition-writer.js';

export const GO_VERSION = 'go1.26.0';

const gauge = (name: string, help: string, value: number, labels: Record<string, string> = {}): Family => ({
  name,
  help,
  type: 'gauge',
  samples: [{ name, labels, value }],
});
const counter = (name: string, help: string, value: number): Family => ({ name, help, type: 'counter', samples: [{ name, labels: {}, value }] });

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** The process collector's view of /proc/self (vsize, fds, limits, network bytes). */
function procStats(): { vsize: number; openFds: number; maxFds: number; maxVsize: number; rx: number; tx: number } {
  const stat = readOr(() => readFileSync('/proc/self/stat', 'utf8'), '');
  const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const vsize = Number(afterComm[20] ?? 0) || 0;
  const openFds = readOr(() => readdirSync('/proc/self/fd').length, 0);
  const limits = readOr(() => readFileSync('/proc/self/limits', 'utf8'), '');
  const maxFds = Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 1048576);
  const as = /Max address space\s+(\S+)/.exec(limits)?.[1] ?? 'unlimited';
  const maxVsize = as === 'unlimited' ? 2 ** 64 : Number(as);
  let rx = 0;
  let tx = 0;
  for (const line of readOr(() => readFileSync('/proc/self/net/dev', 'utf8'), '').split('\n').slice(2)) {
    const cols = line.trim().split(/[\s:]+/);
    rx += Number(cols[1] ?? 0) || 0;
    tx += Number(cols[9] ?? 0) || 0;
  }
  return { vsize, openFds, maxFds, maxVsize, rx, tx };
}

export interface RuntimeView {
  /** Process start, Unix ms. */
  readonly startedAt: number;
  /** Goroutines now (grows with connections and requests in flight). */
  readonly goroutines: number;
  /** Scrapes served so far, by status code, and scrapes in flight (promhttp's own instrumentation). */
  readonly scrapes: Readonly<Record<'200' | '500' | '503', number>>;
  readonly scrapesInFlight: number;
}

function gcSummary(uptimeS: number): Family {
  const count = Math.floor(uptimeS / 2.5) + 3;
  const quantiles: [string, number][] = [['0', 2.1e-5], ['0.25', 3.4e-5], ['0.5', 4.6e-5], ['0.75', 7.2e-5], ['1', 3.08e-4]];
  const samples: Sample[] = quantiles.map(([q, v]) => ({ name: 'go_gc_duration_seconds', labels: { quantile: q }, value: v }));
  samples.push({ name: 'go_gc_duration_seconds_sum', labels: {}, value: Number((count * 5.1e-5).toPrecision(6)) });
  samples.push({ name: 'go_gc_duration_seconds_count', labels: {}, value: count });
  return { name: 'go_gc_duration_seconds', help: 'A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.', type: 'summary', samples };
}

/** Every default-collector family, read now. */
export function runtimeFamilies(view: RuntimeView, now: number): Family[] {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const proc = procStats();
  const uptimeS = (now - view.startedAt) / 1000;
  const heapSys = mem.heapTotal;
  const heapAlloc = mem.heapUsed;
  const sys = mem.rss;
  const m = (name: string): string => `go_memstats_${name}`;
  const allocTotal = heapAlloc + Math.floor(uptimeS * 48_000);
  const mallocs = Math.floor(allocTotal / 96);
  return [
    gcSummary(uptimeS),
    gauge('go_gc_gogc_percent', 'Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.', 100),
    gauge('go_gc_gomemlimit_bytes', 'Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.', 2 ** 63),
    gauge('go_goroutines', 'Number of goroutines that currently exist.', view.goroutines),
    gauge('go_info', 'Information about the Go environment.', 1, { version: GO_VERSION }),
    gauge(m('alloc_bytes'), 'Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.', heapAlloc),
    counter(m('alloc_bytes_total'), 'Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.', allocTotal),
    gauge(m('buck_hash_sys_bytes'), 'Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.', 1_478_347),
    counter(m('frees_total'), 'Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.', Math.floor(mallocs * 0.93)),
    gauge(m('gc_sys_bytes'), 'Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.', 3_487_384),
    gauge(m('heap_alloc_bytes'), 'Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.', heapAlloc),
    gauge(m('heap_idle_bytes'), 'Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.', Math.max(0, heapSys - heapAlloc)),
    gauge(m('heap_inuse_bytes'), 'Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes', heapAlloc),
    gauge(m('heap_objects'), 'Number of currently allocated objects. Equals to /gc/heap/objects:objects.', Math.floor(heapAlloc / 96)),
    gauge(m('heap_released_bytes'), 'Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.', Math.floor((heapSys - heapAlloc) / 2)),
    gauge(m('heap_sys_bytes'), 'Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.', heapSys),
    gauge(m('last_gc_time_seconds'), 'Number of seconds since 1970 of last garbage collection.', Math.floor(now / 2500) * 2.5),
    counter(m('mallocs_total'), 'Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.', mallocs),
    gauge(m('mcache_inuse_bytes'), 'Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.', 9_664),
    gauge(m('mcache_sys_bytes'), 'Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.', 15_704),
    gauge(m('mspan_inuse_bytes'), 'Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.', 281_920),
    gauge(m('mspan_sys_bytes'), 'Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.', 326_400),
    gauge(m('next_gc_bytes'), 'Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.', Math.max(4_194_304, heapAlloc * 2)),
    gauge(m('other_sys_bytes'), 'Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.', 1_622_277),
    gauge(m('stack_inuse_bytes'), 'Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.', 1_048_576 + view.goroutines * 8192),
    gauge(m('stack_sys_bytes'), 'Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.', 1_048_576 + view.goroutines * 8192),
    gauge(m('sys_bytes'), 'Number of bytes obtained from system. Equals to /memory/classes/total:byte.', sys),
    gauge('go_sched_gomaxprocs_threads', 'The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.', availableParallelism()),
    gauge('go_threads', 'Number of OS threads created.', 8 + Math.min(availableParallelism(), 8)),
    counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', Math.round((cpu.user + cpu.system) / 10_000) / 100),
    gauge('process_max_fds', 'Maximum number of open file descriptors.', proc.maxFds),
    counter('process_network_receive_bytes_total', 'Number of bytes received by the process over the network.', proc.rx),
    counter('process_network_transmit_bytes_total', 'Number of bytes sent by the process over the network.', proc.tx),
    gauge('process_open_fds', 'Number of open file descriptors.', proc.openFds),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss),
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', Math.round(view.startedAt / 10) / 100),
    gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', proc.vsize),
    gauge('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', proc.maxVsize),
    gauge('promhttp_metric_handler_requests_in_flight', 'Current number of scrapes being served.', view.scrapesInFlight),
    {
      name: 'promhttp_metric_handler_requests_total',
      help: 'Total number of scrapes by HTTP status code.',
      type: 'counter',
      samples: (['200', '500', '503'] as const).map((code) => ({ name: 'promhttp_metric_handler_requests_total', labels: { code }, value: view.scrapes[code] })),
    },
  ];
}
