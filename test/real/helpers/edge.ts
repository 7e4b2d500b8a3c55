// The loopback edge of the real-connector suite (implemented in bench/loopback-edge.ts, shared with the silent-hang bench).
export * from '../../../bench/loopback-edge.js';
