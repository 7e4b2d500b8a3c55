// What a Go program writes to stderr when it panics (exit status 2) or gets SIGQUIT: the panic value,
// then goroutine stack traces in runtime.Stack's format. Frames are cloudflared's real call paths.

const BUILD_ROOT = '/home/runner/work/cloudflared/cloudflared';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function frames(seed: number): string {
  const base = 0xc000100000 + (seed % 4096) * 0x100;
  return [
    `github.com/cloudflare/cloudflared/connection.(*quicConnection).dispatchRequest(${hex(base)}, {0x2c1f6a8, ${hex(base + 0x3a0)}}, ${hex(base + 0x7e0)}, ${hex(base + 0x1c0)})`,
    `\t${BUILD_ROOT}/connection/quic_connection.go:224 +0x4e6`,
    `github.com/cloudflare/cloudflared/connection.(*quicConnection).handleDataStream(${hex(base)}, {0x2c1f6a8, ${hex(base + 0x3a0)}}, ${hex(base + 0x7e0)})`,
    `\t${BUILD_ROOT}/connection/quic_connection.go:190 +0x8e`,
    `github.com/cloudflare/cloudflared/tunnelrpc/quic.(*CloudflaredServer).Serve(${hex(base + 0x900)}, {0x2c1f6a8, ${hex(base + 0x3a0)}}, {0x2c0b3e0, ${hex(base + 0x440)}})`,
    `\t${BUILD_ROOT}/tunnelrpc/quic/cloudflared_server.go:57 +0x1c5`,
    `github.com/cloudflare/cloudflared/connection.(*quicConnection).runStream(${hex(base)}, ${hex(base + 0xa00)})`,
    `\t${BUILD_ROOT}/connection/quic_connection.go:173 +0x1b8`,
    `created by github.com/cloudflare/cloudflared/connection.(*quicConnection).acceptStream in goroutine 153`,
    `\t${BUILD_ROOT}/connection/quic_connection.go:160 +0x85`,
  ].join('\n');
}

/** A Go panic: a nil dereference by default, or `panic(message)`. */
export function goPanicText(message: string | undefined, seed: number): string {
  const head =
    message === undefined
      ? 'panic: runtime error: invalid memory address or nil pointer dereference\n' +
        `[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=${hex(0x1a2b3c4 + (seed % 256))}]\n`
      : `panic: ${message}\n`;
  return `${head}\ngoroutine ${String(180 + (seed % 97))} [running]:\n${frames(seed)}\n`;
}

/** Go's SIGQUIT dump (exit status 2). */
export function goQuitText(seed: number): string {
  return `SIGQUIT: quit\nPC=${hex(0x47a2e1 + (seed % 64))} m=0 sigcode=0\n\ngoroutine 1 [select, ${String(1 + (seed % 9))} minutes]:\n${frames(seed)}\n`;
}
