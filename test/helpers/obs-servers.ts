// The real Alertmanager, Prometheus and webhook receiver of the alerting end-to-end tests. The implementation
// lives in bench/obs-servers.ts so the alert-latency bench (which compiles from bench/ and src/ only) shares it.
export * from '../../bench/obs-servers.js';
