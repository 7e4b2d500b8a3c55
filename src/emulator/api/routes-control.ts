// Test-only control routes: read the whole emulated state and switch faults on and off at runtime.
import * as z from 'zod';
import type { Reply } from './envelope.js';
import { faultPatchSchema, type Faults } from './faults.js';
import { json, type Incoming } from './http.js';
import type { EmulatorState } from './state.js';
import { stateView } from './views.js';

export const CONTROL_STATE_PATH = '/__emulator/state';
export const CONTROL_FAULTS_PATH = '/__emulator/faults';

/** Answers a /__emulator/ call, or undefined when the path is not one of them. */
export async function routeControl(state: EmulatorState, faults: Faults, { method, path, readBody }: Incoming): Promise<Reply | undefined> {
  if (path === CONTROL_STATE_PATH) {
    return method === 'GET' ? json(200, stateView(state, faults.snapshot())) : json(405, { error: `${path} takes GET` });
  }
  if (path !== CONTROL_FAULTS_PATH) return undefined;
  if (method === 'GET') return json(200, faults.snapshot());
  if (method === 'DELETE') {
    faults.reset();
    return json(200, faults.snapshot());
  }
  if (method !== 'POST') return json(405, { error: `${path} takes GET, POST or DELETE` });
  const body = await readBody();
  if (!body.ok) return json(400, { error: body.reason });
  const patch = faultPatchSchema.safeParse(body.value);
  if (!patch.success) return json(400, { error: z.prettifyError(patch.error) });
  faults.apply(patch.data);
  return json(200, faults.snapshot());
}
