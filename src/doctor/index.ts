// The public face of src/doctor/: the checks `tunnelwatch doctor` runs and their verdicts.
export { VERDICTS, type CheckResult, type Verdict } from './check.js';
export { doctorExitCode, runDoctor, tally, type DoctorOptions } from './doctor.js';
export { checkConnector } from './connector-checks.js';
export { checkMetricsAddress } from './local-checks.js';
