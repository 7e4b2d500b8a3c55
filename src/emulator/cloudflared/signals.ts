// cmd/cloudflared/tunnel/signal.go and Go's default signal handling: the first SIGTERM or SIGINT starts the
// graceful shutdown and stops listening, so a second one kills the process by that signal (Node's default
// disposition once no listener is left). SIGHUP is not handled (dies by signal), SIGQUIT is Go's stack dump
// with exit 2, SIGUSR1/SIGUSR2 are caught and ignored.

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** Go's os.Signal String() for the signals cloudflared names in its log. */
export const GO_SIGNAL_NAME: Readonly<Record<ShutdownSignal, string>> = { SIGTERM: 'terminated', SIGINT: 'interrupt' };

export interface SignalHooks {
  /** The first SIGTERM/SIGINT. */
  readonly onShutdown: (signal: ShutdownSignal) => void;
  /** SIGQUIT: write the goroutine dump and exit 2. */
  readonly onQuit: () => void;
}

/** Installs the handlers; returns a function removing whatever is still installed. */
export function installSignals(hooks: SignalHooks, proc: NodeJS.Process = process): () => void {
  const ignore = (): void => undefined;
  const first = (signal: ShutdownSignal): void => {
    proc.off('SIGTERM', onTerm);
    proc.off('SIGINT', onInt);
    hooks.onShutdown(signal);
  };
  const onTerm = (): void => { first('SIGTERM'); };
  const onInt = (): void => { first('SIGINT'); };
  const onQuit = (): void => { hooks.onQuit(); };
  proc.on('SIGTERM', onTerm);
  proc.on('SIGINT', onInt);
  proc.on('SIGQUIT', onQuit);
  proc.on('SIGUSR2', ignore);
  return () => {
    proc.off('SIGTERM', onTerm);
    proc.off('SIGINT', onInt);
    proc.off('SIGQUIT', onQuit);
    proc.off('SIGUSR2', ignore);
  };
}
